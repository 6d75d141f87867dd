package io.sluice.core.exporterhelper;

import io.sluice.core.ConfigProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An exporter's {@code retry_on_failure}, as in the Collector: exponential backoff with jitter,
 * waiting at least as long as the backend asked (gRPC RetryInfo, HTTP Retry-After), giving up
 * after {@code max_elapsed_time} (0 = never).
 */
public record RetrySettings(
    boolean enabled,
    Duration initialInterval,
    double randomizationFactor,
    double multiplier,
    Duration maxInterval,
    Duration maxElapsedTime) {

  public static RetrySettings defaults() {
    return new RetrySettings(true, Duration.ofSeconds(5), 0.5, 1.5, Duration.ofSeconds(30), Duration.ofMinutes(5));
  }

  public static RetrySettings disabled() {
    return new RetrySettings(false, Duration.ofSeconds(5), 0.5, 1.5, Duration.ofSeconds(30), Duration.ofMinutes(5));
  }

  /**
   * The wait before try number {@code attempt + 1} (attempt 0 is the wait after the first
   * failure), in milliseconds: {@code initial_interval} times {@code multiplier} per attempt, at
   * most {@code max_interval}, spread by {@code randomization_factor}.
   */
  public long delayMillis(int attempt) {
    double interval = initialInterval.toMillis() * Math.pow(multiplier, attempt);
    interval = Math.min(interval, maxInterval.toMillis());
    double spread = randomizationFactor * interval;
    return Math.max(1, (long) (interval - spread + java.util.concurrent.ThreadLocalRandom.current().nextDouble()
        * (2 * spread + 1)));
  }

  /** Problems with paths under {@code prefix} (normally {@code retry_on_failure}). */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (initialInterval == null || initialInterval.isNegative() || initialInterval.isZero()) {
      problems.add(new ConfigProblem(prefix + ".initial_interval", "must be a positive duration such as \"5s\""));
    }
    if (maxInterval == null || maxInterval.isNegative() || maxInterval.isZero()) {
      problems.add(new ConfigProblem(prefix + ".max_interval", "must be a positive duration such as \"30s\""));
    }
    if (maxElapsedTime == null || maxElapsedTime.isNegative()) {
      problems.add(new ConfigProblem(prefix + ".max_elapsed_time",
          "must be a duration such as \"5m\" (0 retries forever)"));
    }
    if (randomizationFactor < 0 || randomizationFactor > 1) {
      problems.add(new ConfigProblem(prefix + ".randomization_factor",
          "must be between 0 and 1, got " + randomizationFactor));
    }
    if (multiplier < 1) {
      problems.add(new ConfigProblem(prefix + ".multiplier", "must be at least 1, got " + multiplier));
    }
    return problems;
  }
}

package io.sluice.translation.kafka;

import io.sluice.core.ConfigProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code metadata} block: how often the client refreshes what it knows of the cluster.
 *
 * @param full accepted as the Collector takes it; the Java client only ever fetches the metadata of
 *     the topics it uses
 * @param refreshInterval how often cluster metadata is refreshed (default 10m)
 * @param retry how requests for metadata, group membership and offsets are retried
 */
public record KafkaMetadata(Boolean full, Duration refreshInterval, Retry retry) {
  public KafkaMetadata {
    refreshInterval = refreshInterval == null ? Duration.ofMinutes(10) : refreshInterval;
    retry = retry == null ? Retry.defaults() : retry;
  }

  /**
   * {@code metadata.retry}.
   *
   * @param max accepted as the Collector takes it; the Java client retries until its timeouts
   * @param backoff the wait before a retry (default 250ms), which doubles up to 5 s
   */
  public record Retry(Integer max, Duration backoff) {
    public Retry {
      max = max == null ? 3 : max;
      backoff = backoff == null ? Duration.ofMillis(250) : backoff;
    }

    static Retry defaults() {
      return new Retry(3, Duration.ofMillis(250));
    }
  }

  public static KafkaMetadata defaults() {
    return new KafkaMetadata(null, Duration.ofMinutes(10), Retry.defaults());
  }

  /** Problems with key paths under {@code prefix} (normally {@code metadata}). */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (refreshInterval.isNegative() || refreshInterval.isZero()) {
      problems.add(new ConfigProblem(prefix + ".refresh_interval", "must be a positive duration such as \"10m\""));
    }
    if (retry.backoff().isNegative()) {
      problems.add(new ConfigProblem(prefix + ".retry.backoff", "must be a duration such as \"250ms\""));
    }
    if (retry.max() < 0) {
      problems.add(new ConfigProblem(prefix + ".retry.max", "must not be negative, got " + retry.max()));
    }
    return problems;
  }
}

package io.sluice.processor.memorylimiter;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Config of the {@code memory_limiter} processor, with the Collector's key names.
 *
 * <p>The hard limit is {@code limit_mib} MiB, or {@code limit_percentage} percent of the heap
 * that holds data (the JVM's max heap less the eden space, where new objects are made and die
 * between young collections); exactly one of the two is set. The soft limit is the hard limit minus
 * the spike allowance ({@code spike_limit_mib} or {@code spike_limit_percentage}, 20% of the
 * limit when left at 0). Above the soft limit data is refused; above the hard limit a garbage
 * collection is also forced.
 *
 * @param checkInterval how often heap use is read; must be above 0
 * @param limitMib the hard limit in MiB, 0 when {@code limitPercentage} is used
 * @param spikeLimitMib the allowance below {@code limitMib}; 0 means 20% of it
 * @param limitPercentage the hard limit as a percentage of the max heap, 0 when {@code limitMib} is used
 * @param spikeLimitPercentage the allowance below {@code limitPercentage}; 0 means 20% of it
 * @param minGcIntervalWhenSoftLimited the least time between forced collections while above the
 *     soft limit only
 * @param minGcIntervalWhenHardLimited the least time between forced collections while above the
 *     hard limit (never more often than once per check)
 */
public record MemoryLimiterProcessorConfig(
    Duration checkInterval,
    long limitMib,
    long spikeLimitMib,
    int limitPercentage,
    int spikeLimitPercentage,
    Duration minGcIntervalWhenSoftLimited,
    Duration minGcIntervalWhenHardLimited)
    implements ComponentConfig {

  /** Defaults: check every second, no limit chosen yet (the user must set one). */
  public static MemoryLimiterProcessorConfig defaults() {
    return new MemoryLimiterProcessorConfig(Duration.ofSeconds(1), 0, 0, 0, 0, Duration.ofSeconds(10), Duration.ZERO);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (checkInterval == null || checkInterval.isNegative() || checkInterval.isZero()) {
      problems.add(new ConfigProblem("check_interval", quote(checkInterval)
          + " must be above 0; a usual value is \"1s\""));
    }
    boolean mibValid = true;
    if (limitMib < 0) {
      problems.add(new ConfigProblem("limit_mib", limitMib + " is negative; give the limit in MiB"));
      mibValid = false;
    }
    if (spikeLimitMib < 0) {
      problems.add(new ConfigProblem("spike_limit_mib", spikeLimitMib
          + " is negative; give the allowance in MiB, or 0 for 20% of limit_mib"));
      mibValid = false;
    }
    boolean pctValid = true;
    if (limitPercentage < 0 || limitPercentage > 100) {
      problems.add(new ConfigProblem("limit_percentage", limitPercentage
          + " is not a percentage; give a number from 1 to 100 (of the JVM's max heap)"));
      pctValid = false;
    }
    if (spikeLimitPercentage < 0 || spikeLimitPercentage > 100) {
      problems.add(new ConfigProblem("spike_limit_percentage", spikeLimitPercentage
          + " is not a percentage; give a number from 1 to 100, or 0 for 20% of limit_percentage"));
      pctValid = false;
    }
    if (limitMib == 0 && limitPercentage == 0) {
      problems.add(new ConfigProblem("limit_mib", "no memory limit is set; set limit_mib (MiB of heap, such as"
          + " 4000) or limit_percentage (percent of the JVM's max heap, such as 80)"));
    } else if (limitMib != 0 && limitPercentage != 0) {
      problems.add(new ConfigProblem("limit_percentage", "limit_mib (" + limitMib + ") and limit_percentage ("
          + limitPercentage + ") are both set; keep only one of them"));
    } else if (limitMib > 0) {
      if (spikeLimitPercentage != 0) {
        problems.add(new ConfigProblem("spike_limit_percentage", spikeLimitPercentage
            + " goes with limit_percentage, but the limit is given as limit_mib; set spike_limit_mib instead"));
      }
      if (mibValid && spikeLimitMib >= limitMib) {
        problems.add(new ConfigProblem("spike_limit_mib", spikeLimitMib + " must be below limit_mib (" + limitMib
            + "); the soft limit is limit_mib minus spike_limit_mib"));
      }
    } else if (limitPercentage > 0) {
      if (spikeLimitMib != 0) {
        problems.add(new ConfigProblem("spike_limit_mib", spikeLimitMib
            + " goes with limit_mib, but the limit is given as limit_percentage; set spike_limit_percentage"
            + " instead"));
      }
      if (pctValid && spikeLimitPercentage >= limitPercentage) {
        problems.add(new ConfigProblem("spike_limit_percentage", spikeLimitPercentage
            + " must be below limit_percentage (" + limitPercentage + "); the soft limit is limit_percentage minus"
            + " spike_limit_percentage"));
      }
    }
    if (minGcIntervalWhenSoftLimited == null || minGcIntervalWhenSoftLimited.isNegative()) {
      problems.add(new ConfigProblem("min_gc_interval_when_soft_limited", quote(minGcIntervalWhenSoftLimited)
          + " must be 0 or more; the default is \"10s\""));
    }
    if (minGcIntervalWhenHardLimited == null || minGcIntervalWhenHardLimited.isNegative()) {
      problems.add(new ConfigProblem("min_gc_interval_when_hard_limited", quote(minGcIntervalWhenHardLimited)
          + " must be 0 or more; the default is \"0s\" (at every check)"));
    }
    return problems;
  }

  private static String quote(Duration d) {
    return d == null ? "an empty value" : "\"" + GoDurations.format(d) + "\"";
  }
}

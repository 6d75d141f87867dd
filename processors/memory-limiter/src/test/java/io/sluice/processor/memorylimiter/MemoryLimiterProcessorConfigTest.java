package io.sluice.processor.memorylimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class MemoryLimiterProcessorConfigTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration TEN = Duration.ofSeconds(10);

  @Test
  void defaultsCheckEverySecondAndAskForALimit() {
    MemoryLimiterProcessorConfig d = new MemoryLimiterProcessorFactory().defaultConfig();
    assertThat(d.checkInterval()).isEqualTo(SECOND);
    assertThat(d.minGcIntervalWhenSoftLimited()).isEqualTo(TEN);
    assertThat(d.minGcIntervalWhenHardLimited()).isZero();
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("limit_mib");
    assertThat(d.validate().get(0).message()).contains("limit_mib").contains("limit_percentage");
  }

  @Test
  void aFixedOrAPercentageLimitIsValid() {
    assertThat(config(SECOND, 4000, 800, 0, 0).validate()).isEmpty();
    assertThat(config(SECOND, 4000, 0, 0, 0).validate()).isEmpty();
    assertThat(config(SECOND, 0, 0, 80, 25).validate()).isEmpty();
    assertThat(config(SECOND, 0, 0, 80, 0).validate()).isEmpty();
  }

  @Test
  void bothLimitsSetIsAnError() {
    List<ConfigProblem> problems = config(SECOND, 4000, 0, 80, 0).validate();
    assertThat(problems).extracting(ConfigProblem::path).containsExactly("limit_percentage");
    assertThat(problems.get(0).message()).contains("4000").contains("80").contains("only one");
  }

  @Test
  void spikeAtOrAboveTheLimitIsAnError() {
    assertThat(config(SECOND, 1000, 1000, 0, 0).validate()).extracting(ConfigProblem::path)
        .containsExactly("spike_limit_mib");
    assertThat(config(SECOND, 0, 0, 50, 60).validate()).extracting(ConfigProblem::path)
        .containsExactly("spike_limit_percentage");
  }

  @Test
  void spikeOfTheOtherKindIsAnError() {
    assertThat(config(SECOND, 1000, 0, 0, 20).validate()).extracting(ConfigProblem::path)
        .containsExactly("spike_limit_percentage");
    assertThat(config(SECOND, 0, 100, 80, 0).validate()).extracting(ConfigProblem::path)
        .containsExactly("spike_limit_mib");
  }

  @Test
  void checkIntervalMustBeAboveZero() {
    List<ConfigProblem> problems = config(Duration.ZERO, 1000, 0, 0, 0).validate();
    assertThat(problems).extracting(ConfigProblem::path).containsExactly("check_interval");
    assertThat(problems.get(0).message()).contains("\"0s\"");
    assertThat(config(null, 1000, 0, 0, 0).validate()).extracting(ConfigProblem::path)
        .containsExactly("check_interval");
  }

  @Test
  void percentagesOutsideZeroToHundredAreErrors() {
    assertThat(config(SECOND, 0, 0, 101, 0).validate()).extracting(ConfigProblem::path)
        .containsExactly("limit_percentage");
    assertThat(config(SECOND, 0, 0, 80, -1).validate()).extracting(ConfigProblem::path)
        .containsExactly("spike_limit_percentage");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    MemoryLimiterProcessorConfig bad = new MemoryLimiterProcessorConfig(Duration.ofSeconds(-1), -5, -1, 0, 0,
        Duration.ofSeconds(-1), null);
    assertThat(bad.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("check_interval",
        "limit_mib", "spike_limit_mib", "min_gc_interval_when_soft_limited", "min_gc_interval_when_hard_limited");
  }

  @Test
  void bindsACollectorSectionOverTheDefaults() throws Exception {
    MemoryLimiterProcessorConfig c = ConfigLoader.bindComponent(new MemoryLimiterProcessorFactory(),
        "check_interval: 2s\nlimit_mib: 4000\nspike_limit_mib: 800\nmin_gc_interval_when_hard_limited: 5s\n");
    assertThat(c.checkInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.limitMib()).isEqualTo(4000);
    assertThat(c.spikeLimitMib()).isEqualTo(800);
    assertThat(c.minGcIntervalWhenSoftLimited()).isEqualTo(TEN);
    assertThat(c.minGcIntervalWhenHardLimited()).isEqualTo(Duration.ofSeconds(5));
    MemoryLimiterProcessorConfig p = ConfigLoader.bindComponent(new MemoryLimiterProcessorFactory(),
        "limit_percentage: 75\nspike_limit_percentage: 15");
    assertThat(p.limitPercentage()).isEqualTo(75);
    assertThat(p.spikeLimitPercentage()).isEqualTo(15);
  }

  @Test
  void rejectsUnknownKeysAndAMissingLimitWhenBinding() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new MemoryLimiterProcessorFactory(), "limit_mb: 100"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("limit_mb");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new MemoryLimiterProcessorFactory(), "check_interval: 1s"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("processors.memory_limiter.limit_mib");
  }

  @Test
  void factoryIsFoundByServiceLoaderAsTypeMemoryLimiterForEverySignal() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("memory_limiter"))
        .toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof MemoryLimiterProcessorFactory);
    assertThat(found.get(0).signals()).containsExactlyInAnyOrder(Signal.values());
  }

  private static MemoryLimiterProcessorConfig config(Duration interval, long mib, long spikeMib, int pct,
      int spikePct) {
    return new MemoryLimiterProcessorConfig(interval, mib, spikeMib, pct, spikePct, TEN, Duration.ZERO);
  }
}

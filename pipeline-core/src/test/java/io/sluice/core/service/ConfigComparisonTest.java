package io.sluice.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.tls.TlsServerSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ConfigComparisonTest {
  record Rule(Pattern regex, List<String> labels) {}

  record Listener(String endpoint, TlsServerSettings tls, Map<String, Rule> rules, double[] buckets) {}

  record Queue(int size, String storage) {}

  record Exporter(String endpoint, Queue sendingQueue) {}

  private static Listener listener(String regex, TlsServerSettings tls, double... buckets) {
    return new Listener("0.0.0.0:4317", tls, Map.of("a", new Rule(Pattern.compile(regex), List.of("x"))), buckets);
  }

  @Test
  void configsBoundTwiceFromTheSameYamlAreTheSameEvenWithPatternsAndArrays() {
    // Compiled patterns and arrays have identity equality; two loads of one file must still match.
    assertThat(ConfigComparison.same(listener("^up$", null, 1, 2), listener("^up$", null, 1, 2))).isTrue();
    assertThat(ConfigComparison.same(listener("^up$", null, 1, 2), listener("^down$", null, 1, 2))).isFalse();
    assertThat(ConfigComparison.same(listener("^up$", null, 1, 2), listener("^up$", null, 1, 3))).isFalse();
    assertThat(ConfigComparison.same(Pattern.compile("a"), Pattern.compile("a", Pattern.CASE_INSENSITIVE)))
        .isFalse();
    assertThat(ConfigComparison.same(new Queue(1, null), new Queue(2, null))).isFalse();
    assertThat(ConfigComparison.same(Duration.ofSeconds(1), Duration.ofMillis(1000))).isTrue();
  }

  @Test
  void aListenerWhoseTlsChangedMustStopBeforeItsReplacementStarts() {
    TlsServerSettings a = TlsServerSettings.ofFiles("a.crt", "a.key");
    TlsServerSettings b = TlsServerSettings.ofFiles("b.crt", "b.key");
    assertThat(ConfigComparison.mustStopFirst(listener("x", a, 1), listener("y", a, 2)))
        .as("only the rules changed").isFalse();
    assertThat(ConfigComparison.mustStopFirst(listener("x", a), listener("x", b))).isTrue();
    assertThat(ConfigComparison.mustStopFirst(listener("x", null), listener("x", a))).as("TLS turned on").isTrue();
  }

  @Test
  void aComponentWithAStorageExtensionMustStopBeforeItsReplacementStarts() {
    assertThat(ConfigComparison.mustStopFirst(new Exporter("a", new Queue(1, null)), new Exporter("b",
        new Queue(2, null)))).isFalse();
    assertThat(ConfigComparison.mustStopFirst(new Exporter("a", new Queue(1, "file_storage")), new Exporter("b",
        new Queue(1, "file_storage")))).isTrue();
    assertThat(ConfigComparison.mustStopFirst(new Exporter("a", new Queue(1, null)), new Exporter("a",
        new Queue(1, "file_storage")))).isTrue();
  }
}

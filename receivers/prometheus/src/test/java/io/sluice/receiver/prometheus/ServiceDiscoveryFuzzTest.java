package io.sluice.receiver.prometheus;

import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Fuzzing of the target lists the prometheus receiver reads from files ({@code file_sd_configs})
 * and from HTTP endpoints ({@code http_sd_configs}): mutants of target groups in JSON and YAML.
 *
 * <p>Invariants: an HTTP SD body that is not a list of target groups is refused with an
 * IllegalArgumentException saying so; a file is refused with that or SnakeYAML's YAMLException,
 * which the receiver reports as the file's problem; nothing hangs or allocates more than a
 * multiple of its size.
 */
class ServiceDiscoveryFuzzTest {
  static final List<byte[]> SEEDS = List.of(
      ("[{\"targets\":[\"10.0.10.2:9100\",\"10.0.10.3:9100\"],\"labels\":{\"__meta_datacenter\":\"london\","
          + "\"__meta_prometheus_job\":\"node\"}},{\"targets\":[\"10.0.40.2:9100\"],\"labels\":{}},{\"targets\":[]}]")
          .getBytes(StandardCharsets.UTF_8),
      ("- targets: ['localhost:9090', 'host:1234']\n  labels:\n    env: prod\n    team: \"a b\"\n"
          + "- targets:\n    - [::1]:80\n").getBytes(StandardCharsets.UTF_8));
  static final List<String> DICTIONARY = List.of("{", "}", "[", "]", "\"", ",", ":", "null", "1", "true",
      "\"targets\":", "\"labels\":", "- ", "&a ", "*a", "\n", "  ", "!!binary ", "!!python/object ", "1e999999999");

  @Test
  void httpSdBodiesAreTargetGroupsOrRefusedWithAReason() {
    try (FuzzGuard guard = FuzzGuard.of("prometheus-http-sd", IllegalArgumentException.class)) {
      Fuzz.run(guard, Fuzz.tries(20_000), Mutator.of(SEEDS, DICTIONARY, 4),
          input -> guard.run(input, () -> HttpSd.parse(Buffer.buffer(input), "http://sd/targets")));
    }
  }

  @Test
  void fileSdFilesAreTargetGroupsOrRefusedWithAReason() {
    try (FuzzGuard guard = FuzzGuard.of("prometheus-file-sd", IllegalArgumentException.class,
        YAMLException.class)) {
      Fuzz.run(guard, Fuzz.tries(20_000), Mutator.of(SEEDS, DICTIONARY, 4),
          input -> guard.run(input, () -> FileSd.parse(new String(input, StandardCharsets.UTF_8), "/sd/f.yaml")));
    }
  }
}

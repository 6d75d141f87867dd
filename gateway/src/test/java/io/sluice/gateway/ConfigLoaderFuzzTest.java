package io.sluice.gateway;

import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Fuzzing of config loading with every component this build has: the ready configs in
 * {@code config/} and the CLI test configs, mutated as bytes (broken YAML) and as trees (a value
 * replaced by one of another type or an odd one, keys dropped, renamed or added, lists and maps
 * swapped, environment references), each loaded as {@code sluice validate} loads it.
 *
 * <p>Invariants: loading either succeeds or throws {@link ConfigException}, and every problem it
 * lists names the file and a line (a location the user can go to); no config hangs the loader or
 * makes it allocate more than a multiple of its size.
 */
class ConfigLoaderFuzzTest {
  private static final Factories FACTORIES = Factories.load();
  private static final ConfigLoader LOADER = new ConfigLoader(FACTORIES, Map.of("HOST", "localhost",
      "PORT", "4317", "EMPTY", ""));

  /** Loads every seed once, so that the first inputs do not pay for loading classes under the time bound. */
  @org.junit.jupiter.api.BeforeAll
  static void warmUp() {
    for (byte[] s : seeds()) {
      try {
        LOADER.loadYaml("warm-up.yaml", new String(s, StandardCharsets.UTF_8));
      } catch (ConfigException e) {
        // some seeds are invalid on purpose
      }
    }
  }

  static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    for (Path dir : List.of(Path.of("..", "config"), Path.of("src", "test", "resources", "cli"))) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
          seeds.add(Files.readAllBytes(f));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (seeds.size() < 8) {
      throw new AssertionError("expected the configs of config/ and src/test/resources/cli, found " + seeds.size());
    }
    return seeds;
  }

  private static void check(FuzzGuard guard, byte[] input) {
    FuzzGuard.Outcome<Object> o = guard.run(input,
        () -> LOADER.loadYaml("fuzz.yaml", new String(input, StandardCharsets.UTF_8)));
    if (o.accepted()) {
      return;
    }
    for (ConfigError e : ((ConfigException) o.rejected()).errors()) {
      if (!e.file().equals("fuzz.yaml") || e.line() <= 0 || e.message().isBlank()) {
        throw guard.failure("gave a problem without a location: \"" + e + "\"", input);
      }
    }
  }

  @Test
  void mutatedConfigFilesLoadOrListTheirProblemsWithLocations() {
    try (FuzzGuard guard = FuzzGuard.of("config-yaml", ConfigException.class).allocating(512, 64L << 20)) {
      Fuzz.run(guard, Fuzz.tries(4_000), Mutator.of(seeds(), List.of(":", " ", "\n", "- ", "  ", "{", "}", "[",
          "]", "&a ", "*a", "<<: *a\n", "!!binary ", "${env:HOST}", "${", "$$", "'", "\"", "#", "\t", "? ", "|\n",
          "---\n", "%YAML 1.1\n", "receivers:\n", "exporters:\n", "service:\n", "pipelines:\n"), 4),
          input -> check(guard, input));
    }
  }

  @Test
  void configTreesWithOddValuesLoadOrListTheirProblemsWithLocations() {
    List<Object> trees = new ArrayList<>();
    for (byte[] s : seeds()) {
      trees.add(new Yaml().load(new String(s, StandardCharsets.UTF_8)));
    }
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    try (FuzzGuard guard = FuzzGuard.of("config-tree", ConfigException.class).allocating(512, 64L << 20)) {
      Fuzz.run(guard, Fuzz.tries(1_500), r -> {
        Object tree = copy(trees.get(r.nextInt(trees.size())));
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits; i++) {
          tree = mutate(tree, r, 0);
        }
        return new Yaml(options).dump(tree).getBytes(StandardCharsets.UTF_8);
      }, input -> check(guard, input));
    }
  }

  private static Object copy(Object o) {
    if (o instanceof Map<?, ?> m) {
      Map<Object, Object> c = new LinkedHashMap<>();
      m.forEach((k, v) -> c.put(k, copy(v)));
      return c;
    }
    if (o instanceof List<?> l) {
      List<Object> c = new ArrayList<>();
      l.forEach(v -> c.add(copy(v)));
      return c;
    }
    return o;
  }

  /** Changes one random place of the tree. */
  @SuppressWarnings("unchecked")
  private static Object mutate(Object o, Random r, int depth) {
    if (o instanceof Map<?, ?> m && !m.isEmpty() && r.nextInt(5) > 0) {
      Map<Object, Object> map = (Map<Object, Object>) m;
      List<Object> keys = new ArrayList<>(map.keySet());
      Object key = keys.get(r.nextInt(keys.size()));
      switch (r.nextInt(8)) {
        case 0 -> map.remove(key);
        case 1 -> map.put(key + (r.nextBoolean() ? "_x" : "/b"), map.get(key));
        case 2 -> map.put(r.nextBoolean() ? "unknown_key" : "", oddValue(r));
        default -> map.put(key, mutate(map.get(key), r, depth + 1));
      }
      return map;
    }
    if (o instanceof List<?> l && !l.isEmpty() && r.nextInt(5) > 0) {
      List<Object> list = (List<Object>) l;
      int i = r.nextInt(list.size());
      switch (r.nextInt(5)) {
        case 0 -> list.remove(i);
        case 1 -> list.add(list.get(i));
        default -> list.set(i, mutate(list.get(i), r, depth + 1));
      }
      return list;
    }
    return oddValue(r);
  }

  private static Object oddValue(Random r) {
    return copy(anyValue(r)); // mutable, for later edits
  }

  private static Object anyValue(Random r) {
    return switch (r.nextInt(16)) {
      case 0 -> null;
      case 1 -> r.nextBoolean();
      case 2 -> r.nextLong();
      case 3 -> r.nextInt(70000) - 1;
      case 4 -> r.nextDouble() * 1e300;
      case 5 -> List.of();
      case 6 -> Map.of();
      case 7 -> List.of("a", 1, Map.of("k", "v"));
      case 8 -> Map.of("endpoint", "localhost:4317", "x", List.of());
      case 9 -> "${env:HOST}:${PORT}";
      case 10 -> "${env:MISSING:-}${";
      case 11 -> new String[] {"5x", "-1s", "1e400", "0x7fffffffffffffff", "99999999999999999999", "1h2m3.5s",
          "NaN", ".inf", "~", "", " ", "\u0000", "otlp/", "type/name/extra", "http://[::1", ":-1",
          "localhost:99999", "1Gi", "200%", "-5", "true"}[r.nextInt(21)];
      case 12 -> "x".repeat(r.nextInt(300));
      default -> Integer.toString(r.nextInt(100));
    };
  }
}

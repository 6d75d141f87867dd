package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.sluice.core.telemetry.SelfMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Docker deployment in {@code docker/}: the compose file validates with a real
 * {@code docker-compose} (offline, no engine: Debian's 1.29, which {@code bin/test} installs), the
 * files it mounts exist, the Dockerfile has its stages, user and health check, and the Grafana
 * dashboard asks for metrics the gateway has.
 */
class DockerFilesTest {
  private static final Set<String> SERVICES = Set.of("sluice", "prometheus", "loki", "jaeger", "grafana", "kafka",
      "load");

  static Path repo() {
    return ConfigFilesTest.configDir().getParent();
  }

  record Result(int exitCode, String out, String err) {}

  /** Runs {@code docker-compose -f docker/compose.yaml ARGS...} in the repository. */
  static Result compose(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", "docker/compose.yaml"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("compose", ".out");
    Path err = Files.createTempFile("compose", ".err");
    try {
      Process p;
      try {
        p = new ProcessBuilder(command).directory(repo().toFile())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      } catch (IOException e) {
        throw new AssertionError("docker-compose is not installed, so docker/compose.yaml cannot be validated;"
            + " bin/test installs it, or: apt-get install -y --no-install-recommends docker-compose", e);
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " did not finish within 120 s");
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node, String what) {
    assertThat(node).as(what).isInstanceOf(Map.class);
    return (Map<String, Object>) node;
  }

  @Test
  @SuppressWarnings("unchecked")
  void theComposeFileValidatesAndHasTheStacksServices() throws Exception {
    Result config = compose("config");
    assertThat(config.exitCode()).as("docker-compose config exit code; stderr:\n%s", config.err()).isZero();
    Map<String, Object> services = map(map(new Yaml().load(config.out()), "resolved compose file").get("services"),
        "services");
    assertThat(services.keySet()).containsExactlyInAnyOrderElementsOf(SERVICES);

    Result names = compose("config", "--services");
    assertThat(names.exitCode()).as("stderr:\n%s", names.err()).isZero();
    assertThat(names.out().lines().collect(Collectors.toSet())).isEqualTo(SERVICES);
    Result withLoad = compose("--profile", "load", "config", "--services");
    assertThat(withLoad.exitCode()).as("--profile load; stderr:\n%s", withLoad.err()).isZero();
    assertThat(withLoad.out().lines().collect(Collectors.toSet())).contains("load", "sluice");

    assertThat((List<String>) map(services.get("prometheus"), "prometheus").get("command"))
        .contains("--web.enable-remote-write-receiver");
    Map<String, Object> load = map(services.get("load"), "load");
    assertThat((List<String>) load.get("profiles")).containsExactly("load");
    assertThat(map(load.get("build"), "load.build")).containsEntry("target", "load")
        .containsEntry("dockerfile", "docker/Dockerfile");
    assertThat((List<String>) load.get("command")).containsSequence("--endpoint", "sluice:4317");
    Map<String, Object> sluice = map(services.get("sluice"), "sluice");
    assertThat(map(sluice.get("build"), "sluice.build")).containsEntry("dockerfile", "docker/Dockerfile");
    assertThat((List<String>) sluice.get("command")).containsExactly("--config", "/sluice/config/docker.yaml");

    // Every file or directory the stack mounts from the checkout is there (docker-compose resolves
    // the relative paths); a missing one would be created empty by the engine and fail quietly.
    List<String> binds = new ArrayList<>();
    for (Object service : services.values()) {
      for (Object volume : (List<Object>) map(service, "service").getOrDefault("volumes", List.of())) {
        String source = volume instanceof String s ? s.substring(0, s.indexOf(':'))
            : String.valueOf(map(volume, "volume").get("source"));
        if (source.startsWith("/")) {
          binds.add(source);
        }
      }
    }
    assertThat(binds).as("bind mounts").isNotEmpty();
    assertThat(binds).allSatisfy(b -> assertThat(Path.of(b)).exists());
    assertThat(binds).contains(repo().resolve("config").toString());
    assertThat(Path.of(repo().toString(), "config", "docker.yaml")).exists();
  }

  @Test
  void theDockerfileBuildsFromSourcesAndRunsAsANonRootUserWithAHealthCheck() throws IOException {
    List<String> lines = Files.readAllLines(repo().resolve("docker/Dockerfile"), StandardCharsets.UTF_8);
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).as("stages").anyMatch(l -> l.matches("FROM maven:\\S*17\\S* AS build"))
        .anyMatch(l -> l.equals("FROM build AS load-build"))
        .anyMatch(l -> l.matches("FROM eclipse-temurin:17-jre AS load"));
    assertThat(froms.get(froms.size() - 1)).as("the last stage, the default target")
        .isEqualTo("FROM eclipse-temurin:17-jre AS runtime");
    List<String> runtime = lines.subList(lines.indexOf(froms.get(froms.size() - 1)), lines.size());
    assertThat(lines).anyMatch(l -> l.contains("mvn -B") && l.contains("-DskipTests") && l.contains("-pl gateway -am"));
    assertThat(runtime).anyMatch(l -> l.matches("USER 10001(:10001)?"))
        .noneMatch(l -> l.matches("USER (root|0)\\b.*"))
        .anyMatch(l -> l.startsWith("HEALTHCHECK ")).anyMatch(l -> l.contains("/dev/tcp/127.0.0.1/13133"))
        .anyMatch(l -> l.equals("ENTRYPOINT [\"/sluice/bin/sluice\"]"))
        .anyMatch(l -> l.contains("-XX:ArchiveClassesAtExit=/sluice/sluice.jsa"))
        .anyMatch(l -> l.contains("SLUICE_JAR=/sluice/sluice.jar"));
    // What the Dockerfile copies from the build context is in a clean checkout and not ignored.
    List<String> ignored = Files.readAllLines(repo().resolve(".dockerignore")).stream()
        .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    assertThat(ignored).contains(".git", "**/target");
    for (String line : lines) {
      if (line.startsWith("COPY ") && !line.startsWith("COPY --from")) {
        String source = line.split("\\s+")[1];
        assertThat(source.equals(".") || Files.exists(repo().resolve(source))).as(line).isTrue();
        assertThat(ignored).as(line).doesNotContain(source);
      }
    }
  }

  @Test
  void grafanaHasTheStacksDataSourcesAndADashboardOfMetricsTheGatewayHas() throws IOException {
    Path grafana = repo().resolve("docker/grafana");
    Map<String, Object> sources = map(new Yaml().load(
        Files.readString(grafana.resolve("provisioning/datasources/sluice-stack.yaml"))), "data sources");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> list = (List<Map<String, Object>>) sources.get("datasources");
    assertThat(list).extracting(m -> m.get("type") + " " + m.get("url")).containsExactlyInAnyOrder(
        "prometheus http://prometheus:9090", "loki http://loki:3100", "jaeger http://jaeger:16686");

    JsonNode dashboard = new ObjectMapper().readTree(grafana.resolve("dashboards/sluice.json").toFile());
    Set<String> used = new TreeSet<>();
    Pattern name = Pattern.compile("\\b((?:sluice|process)_[a-z_]+)\\b");
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        Matcher m = name.matcher(target.get("expr").asText());
        while (m.find()) {
          used.add(m.group(1).replaceAll("_(total|bucket)$", ""));
        }
      }
    }
    Set<String> exposed = new TreeSet<>();
    for (MetricSnapshot s : new SelfMetrics().registry().scrape()) {
      exposed.add(s.getMetadata().getPrometheusName());
    }
    assertThat(used).as("metrics the dashboard shows").contains("sluice_receiver_accepted_items",
        "sluice_exporter_sent_items", "sluice_exporter_queue_size", "sluice_receiver_refused_items",
        "sluice_process_heap_used_bytes", "process_resident_memory_bytes");
    assertThat(exposed).as("metrics the gateway exposes").containsAll(used);
  }
}

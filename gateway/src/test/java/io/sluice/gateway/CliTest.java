package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code sluice} command line: exit codes and what it prints. */
class CliTest {
  /** The outcome of one command: exit code, standard output and standard error. */
  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  static Path resource(String name) {
    try {
      return Path.of(CliTest.class.getResource("/cli/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("test resource /cli/" + name + " is missing", e);
    }
  }

  @Test
  void validateAcceptsAValidConfigWithExitCode0() {
    Path good = resource("good.yaml");
    Result r = run("validate", "--config", good.toString());
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
    assertThat(r.out()).contains("Config is valid").contains(good.toString());
    assertThat(r.err()).isEmpty();
  }

  @Test
  void theCollectorsNewerExporterNamesLoadBesideTheOlderOnes() {
    Result r = run("validate", "--config", resource("collector-new-names.yaml").toString());
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
  }

  @Test
  void aConfigWithTheKeysCollectorUsersWriteLoads() {
    Result r = run("validate", "--config", resource("collector-keys.yaml").toString());
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
    assertThat(r.out()).contains("exporters.otlp.read_buffer_size: ")
        .contains("exporters.prometheusremotewrite.max_batch_request_parallelism: ");
  }

  @Test
  void validateListsTheKeysThatHaveNoEffectWithTheirPaths() {
    Result r = run("validate", "--config", resource("prometheus-no-effect.yaml").toString());
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
    assertThat(r.out()).contains("Config is valid").contains("no effect in Sluice:")
        .contains("receivers.prometheus.config.rule_files")
        .contains("receivers.prometheus.config.scrape_configs[0].scrape_native_histograms");
  }

  @Test
  void mainRunReturns0ForAValidConfigUnderValidate() {
    assertThat(Main.run("validate", "--config", resource("good.yaml").toString())).isZero();
  }

  @Test
  void validateReportsAnUnknownKeyWithFileLineAndKeyPath() {
    Path file = resource("unknown-key.yaml");
    Result r = run("validate", "--config", file.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains(file + ":9:")
        .contains("processors.batch.frobnicate")
        .contains("unknown key")
        // says what would be valid
        .contains("send_batch_size");
    assertThat(r.out()).doesNotContain("Config is valid");
  }

  @Test
  void validateReportsAValueOfTheWrongTypeWithFileLineAndKeyPath() {
    Path file = resource("wrong-type.yaml");
    Result r = run("validate", "--config", file.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains(file + ":10:")
        .contains("exporters.file.rotation.max_megabytes")
        .contains("\"lots\"");
  }

  @Test
  void validateReportsAnUndefinedPipelineComponentWithFileLineAndKeyPath() {
    Path file = resource("undefined-component.yaml");
    Result r = run("validate", "--config", file.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains(file + ":12:")
        .contains("service.pipelines.metrics.exporters")
        .contains("\"otlp/upstream\"")
        .contains("debug");
  }

  @Test
  void validateReportsEveryProblemAtOnceEachWithItsOwnFileWhenConfigsAreMerged() {
    Path a = resource("unknown-key.yaml");
    Path b = resource("wrong-type.yaml");
    Result r = run("validate", "--config", a.toString(), "--config", b.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .contains(a + ":9:").contains("processors.batch.frobnicate")
        .contains(b + ":10:").contains("exporters.file.rotation.max_megabytes");
  }

  @Test
  void validateNamesAMissingConfigFile() {
    Result r = run("validate", "--config", "does-not-exist.yaml");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("does-not-exist.yaml").contains("not found");
  }

  @Test
  void runningWithAnInvalidConfigExits2BeforeStartingAnything() {
    Path file = resource("unknown-key.yaml");
    Result r = run("--config", file.toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(file + ":9:").contains("processors.batch.frobnicate");
  }

  @Test
  void anInvalidShutdownTimeoutIsAUsageErrorNamingTheOption() {
    Result r = run("--config", resource("good.yaml").toString(), "--shutdown-timeout", "soon");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("--shutdown-timeout").contains("soon");
  }

  @Test
  void componentsListsEveryComponentTypeOfThisBuildUnderItsKind() {
    Result r = run("components");
    assertThat(r.exitCode()).isZero();
    Map<String, List<String>> byKind = sections(r.out());
    assertThat(byKind.get("receivers")).contains("otlp");
    assertThat(byKind.get("processors")).contains("batch", "memory_limiter");
    assertThat(byKind.get("exporters")).contains("debug", "file", "otlp", "otlphttp");
    assertThat(r.out()).contains("otlp (also otlp_grpc)");
    assertThat(byKind.get("connectors")).contains("spanmetrics");
    assertThat(byKind.get("extensions")).contains("health_check");
  }

  /** "kind:" headers with "  type  [signals]" lines under them, as the components command prints. */
  private static Map<String, List<String>> sections(String text) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String current = null;
    for (String line : text.lines().toList()) {
      if (!line.startsWith(" ") && line.endsWith(":")) {
        current = line.substring(0, line.length() - 1);
        out.put(current, new java.util.ArrayList<>());
      } else if (current != null && !line.isBlank()) {
        out.get(current).add(line.trim().split("\\s+")[0]);
      }
    }
    return out;
  }

  @Test
  void versionPrintsTheVersion() {
    Result r = run("--version");
    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("sluice ").contains("Java ");
    assertThat(r.out().lines().findFirst().orElseThrow()).matches("sluice \\S+");
  }

  @Test
  void anUnknownSubcommandIsAUsageError() {
    Result r = run("frobnicate");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate");
  }
}

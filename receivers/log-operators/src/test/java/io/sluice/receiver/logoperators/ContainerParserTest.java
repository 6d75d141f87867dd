package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContainerParserTest {
  private static final String PATH =
      "/var/log/pods/some-ns_kube-controller-kind-control-plane_49cc7c1fd3702c40b2686ea7486091d6/kube-controller/1.log";

  private static final Map<String, Object> K8S = Map.of(
      "k8s.namespace.name", "some-ns",
      "k8s.pod.name", "kube-controller-kind-control-plane",
      "k8s.pod.uid", "49cc7c1fd3702c40b2686ea7486091d6",
      "k8s.container.name", "kube-controller",
      "k8s.container.restart_count", "1");

  private static LogEntry line(String body) {
    return line(body, PATH);
  }

  private static LogEntry line(String body, String path) {
    LogEntry e = new LogEntry(body);
    if (path != null) {
      e.attributes().put("log.file.path", path);
    }
    return e;
  }

  private static long nanos(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                   | {\"log\":\"INFO: log line here\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-30T08:31:20.545192187Z\"} | INFO: log line here | stdout | 2024-03-30T08:31:20.545192187Z | ",
      "docker               | {\"log\":\"no newline\",\"stream\":\"stderr\",\"time\":\"2024-03-30T08:31:20Z\"}                 | no newline          | stderr | 2024-03-30T08:31:20Z           | ",
      "''                   | 2024-04-13T07:59:37.505201169-05:00 stdout F standalone crio line which is awesome                 | standalone crio line which is awesome | stdout | 2024-04-13T12:59:37.505201169Z | F",
      "crio                 | 2024-04-13T07:59:37.505201169-05:00 stderr F x y z                                                 | x y z               | stderr | 2024-04-13T12:59:37.505201169Z | F",
      "containerd           | 2023-06-22T10:27:25.813799277Z stdout F standalone containerd line that is super awesome           | standalone containerd line that is super awesome | stdout | 2023-06-22T10:27:25.813799277Z | F",
      "''                   | 2023-06-22T10:27:25.813799277Z stdout F                                                            | ''                  | stdout | 2023-06-22T10:27:25.813799277Z | F"})
  void parsesEachFormatWithKubernetesMetadata(String format, String body, String log, String stream, String time,
      String tag) {
    Ops ops = Ops.of("- type: container\n" + (format.isEmpty() ? "" : "  format: " + format + "\n"));
    LogEntry e = ops.one(line(body.strip()));
    assertThat(ops.failures).isEmpty();
    assertThat(e.body()).isEqualTo(log);
    assertThat(e.attributes()).containsEntry("log.iostream", stream).containsEntry("log.file.path", PATH);
    if (tag != null) {
      assertThat(e.attributes()).containsEntry("logtag", tag);
    } else {
      assertThat(e.attributes()).doesNotContainKey("logtag").doesNotContainKey("time").doesNotContainKey("log");
    }
    assertThat(e.timestamp()).isEqualTo(nanos(time));
    assertThat(e.resource()).containsExactlyInAnyOrderEntriesOf(K8S);
  }

  @Test
  void partialCriLinesAreJoinedUntilTheFinalPart() {
    Ops ops = Ops.of("- type: container\n");
    assertThat(ops.run(line("2023-06-22T10:27:25.813799277Z stdout P multiline containerd line that i"))).isEmpty();
    assertThat(ops.run(line("2023-06-22T10:27:25.813799278Z stdout P s su"))).isEmpty();
    LogEntry e = ops.one(line("2023-06-22T10:27:25.813799279Z stdout F per awesome"));
    assertThat(e.body()).isEqualTo("multiline containerd line that is super awesome");
    assertThat(e.attributes()).containsEntry("logtag", "F");
    assertThat(e.timestamp()).isEqualTo(nanos("2023-06-22T10:27:25.813799279Z"));
    assertThat(e.resource()).containsAllEntriesOf(K8S);
  }

  @Test
  void partialLinesOfDifferentStreamsAndFilesDoNotMix() {
    Ops ops = Ops.of("- type: container\n");
    String other = PATH.replace("/1.log", "/2.log");
    assertThat(ops.run(line("2023-06-22T10:27:25Z stdout P out-a "))).isEmpty();
    assertThat(ops.run(line("2023-06-22T10:27:25Z stderr P err-a "))).isEmpty();
    assertThat(ops.run(line("2023-06-22T10:27:25Z stdout P other-a ", other))).isEmpty();
    assertThat(ops.one(line("2023-06-22T10:27:26Z stderr F err-b")).body()).isEqualTo("err-a err-b");
    assertThat(ops.one(line("2023-06-22T10:27:26Z stdout F other-b", other)).body()).isEqualTo("other-a other-b");
    assertThat(ops.one(line("2023-06-22T10:27:26Z stdout F out-b")).body()).isEqualTo("out-a out-b");
  }

  @Test
  void flushSendsHeldBackParts() {
    Ops ops = Ops.of("- type: container\n");
    assertThat(ops.run(line("2023-06-22T10:27:25Z stdout P first part, "))).isEmpty();
    assertThat(ops.run(line("2023-06-22T10:27:26Z stdout P second part"))).isEmpty();
    List<LogEntry> out = new ArrayList<>();
    ops.pipeline.flush(out::add);
    assertThat(out).singleElement().satisfies(e -> assertThat(e.body()).isEqualTo("first part, second part"));
    out.clear();
    ops.pipeline.flush(out::add);
    assertThat(out).isEmpty();
  }

  @Test
  void partsPastMaxLogSizeAreSentEarly() {
    Ops ops = Ops.of("- type: container\n  max_log_size: 10\n");
    assertThat(ops.run(line("2023-06-22T10:27:25Z stdout P 12345"))).isEmpty();
    assertThat(ops.one(line("2023-06-22T10:27:25Z stdout P 67890")).body()).isEqualTo("1234567890");
    assertThat(ops.one(line("2023-06-22T10:27:25Z stdout F end")).body()).isEqualTo("end");
  }

  @Test
  void windowsPathsGiveTheSameMetadata() {
    String windows = "C:\\var\\log\\pods\\some-ns_kube-controller-kind-control-plane_49cc7c1fd3702c40b2686ea7486091d6"
        + "\\kube-controller\\1.log";
    assertThat(Ops.of("- type: container\n").one(line("2023-06-22T10:27:25Z stdout F hi", windows)).resource())
        .containsExactlyInAnyOrderEntriesOf(K8S);
  }

  @Test
  void metadataCanBeSwitchedOffAndThenNoPathIsNeeded() {
    Ops ops = Ops.of("- type: container\n  add_metadata_from_filepath: false\n");
    LogEntry e = ops.one(line("2023-06-22T10:27:25Z stdout F hi", null));
    assertThat(e.body()).isEqualTo("hi");
    assertThat(e.hasResource()).isFalse();
    assertThat(ops.failures).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "plain text line                                        | " + PATH,
      "{\"log\":\"x\"}                                         | " + PATH,
      "{\"log\":\"x\",\"time\":\"yesterday\"}                  | " + PATH,
      "not-a-time stdout F x                                   | " + PATH,
      "2023-06-22T10:27:25Z stdout F x                         | NULL",
      "2023-06-22T10:27:25Z stdout F x                         | /var/log/app/app.log"})
  void malformedLinesAndPathsAreErrorsAndTheLineGoesOnUnchanged(String body, String path) {
    Ops ops = Ops.of("- type: container\n");
    LogEntry e = ops.one(line(body.strip(), path));
    assertThat(e.body()).isEqualTo(body.strip());
    assertThat(e.timestamp()).isZero();
    assertThat(e.hasResource()).isFalse();
    assertThat(ops.failures).hasSize(1);
  }

  @Test
  void aDockerFormatOperatorRefusesCriLines() {
    Ops ops = Ops.of("- type: container\n  format: docker\n  on_error: drop_quiet\n");
    assertThat(ops.run(line("2023-06-22T10:27:25Z stdout F x"))).isEmpty();
    assertThat(ops.failures).singleElement().satisfies(f -> assertThat(f.quiet()).isTrue());
  }

  @Test
  void embeddedSeverityRunsOnTheJoinedLine() {
    Ops ops = Ops.of("""
        - type: container
          severity:
            parse_from: body
            mapping:
              error: "boom"
        """);
    ops.run(line("2023-06-22T10:27:25Z stdout P bo"));
    assertThat(ops.one(line("2023-06-22T10:27:25Z stdout F om")).severityNumber()).isEqualTo(17);
  }
}

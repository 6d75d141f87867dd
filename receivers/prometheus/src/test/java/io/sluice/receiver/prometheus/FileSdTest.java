package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSdTest {
  @Test
  void readsJsonAndYamlTargetGroupsWithTheirFilePath(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("a.json");
    Files.writeString(json, "[{\"targets\": [\"h1:1\", \"h2:2\"], \"labels\": {\"env\": \"prod\"}}]");
    Path yaml = dir.resolve("b.yaml");
    Files.writeString(yaml, "- targets: [h3:3]\n");
    Files.writeString(dir.resolve("ignored.txt"), "not a target file");
    FileSd.Snapshot s = FileSd.read(List.of(dir.resolve("*.json").toString(), yaml.toString()));
    assertThat(s.problems()).isEmpty();
    assertThat(s.groups()).hasSize(2);
    assertThat(s.groups().get(0).targets()).containsExactly("h1:1", "h2:2");
    assertThat(s.groups().get(0).labels()).containsEntry("env", "prod")
        .containsEntry(FileSd.META_FILEPATH, json.toString());
    assertThat(s.groups().get(1).targets()).containsExactly("h3:3");
  }

  @Test
  void aFileThatDoesNotParseIsReportedAndTheOthersAreKept(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("good.json"), "[{\"targets\": [\"h:1\"]}]");
    Files.writeString(dir.resolve("bad.json"), "{\"targets\": \"h:1\"}");
    FileSd.Snapshot s = FileSd.read(List.of(dir.resolve("*.json").toString()));
    assertThat(s.groups()).hasSize(1);
    assertThat(s.problems()).singleElement().asString().contains("bad.json");
  }

  @Test
  void refusesBadTargetsAndLabels() {
    assertThatThrownBy(() -> FileSd.parse("[{\"targets\": [\"http://h:1\"]}]", "f"))
        .hasMessageContaining("leave out the scheme");
    assertThatThrownBy(() -> FileSd.parse("[{\"targets\": [\"h:1\"], \"labels\": {\"\": \"x\"}}]", "f"))
        .hasMessageContaining("empty label name");
    // label names are UTF-8, as in Prometheus 3
    assertThat(FileSd.parse("[{\"targets\": [\"h:1\"], \"labels\": {\"service.name\": \"x\"}}]", "f"))
        .singleElement().satisfies(g -> assertThat(g.labels()).containsEntry("service.name", "x"));
  }

  @Test
  void theFingerprintChangesWhenAFileIsAddedOrRemoved(@TempDir Path dir) throws Exception {
    List<String> patterns = List.of(dir.resolve("*.json").toString());
    String empty = FileSd.fingerprint(patterns);
    Files.writeString(dir.resolve("a.json"), "[]");
    String one = FileSd.fingerprint(patterns);
    assertThat(one).isNotEqualTo(empty);
    Files.delete(dir.resolve("a.json"));
    assertThat(FileSd.fingerprint(patterns)).isEqualTo(empty);
  }
}

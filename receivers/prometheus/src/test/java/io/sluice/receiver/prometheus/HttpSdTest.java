package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.sluice.receiver.prometheus.Targets.Group;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpSdTest {
  private static final String URL = "http://sd.example:8080/targets";

  @Test
  void readsTargetGroupsAndAddsTheUrlAsMetaLabel() {
    List<Group> groups = HttpSd.parse(Buffer.buffer("""
        [ { "targets": ["h1:1", "h2:2"], "labels": { "env": "prod", "__meta_dc": "a" } },
          { "targets": ["h3:3"] } ]
        """), URL);
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0).targets()).containsExactly("h1:1", "h2:2");
    assertThat(groups.get(0).labels()).containsEntry("env", "prod").containsEntry("__meta_dc", "a")
        .containsEntry(HttpSd.META_URL, URL);
    assertThat(groups.get(1).labels()).containsExactly(entry(HttpSd.META_URL, URL));
    assertThat(HttpSd.parse(Buffer.buffer("[]"), URL)).isEmpty();
  }

  @Test
  void refusesBodiesThatAreNotJsonListsOfTargetGroups() {
    assertThatThrownBy(() -> HttpSd.parse(Buffer.buffer("- targets: [h:1]\n"), URL)).hasMessageContaining("JSON");
    assertThatThrownBy(() -> HttpSd.parse(Buffer.buffer(""), URL)).hasMessageContaining("JSON");
    assertThatThrownBy(() -> HttpSd.parse(Buffer.buffer("{\"targets\": [\"h:1\"]}"), URL))
        .hasMessageContaining("list of target groups");
    assertThatThrownBy(() -> HttpSd.parse(Buffer.buffer("[{\"targets\": [\"http://h:1\"]}]"), URL))
        .hasMessageContaining("leave out the scheme");
    assertThatThrownBy(() -> HttpSd.parse(Buffer.buffer("[{\"targets\": [\"h:1\"], \"labels\": {\"\": \"x\"}}]"),
        URL)).hasMessageContaining("empty label name");
  }

  @Test
  void acceptsOnlyJsonContentTypes() {
    assertThat(HttpSd.isJson("application/json")).isTrue();
    assertThat(HttpSd.isJson("application/json; charset=utf-8")).isTrue();
    assertThat(HttpSd.isJson("Application/JSON")).isTrue();
    assertThat(HttpSd.isJson("text/plain")).isFalse();
    assertThat(HttpSd.isJson(null)).isFalse();
  }
}

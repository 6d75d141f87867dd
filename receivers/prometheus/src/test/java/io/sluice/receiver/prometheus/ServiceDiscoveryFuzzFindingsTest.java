package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Inputs the service discovery fuzz targets found, each the minimal form of one finding. */
class ServiceDiscoveryFuzzFindingsTest {
  /**
   * Found by prometheus-file-sd: SnakeYAML's ClassCastException on a "!!binary" tag on a list
   * escaped, and the file's problem read "class ...SequenceNode cannot be cast to class ...".
   */
  @Test
  void aBinaryTagOnAListIsRefusedAsAnInvalidFile() {
    assertThatThrownBy(() -> FileSd.parse("[{\"\":!!binary []}]", "/sd/f.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a valid YAML or JSON list of target groups: ");
  }
}

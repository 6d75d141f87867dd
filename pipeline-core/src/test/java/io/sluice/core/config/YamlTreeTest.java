package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.YamlNode.ListNode;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import io.sluice.core.config.YamlNode.ScalarType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class YamlTreeTest {
  private static MapNode parse(String name, String yaml) {
    List<ConfigError> errors = new ArrayList<>();
    YamlNode n = YamlTree.parse(name, yaml, errors);
    assertThat(errors).isEmpty();
    return (MapNode) n;
  }

  @Test
  void plainScalarsAreTypedByTheYaml12CoreSchema() {
    MapNode m = parse("a.yaml", """
        a: 12
        b: -0x1F
        c: 1.5
        d: true
        e: yes
        f: ~
        g:
        h: "12"
        i: on
        j: .inf
        k: 1_000
        l: !!str 12
        """);
    assertThat(((Scalar) m.get("a")).type()).isEqualTo(ScalarType.INT);
    assertThat(((Scalar) m.get("b")).integerValue()).hasToString("-31");
    assertThat(((Scalar) m.get("c")).type()).isEqualTo(ScalarType.FLOAT);
    assertThat(((Scalar) m.get("d")).type()).isEqualTo(ScalarType.BOOL);
    assertThat(((Scalar) m.get("e")).type()).as("yes is a string in YAML 1.2").isEqualTo(ScalarType.STRING);
    assertThat(((Scalar) m.get("f")).type()).isEqualTo(ScalarType.NULL);
    assertThat(((Scalar) m.get("g")).type()).isEqualTo(ScalarType.NULL);
    assertThat(((Scalar) m.get("h")).type()).isEqualTo(ScalarType.STRING);
    assertThat(((Scalar) m.get("i")).type()).isEqualTo(ScalarType.STRING);
    assertThat(((Scalar) m.get("j")).type()).isEqualTo(ScalarType.FLOAT);
    assertThat(((Scalar) m.get("k")).integerValue()).hasToString("1000");
    assertThat(((Scalar) m.get("l")).type()).isEqualTo(ScalarType.STRING);
  }

  @Test
  void binaryScalarsAreDecodedAndMustBeUtf8Text() {
    MapNode m = parse("a.yaml", "!!binary aGVsbG8=: !!binary |\n  d29y\n  bGQ=\n");
    assertThat(((Scalar) m.get("hello")).text()).isEqualTo("world");
    List<ConfigError> errors = new ArrayList<>();
    YamlTree.parse("b.yaml", "labels:\n  !!binary \"/w==\": x\n  y: !!binary \"/w==$1\"\n", errors);
    assertThat(errors).extracting(ConfigError::toString).containsExactly(
        "b.yaml:2:3: !!binary value \"/w==\" is not valid UTF-8 text; config keys and values must be UTF-8",
        "b.yaml:3:6: !!binary value contains invalid base64 data: \"/w==$1\"");
  }

  @Test
  void everyNodeKnowsItsFileLineAndColumn() {
    MapNode m = parse("a.yaml", "top:\n  list:\n    - x\n    - y\n");
    YamlNode.Entry list = ((MapNode) m.get("top")).entries().get("list");
    assertThat(list.keyLocation()).isEqualTo(new YamlNode.Location("a.yaml", 2, 3));
    assertThat(((ListNode) list.value()).items().get(1).location()).isEqualTo(new YamlNode.Location("a.yaml", 4, 7));
  }

  @Test
  void mergeDeepMergesMapsAndReplacesListsAndScalars() {
    MapNode base = parse("base.yaml", "a:\n  b: 1\n  c: [1, 2]\n  d: {e: 1}\nkeep: x\n");
    MapNode over = parse("over.yaml", "a:\n  b: 2\n  c: [3]\n  d: {f: 2}\n");

    MapNode merged = (MapNode) YamlTree.merge(base, over);
    MapNode a = (MapNode) merged.get("a");
    assertThat(((Scalar) a.get("b")).text()).isEqualTo("2");
    assertThat(a.get("b").location().file()).isEqualTo("over.yaml");
    assertThat(((ListNode) a.get("c")).items()).hasSize(1);
    assertThat(((MapNode) a.get("d")).entries()).containsOnlyKeys("e", "f");
    assertThat(merged.get("keep").location().file()).isEqualTo("base.yaml");
  }

  @Test
  void emptyDocumentIsAnEmptyMap() {
    assertThat(parse("e.yaml", "# only a comment\n").entries()).isEmpty();
  }
}

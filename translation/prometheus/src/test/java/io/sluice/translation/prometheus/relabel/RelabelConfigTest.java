package io.sluice.translation.prometheus.relabel;

import static io.sluice.translation.prometheus.relabel.RelabelAction.DROPEQUAL;
import static io.sluice.translation.prometheus.relabel.RelabelAction.HASHMOD;
import static io.sluice.translation.prometheus.relabel.RelabelAction.KEEP;
import static io.sluice.translation.prometheus.relabel.RelabelAction.KEEPEQUAL;
import static io.sluice.translation.prometheus.relabel.RelabelAction.LABELDROP;
import static io.sluice.translation.prometheus.relabel.RelabelAction.LABELKEEP;
import static io.sluice.translation.prometheus.relabel.RelabelAction.LABELMAP;
import static io.sluice.translation.prometheus.relabel.RelabelAction.LOWERCASE;
import static io.sluice.translation.prometheus.relabel.RelabelAction.REPLACE;
import static io.sluice.translation.prometheus.relabel.RelabelAction.UPPERCASE;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelabelConfigTest {

  @Test
  void nullComponentsTakePrometheusDefaults() {
    RelabelConfig c = new RelabelConfig(null, null, null, 0, null, null, null);
    assertThat(c.sourceLabels()).isEmpty();
    assertThat(c.separator()).isEqualTo(";");
    assertThat(c.regex()).isEqualTo("(.*)");
    assertThat(c.replacement()).isEqualTo("$1");
    assertThat(c.action()).isEqualTo("replace");
    assertThat(c.parsedAction()).isEqualTo(REPLACE);
    assertThat(c.targetLabel()).isEmpty();
    assertThat(c.compiledRegex().pattern()).isEqualTo("^(?s:(.*))$");
  }

  @Test
  void actionNamesAreCaseInsensitive() {
    RelabelConfig c = new RelabelConfig(List.of("a"), null, null, 0, "b", null, "LowerCase");
    assertThat(c.parsedAction()).isEqualTo(LOWERCASE);
    assertThat(c.validate("")).isEmpty();
  }

  @Test
  void unknownActionListsTheValidOnes() {
    List<ConfigProblem> p = new RelabelConfig(null, null, null, 0, "t", null, "rename").validate("x[0]");
    assertThat(p).extracting(ConfigProblem::path).containsExactly("x[0].action");
    assertThat(new RelabelConfig(null, null, null, 0, "t", null, "").validate("")).extracting(ConfigProblem::path)
        .containsExactly("action");
    assertThat(p.get(0).message()).contains("\"rename\"").contains("replace, keep, drop, keepequal, dropequal,"
        + " hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase");
  }

  @Test
  void invalidRegexIsQuotedWithRe2sMessage() {
    List<ConfigProblem> p = RelabelConfig.of(KEEP).withRegex("foo(bar").validate("m[2]");
    assertThat(p).extracting(ConfigProblem::path).containsExactly("m[2].regex");
    assertThat(p.get(0).message()).contains("\"foo(bar\"").contains("missing closing )");
    // Perl lookahead is not RE2.
    assertThat(RelabelConfig.of(KEEP).withRegex("a(?=b)").validate("")).extracting(ConfigProblem::path)
        .containsExactly("regex");
  }

  @Test
  void targetLabelIsRequiredWhereTheActionWritesOne() {
    for (RelabelAction a : List.of(REPLACE, HASHMOD, LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL)) {
      RelabelConfig c = RelabelConfig.of(a).withSourceLabels("a").withModulus(a == HASHMOD ? 4 : 0);
      assertThat(c.validate("r")).as("%s", a).extracting(ConfigProblem::path).containsExactly("r.target_label");
      assertThat(c.validate("r").get(0).message()).contains(a.configName()).contains("target_label");
    }
    for (RelabelAction a : List.of(KEEP, RelabelAction.DROP, LABELMAP, LABELDROP, LABELKEEP)) {
      assertThat(RelabelConfig.of(a).validate("r")).as("%s", a).isEmpty();
    }
  }

  @Test
  void targetLabelMustBeALabelName() {
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("1abc"))).containsExactly("target_label");
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("http.route"))).containsExactly("target_label");
    assertThat(paths(RelabelConfig.of(LOWERCASE).withTargetLabel("a-b"))).containsExactly("target_label");
    assertThat(paths(RelabelConfig.of(HASHMOD).withTargetLabel("$1").withModulus(2)))
        .containsExactly("target_label");
    // replace may build its target from references
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("$1"))).isEmpty();
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("tmp_${1}_x"))).isEmpty();
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("${1"))).containsExactly("target_label");
    assertThat(paths(RelabelConfig.of(REPLACE).withTargetLabel("_ok9"))).isEmpty();
  }

  @Test
  void replacementIsForbiddenForCaseAndEqualityActions() {
    for (RelabelAction a : List.of(LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL)) {
      RelabelConfig c = RelabelConfig.of(a).withSourceLabels("a").withTargetLabel("b").withReplacement("x");
      assertThat(c.validate("")).as("%s", a).extracting(ConfigProblem::path).containsExactly("replacement");
    }
  }

  @Test
  void equalityActionsTakeOnlySourcesAndTarget() {
    RelabelConfig c = RelabelConfig.of(KEEPEQUAL).withSourceLabels("a").withTargetLabel("b").withRegex("x")
        .withSeparator(",").withModulus(3);
    assertThat(paths(c)).containsExactlyInAnyOrder("regex", "modulus", "separator");
    assertThat(c.validate("").get(0).message()).contains("only source_labels and target_label");
  }

  @Test
  void labelDropAndKeepTakeOnlyRegex() {
    RelabelConfig c = RelabelConfig.of(LABELDROP).withRegex("tmp_.*").withSourceLabels("a").withTargetLabel("b")
        .withReplacement("r");
    assertThat(paths(c)).containsExactlyInAnyOrder("source_labels", "target_label", "replacement");
    assertThat(paths(RelabelConfig.of(LABELKEEP).withRegex("job|instance"))).isEmpty();
    assertThat(paths(RelabelConfig.of(LABELKEEP).withSeparator("/"))).containsExactly("separator");
  }

  @Test
  void hashmodNeedsAModulusAboveZero() {
    List<ConfigProblem> p = RelabelConfig.of(HASHMOD).withSourceLabels("a").withTargetLabel("h").validate("");
    assertThat(p).extracting(ConfigProblem::path).containsExactly("modulus");
    assertThat(p.get(0).message()).contains("above 0");
  }

  @Test
  void labelmapReplacementMustMakeLabelNames() {
    assertThat(paths(RelabelConfig.of(LABELMAP).withReplacement("a-$1"))).containsExactly("replacement");
    assertThat(paths(RelabelConfig.of(LABELMAP).withReplacement("k8s_${1}"))).isEmpty();
  }

  @Test
  void validateAllNamesListItemsWithBrackets() {
    List<ConfigProblem> p = RelabelConfig.validateAll("metric_relabel_configs", Arrays.asList(
        RelabelConfig.of(KEEP), RelabelConfig.of(KEEP).withRegex("("), null));
    assertThat(p).extracting(ConfigProblem::path)
        .containsExactly("metric_relabel_configs[1].regex", "metric_relabel_configs[2]");
  }

  @Test
  void labelSetsAreSortedAndDropEmptyValues() {
    LabelSet s = LabelSet.of("b", "2", "a", "1", "c", "", "a", "3");
    assertThat(s.size()).isEqualTo(2);
    assertThat(s.name(0)).isEqualTo("a");
    assertThat(s.get("a")).isEqualTo("3");
    assertThat(s.get("c")).isNull();
    assertThat(s.toString()).isEqualTo("{a=\"3\", b=\"2\"}");
    assertThat(s).isEqualTo(LabelSet.of(java.util.Map.of("a", "3", "b", "2")));
    assertThat(s.toBuilder().delete("a").delete("b").build()).isSameAs(LabelSet.EMPTY);
  }

  private static List<String> paths(RelabelConfig c) {
    return c.validate("").stream().map(ConfigProblem::path).toList();
  }
}

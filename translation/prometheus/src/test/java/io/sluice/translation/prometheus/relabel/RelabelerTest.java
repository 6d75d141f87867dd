package io.sluice.translation.prometheus.relabel;

import static io.sluice.translation.prometheus.relabel.RelabelAction.DROP;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RelabelerTest {
  private static final LabelSet SERIES = LabelSet.of("__name__", "http_requests_total", "job", "api",
      "instance", "10.0.0.1:9090", "path", "/Items/42", "method", "GET");

  /** A case: the steps, the input and the expected output (null = dropped). */
  private static Arguments c(String name, LabelSet in, LabelSet out, RelabelConfig... steps) {
    return Arguments.of(name, List.of(steps), in, out);
  }

  static Stream<Arguments> cases() {
    LabelSet ab = LabelSet.of("a", "foo", "b", "bar");
    return Stream.of(
        // replace
        c("replace with defaults copies the source value", ab, LabelSet.of("a", "foo", "b", "bar", "c", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("c")),
        c("replace overwrites an existing target", ab, LabelSet.of("a", "foo", "b", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("b")),
        c("replace with a literal replacement and no sources sets a constant", ab,
            LabelSet.of("a", "foo", "b", "bar", "env", "prod"),
            RelabelConfig.of(REPLACE).withTargetLabel("env").withReplacement("prod")),
        c("replace swaps groups with braces", LabelSet.of("a", "foo-bar"), LabelSet.of("a", "foo-bar", "t", "bar_foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("(.*)-(.*)").withTargetLabel("t")
                .withReplacement("${2}_${1}")),
        c("$2_ names a group called 2_, which is empty", LabelSet.of("a", "foo-bar"),
            LabelSet.of("a", "foo-bar", "t", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("(.*)-(.*)").withTargetLabel("t")
                .withReplacement("$2_$1")),
        c("$1x names a group called 1x, ${1}x does not", LabelSet.of("a", "foo"), LabelSet.of("a", "foo", "t", "foox"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("t").withReplacement("$1x${1}x")),
        c("$$ is a dollar, a trailing or malformed $ is kept", LabelSet.of("a", "foo"),
            LabelSet.of("a", "foo", "t", "$1 costs $ {1 ${ $"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("t")
                .withReplacement("$$1 costs $ {1 ${ $")),
        c("an unclosed brace keeps the dollar and the text", LabelSet.of("a", "foo"),
            LabelSet.of("a", "foo", "t", "${1"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("t").withReplacement("${1")),
        c("$01 and unknown groups expand to nothing", LabelSet.of("a", "foo"), LabelSet.of("a", "foo", "t", "<><><>"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("t")
                .withReplacement("<$01><$nope><$9>")),
        c("named groups expand by name", LabelSet.of("a", "user=alice"), LabelSet.of("a", "user=alice", "t", "alice"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("user=(?P<who>\\w+)").withTargetLabel("t")
                .withReplacement("$who")),
        c("the regex is anchored at both ends", LabelSet.of("a", "foo"), LabelSet.of("a", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("o+").withTargetLabel("t")),
        c("dot matches a newline", LabelSet.of("a", "x\ny"), LabelSet.of("a", "x\ny", "t", "ok"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("x.y").withTargetLabel("t")
                .withReplacement("ok")),
        c("sources join with ; and missing labels read as empty", ab,
            LabelSet.of("a", "foo", "b", "bar", "t", "foo;;bar"),
            RelabelConfig.of(REPLACE).withSourceLabels("a", "missing", "b").withTargetLabel("t")),
        c("a custom separator joins the sources", ab, LabelSet.of("a", "foo", "b", "bar", "t", "bar/foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("b", "a").withSeparator("/").withTargetLabel("t")),
        c("an empty result deletes the target", ab, LabelSet.of("a", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("missing").withTargetLabel("b")),
        c("the target may be made from groups", LabelSet.of("a", "env=prod"), LabelSet.of("a", "env=prod", "env", "prod"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("(\\w+)=(\\w+)").withTargetLabel("$1")
                .withReplacement("$2")),
        c("an expanded target that is not a label name is skipped", LabelSet.of("a", "1st=x"), LabelSet.of("a", "1st=x"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withRegex("(\\w+)=(\\w+)").withTargetLabel("${1}")
                .withReplacement("$2")),
        c("steps run in order on the previous result", ab, LabelSet.of("a", "foo", "b", "bar", "c", "foo", "d", "foo"),
            RelabelConfig.of(REPLACE).withSourceLabels("a").withTargetLabel("c"),
            RelabelConfig.of(REPLACE).withSourceLabels("c").withTargetLabel("d")),
        // keep / drop
        c("keep keeps a matching series", SERIES, SERIES,
            RelabelConfig.of(KEEP).withSourceLabels("method").withRegex("GET|POST")),
        c("keep drops a series that does not match", SERIES, null,
            RelabelConfig.of(KEEP).withSourceLabels("method").withRegex("POST")),
        c("keep on a missing label matches the empty value", SERIES, null,
            RelabelConfig.of(KEEP).withSourceLabels("missing").withRegex(".+")),
        c("drop drops a matching series", SERIES, null,
            RelabelConfig.of(DROP).withSourceLabels("__name__").withRegex("http_.*")),
        c("drop keeps a series that matches only partly", SERIES, SERIES,
            RelabelConfig.of(DROP).withSourceLabels("__name__").withRegex("http")),
        c("drop matches the joined sources", SERIES, null,
            RelabelConfig.of(DROP).withSourceLabels("job", "method").withRegex("api;GET")),
        // keepequal / dropequal
        c("keepequal keeps when the target equals the joined sources", LabelSet.of("a", "x", "b", "x"),
            LabelSet.of("a", "x", "b", "x"), RelabelConfig.of(KEEPEQUAL).withSourceLabels("a").withTargetLabel("b")),
        c("keepequal drops when they differ", ab, null,
            RelabelConfig.of(KEEPEQUAL).withSourceLabels("a").withTargetLabel("b")),
        c("keepequal treats a missing target as empty", LabelSet.of("a", "x"), null,
            RelabelConfig.of(KEEPEQUAL).withSourceLabels("a").withTargetLabel("b")),
        c("dropequal drops when equal", LabelSet.of("a", "x", "b", "x"), null,
            RelabelConfig.of(DROPEQUAL).withSourceLabels("a").withTargetLabel("b")),
        c("dropequal keeps when they differ", ab, ab,
            RelabelConfig.of(DROPEQUAL).withSourceLabels("a").withTargetLabel("b")),
        // hashmod: values published in Prometheus' relabel tests; hashmodMatchesMd5OfTheJoinedValue
        // checks the computation independently
        c("hashmod of baz modulo 1000 is 976", LabelSet.of("c", "baz"), LabelSet.of("c", "baz", "shard", "976"),
            RelabelConfig.of(HASHMOD).withSourceLabels("c").withTargetLabel("shard").withModulus(1000)),
        c("hashmod of a value with a newline modulo 1000 is 734", LabelSet.of("a", "foo\nbar"),
            LabelSet.of("a", "foo\nbar", "b", "734"),
            RelabelConfig.of(HASHMOD).withSourceLabels("a").withTargetLabel("b").withModulus(1000)),
        // labelmap
        c("labelmap copies matching labels under the new name and keeps them", LabelSet.of("__meta_zone", "eu",
            "__meta_rack", "r1", "job", "api"),
            LabelSet.of("__meta_zone", "eu", "__meta_rack", "r1", "job", "api", "zone", "eu", "rack", "r1"),
            RelabelConfig.of(LABELMAP).withRegex("__meta_(.+)")),
        c("labelmap uses the replacement template", LabelSet.of("a", "1"), LabelSet.of("a", "1", "copy_a", "1"),
            RelabelConfig.of(LABELMAP).withRegex("(a)").withReplacement("copy_$1")),
        c("labelmap matches whole names only", LabelSet.of("xa", "1"), LabelSet.of("xa", "1"),
            RelabelConfig.of(LABELMAP).withRegex("(a)").withReplacement("copy_$1")),
        // labeldrop / labelkeep
        c("labeldrop removes labels whose names match", SERIES,
            LabelSet.of("__name__", "http_requests_total", "job", "api", "instance", "10.0.0.1:9090"),
            RelabelConfig.of(LABELDROP).withRegex("path|method")),
        c("labeldrop does not match parts of names", SERIES, SERIES,
            RelabelConfig.of(LABELDROP).withRegex("meth")),
        c("labelkeep removes labels whose names do not match", SERIES,
            LabelSet.of("__name__", "http_requests_total", "job", "api"),
            RelabelConfig.of(LABELKEEP).withRegex("__name__|job")),
        // lowercase / uppercase
        c("lowercase writes the joined value in lower case", SERIES,
            SERIES.toBuilder().set("path_lc", "/items/42").build(),
            RelabelConfig.of(LOWERCASE).withSourceLabels("path").withTargetLabel("path_lc")),
        c("uppercase may overwrite its source", SERIES, SERIES.toBuilder().set("path", "/ITEMS/42").build(),
            RelabelConfig.of(UPPERCASE).withSourceLabels("path").withTargetLabel("path")),
        c("uppercase of missing sources deletes the target", ab, LabelSet.of("b", "bar"),
            RelabelConfig.of(UPPERCASE).withSourceLabels("missing").withTargetLabel("a")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void appliesPrometheusSemantics(String name, List<RelabelConfig> steps, LabelSet in, LabelSet expected) {
    assertThat(steps).allSatisfy(s -> assertThat(s.validate("")).isEmpty());
    assertThat(Relabeler.compile(steps).apply(in)).isEqualTo(expected);
  }

  @Test
  void returnsTheSameInstanceWhenNothingChanged() {
    Relabeler r = Relabeler.compile(List.of(
        RelabelConfig.of(REPLACE).withSourceLabels("job").withTargetLabel("job"),
        RelabelConfig.of(KEEP).withSourceLabels("job").withRegex("api")));
    assertThat(r.apply(SERIES)).isSameAs(SERIES);
    assertThat(Relabeler.compile(List.of()).apply(SERIES)).isSameAs(SERIES);
    assertThat(Relabeler.compile(List.of()).isEmpty()).isTrue();
  }

  @Test
  void hashmodMatchesMd5OfTheJoinedValue() throws Exception {
    long[] moduli = {1, 2, 7, 1000, 1L << 32, Long.MAX_VALUE, -1L /* 2^64-1 unsigned */};
    for (String value : List.of("", "foo", "baz", "a;b", "10.0.0.1:9090", "ünïcødé")) {
      byte[] md5 = MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8));
      BigInteger last8 = new BigInteger(1, java.util.Arrays.copyOfRange(md5, 8, 16));
      for (long m : moduli) {
        BigInteger mod = new BigInteger(Long.toUnsignedString(m));
        String expected = last8.mod(mod).toString();
        assertThat(Long.toUnsignedString(Relabeler.hashMod(value, m))).as("%s mod %s", value, mod)
            .isEqualTo(expected);
        if (m < 0) {
          continue; // above Long.MAX_VALUE: no YAML config can bind it, so only the function takes it
        }
        RelabelConfig step = RelabelConfig.of(HASHMOD).withSourceLabels("v").withTargetLabel("h").withModulus(m);
        LabelSet out = Relabeler.compile(List.of(step)).apply(LabelSet.of("v", value));
        assertThat(out.get("h")).isEqualTo(expected);
      }
    }
  }

  @Test
  void hashmodHashesTheJoinedSources() {
    RelabelConfig step = RelabelConfig.of(HASHMOD).withSourceLabels("a", "b").withTargetLabel("h")
        .withModulus(1L << 40);
    LabelSet out = Relabeler.compile(List.of(step)).apply(LabelSet.of("a", "x", "b", "y"));
    assertThat(out.get("h")).isEqualTo(Long.toString(Relabeler.hashMod("x;y", 1L << 40)));
  }

  @Test
  void compileRejectsInvalidStepsListingEveryProblem() {
    assertThatThrownBy(() -> Relabeler.compile(List.of(RelabelConfig.of(REPLACE).withTargetLabel("t"),
        RelabelConfig.of(REPLACE).withRegex("(").withTargetLabel("t"), RelabelConfig.of(HASHMOD))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("relabel_configs[1].regex")
        .hasMessageContaining("relabel_configs[2].target_label")
        .hasMessageContaining("relabel_configs[2].modulus");
  }

  @Test
  void isSafeToShareBetweenThreads() throws Exception {
    Relabeler r = Relabeler.compile(List.of(
        RelabelConfig.of(HASHMOD).withSourceLabels("i").withTargetLabel("h").withModulus(16),
        RelabelConfig.of(REPLACE).withSourceLabels("i").withRegex("(\\d)(\\d*)").withTargetLabel("first")));
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        try {
          for (int i = 10; i < 5000; i++) {
            LabelSet out = r.apply(LabelSet.of("i", Integer.toString(i)));
            assertThat(out.get("first")).isEqualTo(Integer.toString(i).substring(0, 1));
            assertThat(out.get("h")).isEqualTo(Long.toString(Relabeler.hashMod(Integer.toString(i), 16)));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join(30_000);
    }
    assertThat(errors).isEmpty();
  }
}

package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;

class TraceStateEditorTest {
  private final TraceStateEditor ed = new TraceStateEditor();

  @Test
  void anEmptyTracestateIsValidAndHasNothing() {
    assertThat(parse("")).isTrue();
    assertThat(ed.hasThreshold()).isFalse();
    assertThat(ed.hasRandomness()).isFalse();
    assertThat(write()).isEmpty();
  }

  @Test
  void readsThresholdRandomnessAndOtherKeysOfTheOtEntry() {
    assertThat(parse("ot=rv:0123456789abcd;th:8;foo:bar")).isTrue();
    assertThat(ed.hasThreshold()).isTrue();
    assertThat(ed.threshold()).isEqualTo(1L << 55);
    assertThat(ed.hasRandomness()).isTrue();
    assertThat(ed.randomness()).isEqualTo(0x0123456789abcdL);
    assertThat(write()).isEqualTo("ot=rv:0123456789abcd;th:8;foo:bar");
  }

  @Test
  void rewritingPutsTheOtEntryFirstAndKeepsEveryOtherKeyAndVendor() {
    assertThat(parse("congo=t61rcWkgMzE, ot=foo:1;th:c;bar:x.y_z-W , rojo=00f067aa0ba902b7")).isTrue();
    ed.raiseThreshold(0xeL << 52);
    assertThat(write()).isEqualTo("ot=th:e;foo:1;bar:x.y_z-W,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  }

  @Test
  void addsAnOtEntryBeforeOtherVendors() {
    assertThat(parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")).isTrue();
    ed.setRandomness(0x85801d4b531e9fL);
    ed.raiseThreshold(1L << 55);
    assertThat(write()).isEqualTo("ot=rv:85801d4b531e9f;th:8,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  }

  @Test
  void aThresholdIsOnlyRaised() {
    assertThat(parse("ot=th:C")).isTrue();
    ed.raiseThreshold(1L << 55);
    assertThat(write()).as("a lower threshold leaves the arriving one as written").isEqualTo("ot=th:C");
    ed.raiseThreshold(0xeL << 52);
    assertThat(write()).isEqualTo("ot=th:e");
    assertThat(parse("ot=th:80")).isTrue();
    ed.raiseThreshold(1L << 55);
    assertThat(write()).as("an equal threshold is written in its shortest form").isEqualTo("ot=th:8");
  }

  @Test
  void erasingTheThresholdKeepsTheRest() {
    assertThat(parse("ot=th:8;rv:00000000000001;k:v,a=b")).isTrue();
    ed.clearThreshold();
    assertThat(write()).isEqualTo("ot=rv:00000000000001;k:v,a=b");
    assertThat(parse("a=b,ot=th:8")).isTrue();
    ed.clearThreshold();
    assertThat(write()).as("an ot entry left empty goes").isEqualTo("a=b");
  }

  @Test
  void aLaterOtEntryReplacesAnEarlierOne() {
    assertThat(parse("ot=th:8;x:1,a=b,ot=th:c")).isTrue();
    assertThat(ed.threshold()).isEqualTo(3L << 54);
    assertThat(write()).isEqualTo("ot=th:c,a=b");
  }

  @Test
  void acceptsWhatTheRecommendationAllows() {
    assertThat(parse("a=1,,b=2")).as("empty members").isTrue();
    assertThat(write()).isEqualTo("a=1,b=2");
    assertThat(parse("t0@sys_1=v")).as("a multi-tenant key").isTrue();
    assertThat(parse("k_-*/9=va lue!")).as("key punctuation, a space inside the value").isTrue();
    assertThat(parse("ot=foo:")).as("an empty value in the ot entry").isTrue();
    assertThat(parse(members(31))).as("31 members").isTrue();
    assertThat(parse("\tot=th:8 ")).isTrue();
  }

  @Test
  void refusesWhatItDoesNot() {
    assertThat(parse("ot=th:")).as("an empty threshold").isFalse();
    assertThat(parse("ot=th:123456789abcdef")).as("15 threshold digits").isFalse();
    assertThat(parse("ot=th:8.5")).isFalse();
    assertThat(parse("ot=rv:123")).as("a short rv").isFalse();
    assertThat(parse("ot=rv:0123456789abcdef")).as("a long rv").isFalse();
    assertThat(parse("ot=TH:8")).as("an upper-case ot key").isFalse();
    assertThat(parse("ot=th:8;")).as("a trailing semicolon").isFalse();
    assertThat(parse("ot=th:8;;k:v")).as("an empty ot member").isFalse();
    assertThat(parse("ot=th:8:9")).isFalse();
    assertThat(parse("ot=th")).as("no colon").isFalse();
    assertThat(parse("ot=")).as("an empty value").isFalse();
    assertThat(parse("Bad=1")).as("an upper-case key").isFalse();
    assertThat(parse("1a=1")).as("a key starting with a digit").isFalse();
    assertThat(parse("a=1,b")).as("a member without =").isFalse();
    assertThat(parse("a=x,y")).isFalse();
    assertThat(parse("a=1 =2")).isFalse();
    assertThat(parse("@sys=1")).as("an empty tenant").isFalse();
    assertThat(parse("t@=1")).as("an empty system").isFalse();
    assertThat(parse("t@" + "s".repeat(15) + "=1")).as("a 15-character system").isFalse();
    assertThat(parse("a=" + "v".repeat(257))).as("a 257-character value").isFalse();
    assertThat(parse(members(32))).as("32 members").isFalse();
    assertThat(parse("ot=th:8," + "a=" + "v".repeat(1020))).as("over 1024 bytes").isFalse();
    assertThat(parse("ot=k:" + "v".repeat(300))).as("an ot value over 256 bytes").isFalse();
  }

  private static String members(int n) {
    StringJoiner j = new StringJoiner(",");
    for (int i = 0; i < n; i++) {
      j.add("k" + i + "=v");
    }
    return j.toString();
  }

  private boolean parse(String s) {
    byte[] b = ("##" + s + "##").getBytes(StandardCharsets.US_ASCII);
    return ed.parse(b, 2, b.length - 4);
  }

  private String write() {
    return new String(ed.write(), StandardCharsets.US_ASCII);
  }
}

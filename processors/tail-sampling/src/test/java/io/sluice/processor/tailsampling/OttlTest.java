package io.sluice.processor.tailsampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The OTTL subset: what it accepts, how it compares, and how it refuses the rest. */
class OttlTest {
  /** A subject whose span has name "GET /pay", kind 2, status 2 and attribute n = 7. */
  private static final Ottl.Subject SPAN = new Ottl.Subject() {
    @Override
    public Object span(Ottl.Field f, byte[] key) {
      return switch (f) {
        case NAME -> "GET /pay";
        case KIND -> 2L;
        case STATUS_CODE -> 2L;
        case ATTRIBUTE -> new String(key).equals("n") ? (Object) 7L : new String(key).equals("d") ? 2.5 : null;
        default -> null;
      };
    }

    @Override
    public Object event(Ottl.Field f, byte[] key) {
      return null;
    }
  };

  private static boolean test(String condition) throws Exception {
    return Ottl.parse(condition, Ottl.Context.SPAN).test(SPAN);
  }

  @Test
  void comparesWithOttlRules() throws Exception {
    assertThat(test("name == \"GET /pay\"")).isTrue();
    assertThat(test("span.name != \"GET /pay\"")).isFalse();
    assertThat(test("kind == SPAN_KIND_SERVER and status.code == STATUS_CODE_ERROR")).isTrue();
    assertThat(test("attributes[\"n\"] > 6 and attributes[\"n\"] <= 7.0")).as("ints and floats compare").isTrue();
    assertThat(test("attributes[\"d\"] < 3")).isTrue();
    assertThat(test("attributes[\"n\"] == \"7\"")).as("different types are unequal").isFalse();
    assertThat(test("attributes[\"n\"] != \"7\"")).isTrue();
    assertThat(test("attributes[\"n\"] > \"7\"")).as("and not ordered").isFalse();
    assertThat(test("attributes[\"missing\"] == nil")).isTrue();
    assertThat(test("attributes[\"missing\"] > 1")).isFalse();
    assertThat(test("name < \"H\"")).as("strings compare in order").isTrue();
    assertThat(test("not (kind == SPAN_KIND_CLIENT) and (false or true)")).isTrue();
    assertThat(test("IsMatch(name, \"^GET /p\")")).isTrue();
    assertThat(test("IsMatch(attributes[\"n\"], \"^7$\")")).as("numbers match in their string form").isTrue();
    assertThat(test("IsMatch(attributes[\"missing\"], \".*\")")).isFalse();
    assertThat(test("kind == 2 or kind == 3 and false")).as("and binds tighter than or").isTrue();
  }

  @Test
  void refusesWhatItDoesNotEvaluateNamingThePart() {
    assertThatThrownBy(() -> Ottl.parse("Len(name) > 3", Ottl.Context.SPAN))
        .hasMessageContaining("\"Len\"").hasMessageContaining("not in Sluice's OTTL subset");
    assertThatThrownBy(() -> Ottl.parse("IsString(name)", Ottl.Context.SPAN))
        .hasMessageContaining("\"IsString\"");
    assertThatThrownBy(() -> Ottl.parse("links[0] == nil", Ottl.Context.SPAN))
        .hasMessageContaining("indexing links").hasMessageContaining("not in Sluice's OTTL subset");
    assertThatThrownBy(() -> Ottl.parse("dropped_links_count > 1", Ottl.Context.SPAN))
        .hasMessageContaining("the path \"dropped_links_count\"");
    assertThatThrownBy(() -> Ottl.parse("attributes[\"a\"][\"b\"] == 1", Ottl.Context.SPAN))
        .hasMessageContaining("nested keys");
    assertThatThrownBy(() -> Ottl.parse("name = \"x\"", Ottl.Context.SPAN)).hasMessageContaining("use == or !=");
    assertThatThrownBy(() -> Ottl.parse("name == \"x", Ottl.Context.SPAN)).hasMessageContaining("not closed");
    assertThatThrownBy(() -> Ottl.parse("IsMatch(name, \"(\")", Ottl.Context.SPAN))
        .hasMessageContaining("invalid regular expression");
    assertThatThrownBy(() -> Ottl.parse("name == \"x\" extra", Ottl.Context.SPAN)).hasMessageContaining("\"extra\"");
    assertThatThrownBy(() -> Ottl.parse("time_unix_nano > 0", Ottl.Context.SPAN))
        .hasMessageContaining("for the span context");
  }

  @Test
  void spanEventPathsReachTheEventAndItsSpan() throws Exception {
    Ottl.Subject s = new Ottl.Subject() {
      @Override
      public Object span(Ottl.Field f, byte[] key) {
        return f == Ottl.Field.NAME ? "parent" : null;
      }

      @Override
      public Object event(Ottl.Field f, byte[] key) {
        return f == Ottl.Field.EVENT_NAME ? "exception" : f == Ottl.Field.EVENT_TIME ? 5L : null;
      }
    };
    assertThat(Ottl.parse("name == \"exception\" and span.name == \"parent\" and time_unix_nano == 5",
        Ottl.Context.SPANEVENT).test(s)).isTrue();
    assertThat(Ottl.parse("spanevent.name == \"parent\"", Ottl.Context.SPANEVENT).test(s)).isFalse();
  }
}

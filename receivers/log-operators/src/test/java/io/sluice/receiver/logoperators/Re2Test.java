package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Matcher;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Go RE2 syntax as Collector configs write it, compiled with java.util.regex. */
class Re2Test {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // regex                                  | text          | the first group (name = value), or no match
      "(?P<w>\\pL+)                             | ab1           | w=ab",
      "(?P<g>\\p{Greek}+)                       | xαβγx         | g=αβγ",
      "(?P<n>[[:^digit:]]+)                     | ab12          | n=ab",
      "(?P<s>[[:space:][:punct:]]+)             | a ,.b         | s= ,.",
      "(?P<q>\\Q(a)\\E)                         | x(a)y         | q=(a)",
      "(?P<d>a.b)                               | `a\nb`        | no match",
      "(?s)(?P<d>a.b)                           | `a\nb`        | `d=a\nb`",
      "(?P<t>a\\vb)                             | `a\u000Bb`    | `t=a\u000Bb`",
      "(?P<end>b)\\z                            | ab            | end=b",
      "^(?P<lazy>a+?)                           | aaa           | lazy=a",
      "(?P<amp>[a&&b]+)                         | x&&ab         | amp=&&ab",
      "(?P<br>[a[b]+)                           | x[ab          | br=[ab",
      "(?P<rep>x{2,})                           | xxxx          | rep=xxxx",
      "(?P<lit>{x})                             | a{x}          | lit={x}",
      "(?P<hex>\\x{41}\\x42)                    | AB            | hex=AB"})
  void translatesToTheSameMeaning(String regex, String text, String expected) {
    Re2.Compiled c = Re2.compile(regex);
    Matcher m = c.pattern().matcher(text);
    if (expected.equals("no match")) {
      assertThat(m.find()).as(regex).isFalse();
      return;
    }
    assertThat(m.find()).as(regex).isTrue();
    int eq = expected.indexOf('=');
    assertThat(c.groupNames()[1]).isEqualTo(expected.substring(0, eq));
    assertThat(m.group(1)).isEqualTo(expected.substring(eq + 1));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "(?=a)b        | lookahead",
      "(?!a)b        | lookahead",
      "(?<=a)b       | lookbehind",
      "(?<!a)b       | lookbehind",
      "(a)\\1        | backreferences",
      "(?P<x>a)(?P=x) | named backreferences",
      "(?>a)         | atomic",
      "a*+           | possessive",
      "a++           | possessive",
      "a**           | repetition operator follows another",
      "a\\Z          | \\Z is not RE2",
      "(?U)a*        | ungreedy",
      "[[:alfa:]]    | not a POSIX class",
      "(?P<a b>x)    | group name",
      "(?P<a>x)(?P<a>y) | used twice",
      "(a            | does not compile",
      "[a            | not closed"})
  void refusesWhatRe2Refuses(String regex, String message) {
    assertThatThrownBy(() -> Re2.compile(regex)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }
}

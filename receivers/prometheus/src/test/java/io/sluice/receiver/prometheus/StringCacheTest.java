package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class StringCacheTest {

  @Test
  void returnsTheSameInstanceForRepeatedBytes() {
    StringCache cache = new StringCache(64);
    byte[] b = "method method methoe".getBytes(StandardCharsets.UTF_8);
    String first = cache.get(b, 0, 6);
    assertThat(first).isEqualTo("method");
    assertThat(cache.get(b, 7, 13)).isSameAs(first);
    assertThat(cache.get(b, 14, 20)).isEqualTo("methoe");
  }

  @Test
  void decodesUtf8AndLongSlicesCorrectly() {
    StringCache cache = new StringCache(16);
    byte[] snow = "\u2603x".getBytes(StandardCharsets.UTF_8);
    assertThat(cache.get(snow, 0, snow.length)).isEqualTo("\u2603x");
    String longText = "y".repeat(StringCache.MAX_LENGTH + 1);
    byte[] longBytes = longText.getBytes(StandardCharsets.UTF_8);
    assertThat(cache.get(longBytes, 0, longBytes.length)).isEqualTo(longText);
  }

  @Test
  void sharesStringsBetweenScrapesThatUseOneCache() throws Exception {
    StringCache cache = new StringCache(256);
    byte[] body = "http_requests_total{method=\"get\"} 1\n".getBytes(StandardCharsets.UTF_8);
    List<MetricFamily> first = ExpositionFormat.PROMETHEUS_TEXT.parse(body, 0, body.length, cache);
    List<MetricFamily> second = ExpositionFormat.PROMETHEUS_TEXT.parse(body, 0, body.length, cache);
    Sample a = first.get(0).samples().get(0);
    Sample b = second.get(0).samples().get(0);
    assertThat(b.name()).isSameAs(a.name());
    assertThat(b.labels().value(0)).isSameAs(a.labels().value(0));
  }

  @Test
  void growsUntilATargetsStringsNoLongerPushEachOtherOut() {
    StringCache cache = new StringCache(16);
    byte[][] words = new byte[400][];
    for (int i = 0; i < words.length; i++) {
      words[i] = ("value_" + i).getBytes(StandardCharsets.UTF_8);
    }
    String[] firstScrape = new String[words.length];
    for (int scrape = 0; scrape < 12; scrape++) {
      for (int i = 0; i < words.length; i++) {
        firstScrape[i] = cache.get(words[i], 0, words[i].length);
      }
      cache.endOfScrape();
    }
    assertThat(cache.slots()).isGreaterThanOrEqualTo(1024).isLessThanOrEqualTo(StringCache.MAX_SLOTS);

    int same = 0;
    for (int i = 0; i < words.length; i++) {
      String again = cache.get(words[i], 0, words[i].length);
      assertThat(again).isEqualTo("value_" + i);
      same += again == firstScrape[i] ? 1 : 0;
    }
    assertThat(same).as("strings that come back as the same object").isGreaterThan(words.length * 9 / 10);
  }
}

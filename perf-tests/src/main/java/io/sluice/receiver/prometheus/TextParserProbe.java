package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import java.util.List;

/**
 * A benchmark's way into the prometheus receiver's package-private text parser, from the
 * perf-tests module (same package name, so it sees what the receiver's own classes see; nothing
 * of the receiver is changed). Parses bodies exactly as a scrape does: text 0.0.4 through
 * {@link ExpositionFormat#parse(byte[], int, int, StringCache)} with one string cache per target,
 * kept across that target's scrapes, sized as the scrape loop sizes it.
 */
public final class TextParserProbe {
  private final StringCache[] caches;
  private final ScrapeToOtlp.Target[] targets;

  /** A probe for {@code targets} targets, each with its own string cache. */
  public TextParserProbe(int targets) {
    caches = new StringCache[targets];
    this.targets = new ScrapeToOtlp.Target[targets];
    for (int i = 0; i < targets; i++) {
      caches[i] = new StringCache(4096);
      this.targets[i] = new ScrapeToOtlp.Target("bench", "127.0.0.1:" + (10_000 + i), "http");
    }
  }

  /** Parses {@code length} bytes of a text 0.0.4 body scraped from target {@code target}; returns its samples. */
  public int parse(int target, byte[] body, int length) {
    return samples(families(target, body, length));
  }

  /**
   * Parses the body and converts the families to OTLP as the receiver does (without its target
   * labels, relabeling, report series and staleness tracking); returns the samples parsed.
   */
  public int parseAndConvert(int target, byte[] body, int length, long scrapeTimeMs) {
    List<MetricFamily> families = families(target, body, length);
    ResourceMetrics converted = ScrapeToOtlp.convert(families, targets[target], scrapeTimeMs);
    if (converted.getScopeMetricsCount() == 0) {
      throw new IllegalStateException("the conversion produced no metrics");
    }
    return samples(families);
  }

  private List<MetricFamily> families(int target, byte[] body, int length) {
    try {
      return ExpositionFormat.PROMETHEUS_TEXT.parse(body, 0, length, caches[target]);
    } catch (ParseException e) {
      throw new IllegalArgumentException("the body does not parse: " + e.getMessage(), e);
    }
  }

  private static int samples(List<MetricFamily> families) {
    int n = 0;
    for (MetricFamily f : families) {
      n += f.samples().size();
    }
    return n;
  }
}

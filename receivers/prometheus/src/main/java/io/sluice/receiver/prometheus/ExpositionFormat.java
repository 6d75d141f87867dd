package io.sluice.receiver.prometheus;

import java.util.List;
import java.util.Locale;

/** The scrape body formats Sluice understands, chosen by the response's Content-Type. */
enum ExpositionFormat {
  PROMETHEUS_TEXT("text/plain; version=0.0.4; charset=utf-8"),
  OPENMETRICS_TEXT("application/openmetrics-text; version=1.0.0; charset=utf-8");

  /** The Accept header Prometheus sends by default: OpenMetrics first, then the text formats, then anything. */
  static final String ACCEPT_HEADER = PromFormats.acceptHeader(PromFormats.DEFAULT_SCRAPE_PROTOCOLS, "allow-utf-8");

  private final String contentType;

  ExpositionFormat(String contentType) {
    this.contentType = contentType;
  }

  /** The canonical Content-Type of this format. */
  String contentType() {
    return contentType;
  }

  /**
   * The format of a response with this Content-Type: {@code application/openmetrics-text} is
   * OpenMetrics; anything else, or none, is read as text 0.0.4.
   */
  static ExpositionFormat fromContentType(String contentType) {
    return fromContentType(contentType, null);
  }

  /**
   * As {@link #fromContentType(String)}, but a missing or unknown Content-Type gives
   * {@code fallback} when there is one (a job's {@code fallback_scrape_protocol}).
   */
  static ExpositionFormat fromContentType(String contentType, ExpositionFormat fallback) {
    String mediaType = "";
    if (contentType != null) {
      int semi = contentType.indexOf(';');
      mediaType = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }
    if (mediaType.equals("application/openmetrics-text")) {
      return OPENMETRICS_TEXT;
    }
    if (mediaType.equals("text/plain") || fallback == null) {
      return PROMETHEUS_TEXT;
    }
    return fallback;
  }

  /** Parses a whole body in this format. */
  List<MetricFamily> parse(byte[] body) throws ParseException {
    return parse(body, 0, body.length);
  }

  /** Parses {@code length} bytes of {@code body} from {@code offset} in this format. */
  List<MetricFamily> parse(byte[] body, int offset, int length) throws ParseException {
    return parse(body, offset, length, null);
  }

  /**
   * Parses {@code length} bytes of {@code body} from {@code offset} in this format, decoding
   * repeated names and label values through {@code strings} (a fresh cache when null); keep one
   * cache per target to share the strings between its scrapes.
   */
  List<MetricFamily> parse(byte[] body, int offset, int length, StringCache strings)
      throws ParseException {
    return switch (this) {
      case PROMETHEUS_TEXT -> new PrometheusTextParser(body, offset, length, strings).parse();
      case OPENMETRICS_TEXT -> new OpenMetricsParser(body, offset, length, strings).parse();
    };
  }
}

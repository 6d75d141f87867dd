package io.sluice.receiver.prometheus;

import java.util.List;
import java.util.Locale;

/** The scrape body formats Sluice understands, chosen by the response's Content-Type. */
enum ExpositionFormat {
  PROMETHEUS_TEXT("text/plain; version=0.0.4; charset=utf-8"),
  OPENMETRICS_TEXT("application/openmetrics-text; version=1.0.0; charset=utf-8");

  /**
   * The Accept header Prometheus sends by default: OpenMetrics first, then the text formats, then
   * anything.
   */
  static final String ACCEPT_HEADER =
      "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
          + "application/openmetrics-text;version=0.0.1;q=0.5,"
          + "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
          + "text/plain;version=0.0.4;q=0.3,"
          + "*/*;q=0.2";

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
    if (contentType == null) {
      return PROMETHEUS_TEXT;
    }
    int semi = contentType.indexOf(';');
    String mediaType = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    if (mediaType.toLowerCase(Locale.ROOT).equals("application/openmetrics-text")) {
      return OPENMETRICS_TEXT;
    }
    return PROMETHEUS_TEXT;
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

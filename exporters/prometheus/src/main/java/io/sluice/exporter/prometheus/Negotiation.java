package io.sluice.exporter.prometheus;

import java.util.Locale;

/** Reads the {@code Accept} and {@code Accept-Encoding} headers a scraper sends. */
final class Negotiation {
  private Negotiation() {}

  /**
   * True when the best-weighted media type this exporter serves is OpenMetrics: the highest
   * {@code q} of {@code application/openmetrics-text} is above zero and not below that of
   * {@code text/plain} (or a wildcard). No header, or nothing matching, means the text format.
   */
  static boolean prefersOpenMetrics(String accept) {
    if (accept == null || accept.isBlank()) {
      return false;
    }
    double om = -1;
    double text = -1;
    for (String part : accept.split(",")) {
      String[] params = part.split(";");
      String type = params[0].trim().toLowerCase(Locale.ROOT);
      double q = 1;
      String version = null;
      for (int i = 1; i < params.length; i++) {
        String p = params[i].trim();
        int eq = p.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String k = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String v = p.substring(eq + 1).trim();
        if (k.equals("q")) {
          try {
            q = Double.parseDouble(v);
          } catch (NumberFormatException e) {
            q = 0;
          }
        } else if (k.equals("version")) {
          version = v;
        }
      }
      if (type.equals("application/openmetrics-text")) {
        if (version == null || version.equals("1.0.0") || version.equals("0.0.1")) {
          om = Math.max(om, q);
        }
      } else if (type.equals("text/plain") || type.equals("text/*") || type.equals("*/*")) {
        text = Math.max(text, q);
      }
    }
    return om > 0 && om >= text;
  }

  /** True when {@code Accept-Encoding} lists gzip (or {@code *}) with a weight above zero. */
  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] params = part.split(";");
      String coding = params[0].trim().toLowerCase(Locale.ROOT);
      if (!coding.equals("gzip") && !coding.equals("*")) {
        continue;
      }
      double q = 1;
      for (int i = 1; i < params.length; i++) {
        String p = params[i].trim();
        if (p.startsWith("q=")) {
          try {
            q = Double.parseDouble(p.substring(2));
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (q > 0) {
        return true;
      }
    }
    return false;
  }
}

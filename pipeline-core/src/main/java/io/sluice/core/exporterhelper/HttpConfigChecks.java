package io.sluice.core.exporterhelper;

import io.sluice.core.ConfigProblem;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** The checks every HTTP exporter's config makes of its URL and its {@code headers}. */
public final class HttpConfigChecks {
  /** An HTTP header name (an RFC 9110 token). */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private HttpConfigChecks() {}

  /**
   * Adds a problem at {@code key} unless {@code url} is an http or https URL with a host and no
   * fragment; {@code example} is a valid value to suggest, such as {@code http://loki:3100/loki/api/v1/push}.
   */
  public static void checkUrl(List<ConfigProblem> problems, String key, String url, String example) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" is not a URL: " + e.getReason()
          + "; write it as \"" + example + "\""));
      return;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      int i = url.indexOf("://");
      problems.add(new ConfigProblem(key, "\"" + url + "\" has no http or https scheme; did you mean \"http://"
          + (i < 0 ? url : url.substring(i + 3)) + "\"?"));
    } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" has no host; write it as \"" + example + "\""));
    } else if (uri.getFragment() != null) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" must not have a fragment"));
    }
  }

  /** Adds a problem for every header whose name is not a token or whose value is missing or has a line break. */
  public static void checkHeaders(List<ConfigProblem> problems, String key, Map<String, String> headers) {
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey() == null || !TOKEN.matcher(h.getKey()).matches()) {
        problems.add(new ConfigProblem(key, "\"" + h.getKey() + "\" is not a valid HTTP header name"));
      } else if (h.getValue() == null) {
        problems.add(new ConfigProblem(key + "." + h.getKey(), "has no value"));
      } else if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) {
        problems.add(new ConfigProblem(key + "." + h.getKey(), "must not contain a line break"));
      }
    }
  }
}

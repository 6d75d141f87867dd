package io.sluice.receiver.otlp;

import io.sluice.receiver.otlp.OtlpReceiverConfig.Cors;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CORS for OTLP/HTTP as the Collector applies it: listed origins (with '*' wildcards) may POST;
 * credentials are allowed; Accept, Accept-Language, Content-Type and Content-Language are always
 * allowed request headers (plus X-Requested-With when none are configured); preflights are
 * answered 204, without CORS headers when the origin, method or a header is not allowed.
 */
final class CorsPolicy {
  private static final Set<String> ALWAYS_ALLOWED =
      Set.of("accept", "accept-language", "content-type", "content-language", "origin");

  private final boolean anyOrigin;
  private final List<Pattern> origins;
  private final boolean anyHeader;
  private final Set<String> headers = new HashSet<>(ALWAYS_ALLOWED);
  private final int maxAge;

  private CorsPolicy(Cors cors) {
    this.anyOrigin = cors.allowedOrigins().contains("*");
    this.origins = cors.allowedOrigins().stream().filter(o -> !o.equals("*")).map(CorsPolicy::originPattern).toList();
    this.anyHeader = cors.allowedHeaders().contains("*");
    for (String h : cors.allowedHeaders()) {
      headers.add(h.toLowerCase(Locale.ROOT));
    }
    if (cors.allowedHeaders().isEmpty()) {
      headers.add("x-requested-with");
    }
    this.maxAge = cors.maxAge();
  }

  /** The policy for a config, or null when CORS is off (no section, or no origins). */
  static CorsPolicy of(Cors cors) {
    return cors == null || cors.allowedOrigins().isEmpty() ? null : new CorsPolicy(cors);
  }

  private static Pattern originPattern(String origin) {
    StringBuilder re = new StringBuilder();
    for (String part : origin.split("\\*", -1)) {
      if (!re.isEmpty()) {
        re.append(".*");
      }
      re.append(Pattern.quote(part));
    }
    return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE);
  }

  boolean originAllowed(String origin) {
    if (anyOrigin) {
      return true;
    }
    for (Pattern p : origins) {
      if (p.matcher(origin).matches()) {
        return true;
      }
    }
    return false;
  }

  static boolean isPreflight(HttpServerRequest req) {
    return req.method() == io.vertx.core.http.HttpMethod.OPTIONS && req.getHeader("Origin") != null
        && req.getHeader("Access-Control-Request-Method") != null;
  }

  /** Answers a preflight request. */
  void preflight(HttpServerRequest req) {
    HttpServerResponse resp = req.response();
    resp.putHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    String origin = req.getHeader("Origin");
    String method = req.getHeader("Access-Control-Request-Method");
    String requested = req.getHeader("Access-Control-Request-Headers");
    if (originAllowed(origin) && "POST".equalsIgnoreCase(method.trim()) && headersAllowed(requested)) {
      resp.putHeader("Access-Control-Allow-Origin", origin);
      resp.putHeader("Access-Control-Allow-Credentials", "true");
      resp.putHeader("Access-Control-Allow-Methods", "POST");
      if (requested != null && !requested.isBlank()) {
        resp.putHeader("Access-Control-Allow-Headers", requested);
      }
      if (maxAge > 0) {
        resp.putHeader("Access-Control-Max-Age", Integer.toString(maxAge));
      }
    }
    resp.setStatusCode(204).end();
  }

  /** Adds the CORS headers to the answer of an actual (non-preflight) request from an origin. */
  void decorate(HttpServerResponse resp, String origin) {
    resp.putHeader("Vary", "Origin");
    if (originAllowed(origin)) {
      resp.putHeader("Access-Control-Allow-Origin", origin);
      resp.putHeader("Access-Control-Allow-Credentials", "true");
    }
  }

  private boolean headersAllowed(String requested) {
    if (anyHeader || requested == null || requested.isBlank()) {
      return true;
    }
    for (String h : requested.split(",")) {
      String name = h.trim().toLowerCase(Locale.ROOT);
      if (!name.isEmpty() && !headers.contains(name)) {
        return false;
      }
    }
    return true;
  }
}

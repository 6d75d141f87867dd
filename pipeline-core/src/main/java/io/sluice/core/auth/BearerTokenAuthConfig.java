package io.sluice.core.auth;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code bearertokenauth} extension's config, with the Collector's keys and defaults: each
 * request gets the header {@code header} (default {@code Authorization}) with the value
 * {@code "<scheme> <token>"}, or the token alone when {@code scheme} is empty.
 *
 * @param scheme put before the token, {@code Bearer} by default
 * @param token the token, never logged; set it or {@code filename}
 * @param filename a file holding the token, read when the extension starts (surrounding
 *     whitespace, such as a final newline, is dropped)
 * @param header the header that carries it, {@code Authorization} by default
 */
public record BearerTokenAuthConfig(String scheme, String token, String filename, String header)
    implements ComponentConfig {
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  public BearerTokenAuthConfig {
    scheme = scheme == null ? "Bearer" : scheme;
    token = token == null ? "" : token;
    filename = filename == null ? "" : filename;
    header = header == null ? "Authorization" : header;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (token.isEmpty() && filename.isEmpty()) {
      problems.add(new ConfigProblem("token", "is required: set token (such as \"${env:TOKEN}\") or filename"));
    } else if (!token.isEmpty() && !filename.isEmpty()) {
      problems.add(new ConfigProblem("filename", "\"" + filename + "\" is set as well as token; set only one"));
    }
    if (BasicAuthConfig.hasLineBreak(token)) {
      problems.add(new ConfigProblem("token", "must not contain a line break"));
    }
    if (BasicAuthConfig.hasLineBreak(scheme)) {
      problems.add(new ConfigProblem("scheme", "must not contain a line break"));
    }
    if (!HEADER_NAME.matcher(header).matches()) {
      problems.add(new ConfigProblem("header", "\"" + header + "\" is not a valid HTTP header name, such as"
          + " \"Authorization\""));
    }
    return problems;
  }

  /** The header value for a token. */
  String value(String tok) {
    return scheme.isEmpty() ? tok : scheme + " " + tok;
  }

  @Override
  public String toString() {
    return "BearerTokenAuthConfig[scheme=" + scheme + ", token=" + (token.isEmpty() ? "" : "[REDACTED]")
        + ", filename=" + filename + ", header=" + header + "]";
  }
}

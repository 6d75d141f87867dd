package io.sluice.core.auth;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code bearertokenauth} extension's config, with the Collector's keys and defaults: as a
 * client, each request gets the header {@code header} (default {@code Authorization}) with the
 * value {@code "<scheme> <token>"}, or the token alone when {@code scheme} is empty; as a server,
 * a request is accepted when that header carries any one of the tokens in that form.
 *
 * @param scheme put before the token, {@code Bearer} by default
 * @param token the token, never logged; set it, {@code tokens} or {@code filename}
 * @param filename a file holding the token (one a line; a client sends the first), read when the
 *     extension starts and again whenever it changes (surrounding whitespace is dropped)
 * @param header the header that carries it, {@code Authorization} by default
 * @param tokens several tokens a server accepts; a client sends the first
 */
public record BearerTokenAuthConfig(String scheme, String token, String filename, String header, List<String> tokens)
    implements ComponentConfig {
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  public BearerTokenAuthConfig {
    scheme = scheme == null ? "Bearer" : scheme;
    token = token == null ? "" : token;
    filename = filename == null ? "" : filename;
    header = header == null ? "Authorization" : header;
    tokens = tokens == null ? List.of() : List.copyOf(tokens);
  }

  /** Without {@code tokens}. */
  public BearerTokenAuthConfig(String scheme, String token, String filename, String header) {
    this(scheme, token, filename, header, null);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    int sources = (token.isEmpty() ? 0 : 1) + (tokens.isEmpty() ? 0 : 1) + (filename.isEmpty() ? 0 : 1);
    if (sources == 0) {
      problems.add(new ConfigProblem("token", "is required: set token (such as \"${env:TOKEN}\"), tokens or"
          + " filename"));
    } else if (sources > 1) {
      problems.add(new ConfigProblem(filename.isEmpty() ? "tokens" : "filename", "is set as well as "
          + (token.isEmpty() ? "tokens" : "token") + "; set only one of token, tokens and filename"));
    }
    if (BasicAuthConfig.hasLineBreak(token)) {
      problems.add(new ConfigProblem("token", "must not contain a line break"));
    }
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t == null || t.isBlank() || BasicAuthConfig.hasLineBreak(t)) {
        problems.add(new ConfigProblem("tokens[" + i + "]", "must be a non-empty token on one line"));
      }
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
        + ", filename=" + filename + ", header=" + header + ", tokens=" + tokens.size() + " [REDACTED]]";
  }
}

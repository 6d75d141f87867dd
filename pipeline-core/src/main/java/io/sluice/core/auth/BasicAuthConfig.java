package io.sluice.core.auth;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code basicauth} extension's config, with the Collector's keys. Only the client side is
 * supported: {@code client_auth} gives the credentials sent with each request.
 *
 * @param clientAuth the user name and password; required
 */
public record BasicAuthConfig(ClientAuth clientAuth) implements ComponentConfig {
  /**
   * {@code client_auth}.
   *
   * @param username the user name; must not contain ':'
   * @param password the password, never logged
   */
  public record ClientAuth(String username, String password) {
    public ClientAuth {
      username = username == null ? "" : username;
      password = password == null ? "" : password;
    }

    @Override
    public String toString() {
      return "ClientAuth[username=" + username + ", password=" + (password.isEmpty() ? "" : "[REDACTED]") + "]";
    }
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (clientAuth == null) {
      problems.add(new ConfigProblem("client_auth", "is required: the credentials to send, such as"
          + " \"client_auth: {username: user, password: ${env:PASSWORD}}\" (htpasswd, for servers, is not supported)"));
      return problems;
    }
    if (clientAuth.username().isEmpty()) {
      problems.add(new ConfigProblem("client_auth.username", "is required"));
    } else if (clientAuth.username().indexOf(':') >= 0) {
      problems.add(new ConfigProblem("client_auth.username", "\"" + clientAuth.username()
          + "\" must not contain ':', which separates user name and password in basic auth"));
    }
    if (hasLineBreak(clientAuth.username())) {
      problems.add(new ConfigProblem("client_auth.username", "must not contain a line break"));
    }
    if (hasLineBreak(clientAuth.password())) {
      problems.add(new ConfigProblem("client_auth.password", "must not contain a line break"));
    }
    return problems;
  }

  static boolean hasLineBreak(String s) {
    return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
  }
}

package io.sluice.core.auth;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code basicauth} extension's config, with the Collector's keys: {@code client_auth} gives
 * the credentials a client sends with each request; {@code htpasswd} the users a server accepts.
 * At least one is required; an extension with both serves both sides.
 *
 * <pre>
 * basicauth/server:
 *   htpasswd:
 *     file: /etc/sluice/.htpasswd       # read at start
 *     inline: |
 *       ${env:USER}:${env:PASSWORD}
 * basicauth/client:
 *   client_auth: {username: user, password: ${env:PASSWORD}}
 * </pre>
 *
 * @param clientAuth the user name and password a client sends
 * @param htpasswd the users a server accepts
 */
public record BasicAuthConfig(ClientAuth clientAuth, HtpasswdSettings htpasswd) implements ComponentConfig {
  /** Client side only. */
  public BasicAuthConfig(ClientAuth clientAuth) {
    this(clientAuth, null);
  }

  /**
   * {@code htpasswd}: entries from a file and inline, the inline ones taking precedence per user.
   *
   * @param file an htpasswd file, read when the extension starts
   * @param inline htpasswd lines, never logged
   */
  public record HtpasswdSettings(String file, String inline) {
    public HtpasswdSettings {
      file = file == null ? "" : file;
      inline = inline == null ? "" : inline;
    }

    @Override
    public String toString() {
      return "HtpasswdSettings[file=" + file + ", inline=" + (inline.isEmpty() ? "" : "[REDACTED]") + "]";
    }
  }

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
    if (htpasswd != null) {
      if (htpasswd.file().isEmpty() && htpasswd.inline().isBlank()) {
        problems.add(new ConfigProblem("htpasswd", "names no users: set htpasswd.file to an htpasswd file and/or"
            + " htpasswd.inline to \"user:password\" lines"));
      }
      if (!htpasswd.file().isEmpty()) {
        try {
          Path p = Path.of(htpasswd.file());
          if (!Files.isReadable(p) || !Files.isRegularFile(p)) {
            problems.add(new ConfigProblem("htpasswd.file", "\"" + htpasswd.file() + "\" is not a readable file"));
          }
        } catch (InvalidPathException e) {
          problems.add(new ConfigProblem("htpasswd.file", "\"" + htpasswd.file() + "\" is not a valid path"));
        }
      }
    }
    if (clientAuth == null) {
      if (htpasswd == null) {
        problems.add(new ConfigProblem("client_auth", "is required unless htpasswd is set: the credentials a client"
            + " sends, such as \"client_auth: {username: user, password: ${env:PASSWORD}}\", or htpasswd with the"
            + " users a server accepts"));
      }
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

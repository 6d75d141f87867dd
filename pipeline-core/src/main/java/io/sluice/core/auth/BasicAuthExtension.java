package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP basic auth. As a client ({@code client_auth}) it adds
 * {@code Authorization: Basic base64(username:password)} to every request; as a server
 * ({@code htpasswd}) it accepts requests whose {@code Authorization} header names a user and
 * password of the htpasswd entries. Slow hashes (bcrypt, the crypt family) are checked on a
 * worker; a pair once accepted is remembered (as a SHA-256 digest) so that it is not hashed again.
 */
final class BasicAuthExtension implements Extension, HttpClientAuth, ServerAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(BasicAuthExtension.class);
  /** Accepted pairs remembered at most; past this the memory starts over. */
  static final int ACCEPTED_CACHE_SIZE = 1024;

  private final ComponentContext ctx;
  private final BasicAuthConfig config;
  private final Map<String, String> headers;
  private final Set<String> accepted = ConcurrentHashMap.newKeySet();
  private volatile Htpasswd users;

  BasicAuthExtension(ComponentContext ctx, BasicAuthConfig config) {
    this.ctx = ctx;
    this.config = config;
    BasicAuthConfig.ClientAuth c = config.clientAuth();
    if (c == null) {
      this.headers = null;
    } else {
      String credentials = c.username() + ":" + c.password();
      this.headers = Map.of("Authorization",
          "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** True when the config has {@code client_auth}. */
  boolean hasClientAuth() {
    return headers != null;
  }

  /** True when the config has {@code htpasswd}. */
  boolean hasHtpasswd() {
    return config.htpasswd() != null;
  }

  @Override
  public Map<String, String> headers() {
    if (headers == null) {
      throw new IllegalStateException("Extension '" + ctx.id() + "' has no client_auth");
    }
    return headers;
  }

  @Override
  public Future<Void> start() {
    BasicAuthConfig.HtpasswdSettings h = config.htpasswd();
    if (h == null) {
      LOG.info("Extension '{}' authenticates requests with basic auth", ctx.id());
      return Future.succeededFuture();
    }
    Future<String> file = h.file().isEmpty() ? Future.succeededFuture("")
        : ctx.vertx().fileSystem().readFile(h.file()).map(b -> b.toString(StandardCharsets.UTF_8))
            .recover(err -> Future.failedFuture(new IllegalStateException("Extension '" + ctx.id()
                + "' cannot read htpasswd.file '" + h.file() + "': " + err.getMessage(), err)));
    return file.compose(text -> {
      List<Map.Entry<String, String>> sources = new ArrayList<>();
      sources.add(Map.entry("htpasswd.file '" + h.file() + "'", text));
      sources.add(Map.entry("htpasswd.inline", h.inline()));
      try {
        users = Htpasswd.parse(sources);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "': " + e.getMessage()));
      }
      LOG.info("Extension '{}' accepts basic auth for {} users{}", ctx.id(), users.size(),
          hasClientAuth() ? ", and adds basic auth to requests" : "");
      return Future.<Void>succeededFuture();
    });
  }

  @Override
  public Future<Map<String, String>> authenticate(MultiMap requestHeaders) {
    Htpasswd u = users;
    if (u == null) {
      return Future.failedFuture(new AuthenticationException(hasHtpasswd()
          ? "the authenticator has not started" : "the authenticator has no htpasswd to check servers' clients"));
    }
    String value = requestHeaders.get("Authorization");
    if (value == null || value.isBlank()) {
      return Future.failedFuture(new AuthenticationException("missing or empty authorization header"));
    }
    if (!value.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Future.failedFuture(new AuthenticationException("the authorization header is not basic auth"));
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(value.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new AuthenticationException("the basic auth credentials are not valid base64"));
    }
    int colon = decoded.indexOf(':');
    if (colon < 0) {
      return Future.failedFuture(new AuthenticationException("the basic auth credentials are not user:password"));
    }
    String user = decoded.substring(0, colon);
    String password = decoded.substring(colon + 1);
    Map<String, String> who = Map.of("username", user);
    Htpasswd.Scheme scheme = u.schemeOf(user);
    String key = digest(user, password);
    if (scheme != null && scheme.slow && !accepted.contains(key)) {
      return ctx.vertx().executeBlocking(() -> check(u, user, password, key), false)
          .compose(ok -> ok ? Future.succeededFuture(who) : refused());
    }
    return check(u, user, password, key) ? Future.succeededFuture(who) : refused();
  }

  private boolean check(Htpasswd u, String user, String password, String key) {
    if (accepted.contains(key)) {
      return true;
    }
    boolean ok = u.matches(user, password);
    if (ok) {
      if (accepted.size() >= ACCEPTED_CACHE_SIZE) {
        accepted.clear();
      }
      accepted.add(key);
    }
    return ok;
  }

  private static <T> Future<T> refused() {
    return Future.failedFuture(new AuthenticationException("the user name or password is not valid"));
  }

  private static String digest(String user, String password) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(user.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(password.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public Future<Void> shutdown() {
    return Future.succeededFuture();
  }
}

package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens. As a client it adds {@code <header>: <scheme> <token>} to every request; as a
 * server it accepts a request whose {@code <header>} carries one of its tokens in that form. A
 * token file is read when the extension starts and checked every second while it runs: a changed
 * file replaces the tokens (a file that turns empty or unreadable keeps the old ones, with a
 * warning).
 */
final class BearerTokenAuthExtension implements Extension, HttpClientAuth, ServerAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(BearerTokenAuthExtension.class);
  /** How often the token file is looked at. */
  static final long FILE_CHECK_MS = 1_000;

  /** The tokens in effect, as the header values they appear in. */
  private record Tokens(String fileText, List<byte[]> expected, Map<String, String> clientHeaders) {}

  private final ComponentContext ctx;
  private final BearerTokenAuthConfig config;
  /** Null until started. */
  private volatile Tokens tokens;
  private long timer = -1;

  BearerTokenAuthExtension(ComponentContext ctx, BearerTokenAuthConfig config) {
    this.ctx = ctx;
    this.config = config;
  }

  private Tokens tokensOf(String fileText, List<String> list) {
    List<byte[]> expected = list.stream().map(t -> config.value(t).getBytes(StandardCharsets.UTF_8)).toList();
    return new Tokens(fileText, expected, Map.of(config.header(), config.value(list.get(0))));
  }

  @Override
  public Map<String, String> headers() {
    Tokens t = tokens;
    if (t == null) {
      throw new IllegalStateException("Extension '" + ctx.id() + "' has not started");
    }
    return t.clientHeaders();
  }

  @Override
  public synchronized Future<Void> start() {
    if (config.filename().isEmpty()) {
      tokens = tokensOf(null, config.token().isEmpty() ? config.tokens() : List.of(config.token()));
      LOG.info("Extension '{}' uses a bearer token in header '{}'", ctx.id(), config.header());
      return Future.succeededFuture();
    }
    return readFile().compose(text -> {
      tokens = tokensOf(text, parse(text));
      LOG.info("Extension '{}' uses the token read from '{}' in header '{}', and re-reads the file when it changes",
          ctx.id(), config.filename(), config.header());
      synchronized (this) {
        if (timer < 0) {
          timer = ctx.vertx().setPeriodic(FILE_CHECK_MS, id -> recheck());
        }
      }
      return Future.<Void>succeededFuture();
    });
  }

  private Future<String> readFile() {
    return ctx.vertx().fileSystem().readFile(config.filename())
        .recover(err -> Future.failedFuture(new IllegalStateException("Extension '" + ctx.id()
            + "' cannot read the token file '" + config.filename() + "': " + err.getMessage(), err)))
        .map((Buffer buf) -> buf.toString(StandardCharsets.UTF_8))
        .compose(text -> parse(text).isEmpty()
            ? Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "': the token file '"
                + config.filename() + "' is empty"))
            : Future.succeededFuture(text));
  }

  private static List<String> parse(String text) {
    return text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  private void recheck() {
    readFile().onComplete(ar -> {
      Tokens current = tokens;
      if (ar.failed()) {
        LOG.warn("Extension '{}' keeps its tokens: {}", ctx.id(), ar.cause().getMessage());
      } else if (current == null || !ar.result().equals(current.fileText())) {
        tokens = tokensOf(ar.result(), parse(ar.result()));
        LOG.info("Extension '{}' read changed tokens from '{}'", ctx.id(), config.filename());
      }
    });
  }

  @Override
  public Future<Map<String, String>> authenticate(MultiMap requestHeaders) {
    Tokens t = tokens;
    if (t == null) {
      return Future.failedFuture(new AuthenticationException("the authenticator has not started"));
    }
    String value = requestHeaders.get(config.header());
    if (value == null || value.isBlank()) {
      return Future.failedFuture(new AuthenticationException("missing or empty " + config.header() + " header"));
    }
    byte[] got = value.strip().getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] expected : t.expected()) {
      ok |= MessageDigest.isEqual(got, expected);
    }
    if (!ok) {
      String scheme = config.scheme();
      boolean schemeMatches = scheme.isEmpty() || value.regionMatches(true, 0, scheme + " ", 0, scheme.length() + 1);
      return Future.failedFuture(new AuthenticationException(schemeMatches ? "the token is not valid"
          : "the " + config.header() + " header does not use the \"" + scheme + "\" scheme"));
    }
    return Future.succeededFuture(Map.of());
  }

  @Override
  public synchronized Future<Void> shutdown() {
    if (timer >= 0) {
      ctx.vertx().cancelTimer(timer);
      timer = -1;
    }
    return Future.succeededFuture();
  }
}

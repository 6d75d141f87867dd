package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds {@code <header>: <scheme> <token>} to every request; a token from {@code filename} is read
 * once, when the extension starts.
 */
final class BearerTokenAuthExtension implements Extension, HttpClientAuth {
  private static final Logger LOG = LoggerFactory.getLogger(BearerTokenAuthExtension.class);

  private final ComponentContext ctx;
  private final BearerTokenAuthConfig config;
  /** Null until started. */
  private volatile Map<String, String> headers;

  BearerTokenAuthExtension(ComponentContext ctx, BearerTokenAuthConfig config) {
    this.ctx = ctx;
    this.config = config;
  }

  @Override
  public Map<String, String> headers() {
    Map<String, String> h = headers;
    if (h == null) {
      throw new IllegalStateException("Extension '" + ctx.id() + "' has not started");
    }
    return h;
  }

  @Override
  public Future<Void> start() {
    if (config.filename().isEmpty()) {
      headers = Map.of(config.header(), config.value(config.token()));
      LOG.info("Extension '{}' adds a bearer token to requests in header '{}'", ctx.id(), config.header());
      return Future.succeededFuture();
    }
    return ctx.vertx().fileSystem().readFile(config.filename())
        .recover(err -> Future.failedFuture(new IllegalStateException("Extension '" + ctx.id()
            + "' cannot read the token file '" + config.filename() + "': " + err.getMessage(), err)))
        .compose(buf -> {
          String tok = buf.toString(StandardCharsets.UTF_8).strip();
          if (tok.isEmpty()) {
            return Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "': the token file '"
                + config.filename() + "' is empty"));
          }
          if (BasicAuthConfig.hasLineBreak(tok)) {
            return Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "': the token file '"
                + config.filename() + "' holds more than one line; it must hold the token alone"));
          }
          headers = Map.of(config.header(), config.value(tok));
          LOG.info("Extension '{}' adds the token read from '{}' to requests in header '{}'", ctx.id(),
              config.filename(), config.header());
          return Future.<Void>succeededFuture();
        });
  }

  @Override
  public Future<Void> shutdown() {
    return Future.succeededFuture();
  }
}

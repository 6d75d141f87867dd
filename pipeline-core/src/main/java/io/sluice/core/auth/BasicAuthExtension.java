package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Adds {@code Authorization: Basic base64(username:password)} to every request. */
final class BasicAuthExtension implements Extension, HttpClientAuth {
  private static final Logger LOG = LoggerFactory.getLogger(BasicAuthExtension.class);

  private final ComponentContext ctx;
  private final Map<String, String> headers;

  BasicAuthExtension(ComponentContext ctx, BasicAuthConfig config) {
    this.ctx = ctx;
    BasicAuthConfig.ClientAuth c = config.clientAuth();
    String credentials = c.username() + ":" + c.password();
    this.headers = Map.of("Authorization",
        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public Future<Void> start() {
    LOG.info("Extension '{}' authenticates requests with basic auth", ctx.id());
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> shutdown() {
    return Future.succeededFuture();
  }
}

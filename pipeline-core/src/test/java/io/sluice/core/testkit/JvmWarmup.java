package io.sluice.core.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.TimeUnit;

/**
 * Work done once per test JVM on a Vert.x without the strict blocked-thread check, so that loading
 * classes for the first time does not count against whichever test happens to run first.
 */
public final class JvmWarmup {
  private static boolean httpDone;

  private JvmWarmup() {}

  /** One request from Vert.x's HTTP client to its HTTP server, on loopback. */
  public static synchronized void httpClientAndServer() throws Exception {
    if (httpDone) {
      return;
    }
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response()
          .putHeader("Content-Type", "application/json").end("[]"));
      int port = server.listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS).actualPort();
      HttpClient client = vertx.createHttpClient();
      client.request(HttpMethod.GET, port, "127.0.0.1", "/").compose(r -> r.send())
          .compose(r -> r.body()).await(30, TimeUnit.SECONDS);
      client.close().await(30, TimeUnit.SECONDS);
      server.close().await(30, TimeUnit.SECONDS);
      httpDone = true;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}

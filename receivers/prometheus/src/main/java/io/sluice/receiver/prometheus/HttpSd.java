package io.sluice.receiver.prometheus;

import io.sluice.core.util.RateLimitedLog;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpSdConfig;
import io.sluice.receiver.prometheus.Targets.Group;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Prometheus' HTTP service discovery for one {@code http_sd_configs} entry: GETs the URL and
 * expects status 200, {@code Content-Type: application/json} and a JSON list of target groups,
 * {@code [{"targets": ["host:port", ...], "labels": {...}}]}. Each target gets the group's labels
 * and {@code __meta_url}. A refresh that fails (no connection, another status, a body that is not
 * such a list) is logged at WARN and changes nothing, so the receiver keeps the targets of the
 * last good one.
 *
 * <p>Used only on the receiver's context; at most one request is in flight.
 */
final class HttpSd {
  private static final Logger log = LoggerFactory.getLogger(HttpSd.class);
  static final String META_URL = "__meta_url";
  /** Largest response read; a discovery document is far smaller. */
  static final long MAX_BODY_BYTES = 64L * 1024 * 1024;

  private static class SdFailure extends Exception {
    private static final long serialVersionUID = 1L;

    SdFailure(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpSdConfig config;
  private final ClientSetup setup;
  private final HttpClient client;
  private final Offload worker;
  private final String componentId;
  private final String job;
  private RateLimitedLog failures = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
  /** The reason of the last failed refresh told at WARN; null after a good one. */
  private String lastReason;
  private boolean fetching;
  private boolean stopped;
  private HttpClientRequest inFlight;

  HttpSd(Vertx vertx, HttpSdConfig config, ClientSetup setup, Offload worker, String componentId, String job) {
    this.vertx = vertx;
    this.config = config;
    this.setup = setup;
    this.worker = worker;
    this.componentId = componentId;
    this.job = job;
    this.client = setup.createClient(vertx, "sluice-prometheus-sd-" + job, 2);
  }

  HttpSdConfig config() {
    return config;
  }

  /**
   * Fetches the target groups. Completes with them after a good refresh; with null when the
   * refresh failed (logged) or the previous one is still running, or after {@link #stop()}.
   */
  Future<List<Group>> refresh() {
    if (stopped || fetching) {
      return Future.succeededFuture();
    }
    fetching = true;
    return fetch().compose(this::decode).transform(ar -> {
      fetching = false;
      inFlight = null;
      if (stopped) {
        return Future.succeededFuture();
      }
      if (ar.succeeded()) {
        if (lastReason != null) {
          log.info("Receiver '{}' read the targets of job '{}' from '{}' again", componentId, job, config.url());
          lastReason = null;
        }
        return Future.succeededFuture(ar.result());
      }
      Throwable cause = ar.cause();
      String reason = ClientSetup.reason(cause);
      if (!reason.equals(lastReason)) {
        // a new kind of failure is told at once; repeats of the same one are rate-limited
        lastReason = reason;
        failures = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
      }
      failures.log("Receiver '{}' could not refresh the targets of job '{}' from '{}', keeping the last ones: {}",
          componentId, job, config.url(), reason);
      return Future.succeededFuture();
    });
  }

  private Future<Buffer> fetch() {
    Promise<Buffer> promise = Promise.promise();
    // as in Prometheus, a request may take as long as the refresh interval
    long timeoutMs = Math.max(1, config.refreshInterval().toMillis());
    var options = setup.request(config.url())
        .setConnectTimeout(timeoutMs)
        .putHeader(HttpHeaders.ACCEPT, "application/json")
        .putHeader(HttpHeaders.USER_AGENT, ScrapeLoop.USER_AGENT)
        .putHeader("X-Prometheus-Refresh-Interval-Seconds",
            BigDecimal.valueOf(timeoutMs, 3).stripTrailingZeros().toPlainString());
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (promise.tryFail(new SdFailure("request timed out after " + timeoutMs + "ms")) && inFlight != null) {
        inFlight.reset();
      }
    });
    promise.future().onComplete(x -> vertx.cancelTimer(timer));
    client.request(options).compose(req -> {
      inFlight = req;
      return req.send();
    }).onComplete(ar -> {
      if (ar.failed()) {
        promise.tryFail(ar.cause());
        return;
      }
      var resp = ar.result();
      if (resp.statusCode() != 200) {
        promise.tryFail(new SdFailure("server returned HTTP status " + resp.statusCode() + " "
            + resp.statusMessage()));
        ScrapeLoop.abandon(resp);
        return;
      }
      String contentType = resp.getHeader(HttpHeaders.CONTENT_TYPE);
      if (!isJson(contentType)) {
        promise.tryFail(new SdFailure("unsupported content type \"" + (contentType == null ? "" : contentType)
            + "\"; the server must answer with application/json"));
        ScrapeLoop.abandon(resp);
        return;
      }
      Buffer body = Buffer.buffer();
      resp.handler(chunk -> {
        if ((long) body.length() + chunk.length() > MAX_BODY_BYTES) {
          if (promise.tryFail(new SdFailure("the response is larger than " + MAX_BODY_BYTES + " bytes"))) {
            resp.request().reset();
          }
          return;
        }
        body.appendBuffer(chunk);
      });
      resp.exceptionHandler(promise::tryFail);
      resp.endHandler(v -> promise.tryComplete(body));
    });
    return promise.future();
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String mime = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return mime.toLowerCase(Locale.ROOT).equals("application/json");
  }

  /** Parses a body: here when it is small, else on the worker. */
  private Future<List<Group>> decode(Buffer body) {
    if (body.length() <= ScrapeLoop.PARSE_ON_LOOP_MAX_BYTES || worker == null) {
      try {
        return Future.succeededFuture(parse(body, config.url()));
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    }
    return worker.run(() -> parse(body, config.url()));
  }

  /**
   * The target groups of a response body, each with {@code __meta_url}.
   *
   * @throws IllegalArgumentException when the body is not JSON or not a list of target groups
   */
  static List<Group> parse(Buffer body, String url) {
    Object root;
    try {
      root = Json.decodeValue(body);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the response is not valid JSON: " + e.getMessage(), e);
    }
    if (root instanceof JsonArray array) {
      root = array.getList();
    } else if (root instanceof JsonObject object) {
      root = object.getMap();
    }
    try {
      return Targets.groups(root, META_URL, url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the response is not a list of target groups: " + e.getMessage(), e);
    }
  }

  /** Stops refreshing and abandons the request in flight. */
  void stop() {
    stopped = true;
    if (inFlight != null) {
      inFlight.reset();
      inFlight = null;
    }
  }

  Future<Void> close() {
    stop();
    return client.close();
  }
}

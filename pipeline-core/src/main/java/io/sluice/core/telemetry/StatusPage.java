package io.sluice.core.telemetry;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.config.PipelineConfig;
import io.sluice.core.service.ServiceGraph;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The live status page of the self-metrics server: {@code /status} is a page (HTML, JS and CSS
 * from the jar, plots by the bundled uPlot) that polls {@code /status.json} every few seconds.
 * That JSON is the configured pipeline graph and a snapshot of the self-metrics registry, the
 * same samples {@code /metrics} serves; the page computes rates from successive snapshots, so
 * the gateway keeps no second count of anything.
 */
final class StatusPage {
  private static final String OWN = "io/sluice/core/telemetry/status/";
  private static final String UPLOT = "META-INF/resources/webjars/uplot/";

  /** What the page serves from the jar, by path; read once when the server starts. */
  private final Map<String, Asset> assets = new LinkedHashMap<>();

  private record Asset(String contentType, Buffer body) {}

  /** The page, its files read from the class path with the first call (blocking: call it off the event loop). */
  static StatusPage get() {
    return Loaded.PAGE;
  }

  /** Holds the page once it is read: the files in the jar do not change. */
  private static final class Loaded {
    static final StatusPage PAGE = load();
  }

  private static StatusPage load() {
    StatusPage page = new StatusPage();
    page.add("/status", "text/html; charset=utf-8", OWN + "index.html");
    page.add("/status/status.js", "text/javascript; charset=utf-8", OWN + "status.js");
    page.add("/status/status.css", "text/css; charset=utf-8", OWN + "status.css");
    String dist = UPLOT + uplotVersion() + "/dist/";
    page.add("/status/uPlot.iife.min.js", "text/javascript; charset=utf-8", dist + "uPlot.iife.min.js");
    page.add("/status/uPlot.min.css", "text/css; charset=utf-8", dist + "uPlot.min.css");
    // the JSON's classes load here, not on the event loop of the first request
    json(MetricSnapshots.of(), null, 0).toBuffer();
    return page;
  }

  private static String uplotVersion() {
    Properties p = new Properties();
    try (InputStream in = resource("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = StatusPage.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException("the status page's file " + name + " is not on the class path");
    }
    return in;
  }

  private void add(String path, String contentType, String name) {
    try (InputStream in = resource(name)) {
      assets.put(path, new Asset(contentType, Buffer.buffer(in.readAllBytes())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True when {@code path} is the page's: the page, its files or its JSON. */
  static boolean handles(String path) {
    return path.equals("/status") || path.startsWith("/status/") || path.equals("/status.json");
  }

  void handle(HttpServerRequest req, SelfMetrics metrics, ServiceGraph.Definition graph) {
    String path = req.path();
    if (path.equals("/status/")) {
      // the page's links are relative to /status
      req.response().setStatusCode(301).putHeader("Location", "/status").end();
      return;
    }
    if (path.equals("/status.json")) {
      req.response()
          .putHeader("Content-Type", "application/json")
          .putHeader("Cache-Control", "no-store")
          .end(json(metrics.registry().scrape(), graph, System.currentTimeMillis()).toBuffer());
      return;
    }
    Asset a = assets.get(path);
    if (a == null) {
      req.response().setStatusCode(404).end("Not found: " + req.path() + "; the status page is on /status\n");
      return;
    }
    req.response().putHeader("Content-Type", a.contentType()).end(a.body());
  }

  /**
   * The page's data: {@code pipelines} as configured, {@code connectors} (the ids in pipelines'
   * receivers and exporters that are connectors) and {@code series}: every sample of the registry
   * as {@code {metric, type, component, labels, value}}, histograms with their count as value and
   * their {@code sum}.
   */
  static JsonObject json(MetricSnapshots snapshots, ServiceGraph.Definition graph, long nowMillis) {
    JsonArray pipelines = new JsonArray();
    Set<String> connectors = new LinkedHashSet<>();
    if (graph != null) {
      for (PipelineConfig p : graph.pipelines()) {
        pipelines.add(new JsonObject()
            .put("id", p.id())
            .put("signal", p.signal().configName())
            .put("receivers", ids(p.receivers()))
            .put("processors", ids(p.processors()))
            .put("exporters", ids(p.exporters())));
        for (ComponentId r : p.receivers()) {
          if (graph.component(ComponentKind.RECEIVER, r) == null) {
            connectors.add(r.toString());
          }
        }
        for (ComponentId e : p.exporters()) {
          if (graph.component(ComponentKind.EXPORTER, e) == null) {
            connectors.add(e.toString());
          }
        }
      }
    }
    JsonArray series = new JsonArray();
    for (MetricSnapshot m : snapshots) {
      String name = m.getMetadata().getPrometheusName();
      String type = m instanceof CounterSnapshot ? "counter" : m instanceof GaugeSnapshot ? "gauge"
          : m instanceof HistogramSnapshot ? "histogram" : null;
      if (type == null) {
        continue;
      }
      for (DataPointSnapshot dp : m.getDataPoints()) {
        JsonObject s = new JsonObject().put("metric", name).put("type", type);
        JsonObject labels = new JsonObject();
        for (Label l : dp.getLabels()) {
          if (l.getName().equals("component_id")) {
            s.put("component", l.getValue());
          } else {
            labels.put(l.getName(), l.getValue());
          }
        }
        s.put("labels", labels);
        if (dp instanceof CounterSnapshot.CounterDataPointSnapshot c) {
          s.put("value", finite(c.getValue()));
        } else if (dp instanceof GaugeSnapshot.GaugeDataPointSnapshot g) {
          s.put("value", finite(g.getValue()));
        } else if (dp instanceof HistogramSnapshot.HistogramDataPointSnapshot h) {
          s.put("value", h.getCount()).put("sum", finite(h.getSum()));
        }
        series.add(s);
      }
    }
    return new JsonObject()
        .put("time", nowMillis)
        .put("pipelines", pipelines)
        .put("connectors", new JsonArray(List.copyOf(connectors)))
        .put("series", series);
  }

  private static JsonArray ids(List<ComponentId> ids) {
    JsonArray a = new JsonArray();
    ids.forEach(id -> a.add(id.toString()));
    return a;
  }

  /** JSON has no NaN or infinities; such a sample is left without a value (null). */
  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}

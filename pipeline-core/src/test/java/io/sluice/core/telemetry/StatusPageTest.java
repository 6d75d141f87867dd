package io.sluice.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Signal;
import io.sluice.core.config.BoundComponent;
import io.sluice.core.config.PipelineConfig;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.util.HostPort;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status page's endpoints on the self-metrics server, and the samples it is built from. */
class StatusPageTest {
  private static final ComponentId OTLP = ComponentId.parse("otlp");
  private static final ComponentId BATCH = ComponentId.parse("batch");
  private static final ComponentId OUT = ComponentId.parse("otlp/out");
  private static final ComponentId COUNT = ComponentId.parse("spanmetrics");

  private final TestVertx tv = TestVertx.create();
  private final SelfMetrics metrics = new SelfMetrics();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NORMAL).build();
  private MetricsServer server;
  private int port;

  /** Traces from otlp through batch to otlp/out and the spanmetrics connector, which feeds metrics to otlp/out. */
  private static final ServiceGraph.Definition GRAPH = new ServiceGraph.Definition() {
    @Override
    public List<PipelineConfig> pipelines() {
      return List.of(new PipelineConfig("traces", Signal.TRACES, List.of(OTLP), List.of(BATCH), List.of(OUT, COUNT)),
          new PipelineConfig("metrics", Signal.METRICS, List.of(COUNT), List.of(), List.of(OUT)));
    }

    @Override
    public BoundComponent<?> component(ComponentKind kind, ComponentId id) {
      boolean known = switch (kind) {
        case RECEIVER -> id.equals(OTLP);
        case PROCESSOR -> id.equals(BATCH);
        case EXPORTER -> id.equals(OUT);
        case CONNECTOR -> id.equals(COUNT);
        case EXTENSION -> false;
      };
      return known ? new BoundComponent<>(id, null, null) : null;
    }

    @Override
    public List<ComponentId> serviceExtensions() {
      return List.of();
    }
  };

  @BeforeEach
  void start() throws Exception {
    port = Ports.freePort();
    server = new MetricsServer(tv.vertx(), metrics, HostPort.parse("127.0.0.1:" + port));
    server.start().await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown().await(10, TimeUnit.SECONDS);
    tv.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageItsScriptsAndTheBundledPlotLibrary() throws Exception {
    HttpResponse<String> page = get("/status");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("status/uPlot.iife.min.js", "status/status.js", "status/status.css");
    String script = get("/status/status.js").body();
    assertThat(script).contains("status.json");
    assertThat(get("/status/status.js").body()).as("the same file served again").isEqualTo(script);
    HttpResponse<String> uplot = get("/status/uPlot.iife.min.js");
    assertThat(uplot.statusCode()).isEqualTo(200);
    assertThat(uplot.body()).contains("uPlot");
    assertThat(get("/status/uPlot.min.css").statusCode()).isEqualTo(200);
    assertThat(get("/status/").statusCode()).as("redirected to /status").isEqualTo(200);
    HttpResponse<String> missing = get("/status/nothing.js");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("/status");
    assertThat(get("/other").body()).contains("/metrics", "/status");
  }

  @Test
  void jsonIsTheConfiguredGraphAndTheSamplesOfMetrics() throws Exception {
    server.showing(GRAPH);
    metrics.receiver(OTLP, "grpc").accepted(Signal.TRACES, 42);
    metrics.exporter(OUT).dropped(Signal.METRICS, "delta_histogram", 3);
    SelfMetrics.ConnectorMetrics connector = metrics.connector(COUNT, Signal.TRACES, Signal.METRICS);
    connector.incoming(7);
    connector.outgoing(2);
    AtomicLong queued = new AtomicLong(5);
    metrics.registerQueue(OUT, queued::get, 100);

    HttpResponse<String> r = get("/status.json");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject json = new JsonObject(r.body());
    assertThat(json.getLong("time")).isPositive();
    JsonArray pipelines = json.getJsonArray("pipelines");
    assertThat(pipelines.size()).isEqualTo(2);
    assertThat(pipelines.getJsonObject(0).encode()).isEqualTo(new JsonObject().put("id", "traces")
        .put("signal", "traces").put("receivers", new JsonArray().add("otlp")).put("processors",
            new JsonArray().add("batch")).put("exporters", new JsonArray().add("otlp/out").add("spanmetrics")).encode());
    assertThat(json.getJsonArray("connectors").getList()).containsExactly("spanmetrics");

    JsonArray series = json.getJsonArray("series");
    assertThat(sample(series, "sluice_receiver_accepted_items", "otlp", "signal", "traces").getDouble("value"))
        .isEqualTo(42.0);
    JsonObject dropped = sample(series, "sluice_exporter_dropped_items", "otlp/out", "reason", "delta_histogram");
    assertThat(dropped.getDouble("value")).isEqualTo(3.0);
    assertThat(dropped.getString("type")).isEqualTo("counter");
    assertThat(sample(series, "sluice_connector_incoming_items", "spanmetrics", "signal", "traces")
        .getDouble("value")).isEqualTo(7.0);
    assertThat(sample(series, "sluice_connector_outgoing_items", "spanmetrics", "signal", "metrics")
        .getDouble("value")).isEqualTo(2.0);
    assertThat(sample(series, "sluice_exporter_queue_size", "otlp/out", null, null).getDouble("value"))
        .isEqualTo(5.0);

    // The same samples as /metrics: what moves there moves here.
    queued.set(9);
    JsonArray again = new JsonObject(get("/status.json").body()).getJsonArray("series");
    assertThat(sample(again, "sluice_exporter_queue_size", "otlp/out", null, null).getDouble("value"))
        .isEqualTo(9.0);
    assertThat(get("/metrics").body()).contains("sluice_exporter_queue_size{component_id=\"otlp/out\"} 9.0",
        "sluice_connector_incoming_items_total{component_id=\"spanmetrics\",signal=\"traces\"} 7.0");
  }

  @Test
  void gaugeSourcesAddEachComponentsSamplesAndAReloadReplacesThem() throws Exception {
    ComponentId files = ComponentId.parse("filelog");
    List<String> labels = List.of("path");
    metrics.gaugeSource("sluice_test_offset_bytes", "Offsets.", labels, files, sink -> {
      sink.set(10, "/a.log");
      sink.set(20, "/b.log");
    });
    metrics.gaugeSource("sluice_test_offset_bytes", "Offsets.", labels, ComponentId.parse("filelog/2"),
        sink -> sink.set(30, "/c.log"));
    assertThat(get("/metrics").body()).contains(
        "sluice_test_offset_bytes{component_id=\"filelog\",path=\"/a.log\"} 10.0",
        "sluice_test_offset_bytes{component_id=\"filelog\",path=\"/b.log\"} 20.0",
        "sluice_test_offset_bytes{component_id=\"filelog/2\",path=\"/c.log\"} 30.0");

    metrics.gaugeSource("sluice_test_offset_bytes", "Offsets.", labels, files, sink -> sink.set(11, "/a.log"));
    String after = get("/metrics").body();
    assertThat(after).contains("sluice_test_offset_bytes{component_id=\"filelog\",path=\"/a.log\"} 11.0")
        .doesNotContain("/b.log");
    assertThat(Set.of(after.split("\n")).stream().filter(l -> l.startsWith("sluice_test_offset_bytes{")).count())
        .isEqualTo(2);
  }

  /** The one sample of {@code metric} for {@code component} with label {@code name=value} (any labels when null). */
  private static JsonObject sample(JsonArray series, String metric, String component, String name, String value) {
    List<JsonObject> found = series.stream().map(JsonObject.class::cast)
        .filter(s -> s.getString("metric").equals(metric) && component.equals(s.getString("component"))
            && (name == null || value.equals(s.getJsonObject("labels").getString(name))))
        .toList();
    assertThat(found).as("samples of %s for %s", metric, component).hasSize(1);
    return found.get(0);
  }
}

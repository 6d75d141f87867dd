package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.sluice.core.ComponentKind;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.receiver.prometheus.ScrapedPoints.Point;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** http_sd_configs against a real discovery server and real scrape targets on loopback. */
class PrometheusReceiverHttpSdTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  private final PrometheusReceiverFactory factory = new PrometheusReceiverFactory();
  private final CapturingConsumer consumer = new CapturingConsumer();
  private LogCapture logs;
  private TestVertx tv;
  private Vertx vertx;
  private Receiver receiver;
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

  /** The discovery server's answer, changed as the test goes. */
  private volatile int sdStatus = 200;
  private volatile String sdContentType = "application/json";
  private volatile String sdBody = "[]";
  private final AtomicInteger sdRequests = new AtomicInteger();
  private final List<MultiMap> sdHeaders = new CopyOnWriteArrayList<>();
  private int sdPort;

  @org.junit.jupiter.api.BeforeAll
  static void warmUpTheJvm() throws Exception {
    io.sluice.core.testkit.JvmWarmup.httpClientAndServer();
  }

  @BeforeEach
  void setUp() throws Exception {
    tv = TestVertx.create();
    vertx = tv.vertx();
    logs = LogCapture.of(HttpSd.class);
    sdPort = Ports.freePort();
    HttpServer sd = vertx.createHttpServer().requestHandler(req -> {
      sdHeaders.add(req.headers());
      sdRequests.incrementAndGet();
      req.response().setStatusCode(sdStatus).putHeader("Content-Type", sdContentType).end(sdBody);
    });
    sd.listen(sdPort, "127.0.0.1").await(10, TimeUnit.SECONDS);
    servers.add(sd);
  }

  @AfterEach
  void tearDown() throws Exception {
    logs.close();
    if (receiver != null) {
      receiver.shutdown().await(10, TimeUnit.SECONDS);
    }
    for (HttpServer s : servers) {
      s.close().await(10, TimeUnit.SECONDS);
    }
    tv.close();
  }

  /** A scrape target answering with {@code body}; returns its address. */
  private String target(String body) throws Exception {
    int port = Ports.freePort();
    HttpServer s = vertx.createHttpServer().requestHandler(req -> req.response()
        .putHeader("Content-Type", PrometheusReceiverTest.TEXT).end(body));
    s.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    servers.add(s);
    return "127.0.0.1:" + port;
  }

  private String url() {
    return "http://127.0.0.1:" + sdPort + "/sd/targets";
  }

  private void start() throws Exception {
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, """
        config:
          scrape_configs:
            - job_name: discovered
              scrape_interval: 200ms
              http_sd_configs:
                - url: "%s"
                  refresh_interval: 200ms
                  authorization: { credentials: sd-token }
              relabel_configs:
                - source_labels: [__meta_url]
                  regex: ".*/(.*)"
                  target_label: sd_path
        """.formatted(url()));
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus/sd"), config,
        Map.of(Signal.METRICS, consumer));
    receiver.start().await(10, TimeUnit.SECONDS);
  }

  private ScrapedPoints points() {
    return ScrapedPoints.of(consumer);
  }

  private long freshCount(String name) {
    return points().named(name).stream().filter(p -> !p.stale()).count();
  }

  private List<String> warnings() {
    return logs.at(Level.WARN);
  }

  /** After the discovery server gave a bad answer, the targets go on being scraped. */
  private void assertTargetsKeptAfter(String reason) {
    int before = sdRequests.get();
    await().atMost(WAIT).until(() -> sdRequests.get() >= before + 2
        && warnings().stream().anyMatch(w -> w.contains(reason)));
    assertThat(warnings()).filteredOn(w -> w.contains(reason)).first().asString()
        .contains("prometheus/sd").contains("job 'discovered'").contains(url()).contains("keeping the last ones");
    long a = freshCount("ga");
    long b = freshCount("gb");
    await().atMost(WAIT).until(() -> freshCount("ga") > a + 1 && freshCount("gb") > b + 1);
    assertThat(points().staleOf("ga")).isEmpty();
    assertThat(points().staleOf("gb")).isEmpty();
  }

  @Test
  void scrapesTheTargetsTheUrlListsAndFollowsItsChanges() throws Exception {
    String a = target("ga 1\n");
    String b = target("gb 2\n");
    sdBody = """
        [ { "targets": ["%s"], "labels": { "env": "prod" } } ]
        """.formatted(a);
    start();
    await().atMost(WAIT).until(() -> points().lastFresh("ga") != null);
    Point ga = points().lastFresh("ga");
    assertThat(ga.job()).isEqualTo("discovered");
    assertThat(ga.instance()).isEqualTo(a);
    assertThat(ga.attrs()).isEqualTo(Map.of("env", "prod", "sd_path", "targets"));
    MultiMap request = sdHeaders.get(0);
    assertThat(request.get("Authorization")).isEqualTo("Bearer sd-token");
    assertThat(request.get("Accept")).contains("application/json");
    assertThat(request.get("X-Prometheus-Refresh-Interval-Seconds")).isEqualTo("0.2");

    // a second group appears
    sdBody = """
        [ { "targets": ["%s"], "labels": { "env": "prod" } }, { "targets": ["%s"], "labels": { "env": "dev" } } ]
        """.formatted(a, b);
    await().atMost(WAIT).until(() -> points().lastFresh("gb") != null);
    assertThat(points().lastFresh("gb").attrs()).isEqualTo(Map.of("env", "dev", "sd_path", "targets"));

    // bad answers keep the targets of the last good one
    sdStatus = 500;
    assertTargetsKeptAfter("server returned HTTP status 500");
    sdStatus = 200;
    sdBody = "[ { \"targets\": [\"" + a + "\"] ";
    assertTargetsKeptAfter("not valid JSON");
    sdBody = "{ \"targets\": [\"" + a + "\"] }";
    assertTargetsKeptAfter("not a list of target groups");
    sdBody = "[]";
    sdContentType = "text/plain";
    assertTargetsKeptAfter("unsupported content type \"text/plain\"");

    // the next good answer drops b: its series and its up get stale markers, a goes on
    sdContentType = "application/json; charset=utf-8";
    sdBody = "[ { \"targets\": [\"" + a + "\"], \"labels\": { \"env\": \"prod\" } } ]";
    await().atMost(WAIT).until(() -> !points().staleOf("gb").isEmpty());
    assertThat(points().staleOf("up")).singleElement().satisfies(u -> assertThat(u.instance()).isEqualTo(b));
    assertThat(logs.at(Level.INFO)).anySatisfy(i -> assertThat(i).contains("from '" + url() + "' again"));
    long before = freshCount("ga");
    await().atMost(WAIT).until(() -> freshCount("ga") > before + 1);
    assertThat(points().staleOf("ga")).isEmpty();
  }

  @Test
  void aDiscoveryServerThatIsDownKeepsTheTargetsAndAnEmptyListEndsThem() throws Exception {
    String a = target("ga 1\n");
    sdBody = "[ { \"targets\": [\"" + a + "\"] } ]";
    start();
    await().atMost(WAIT).until(() -> points().lastFresh("ga") != null);
    HttpServer sd = servers.remove(0);
    sd.close().await(10, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> warnings().stream().anyMatch(w -> w.contains("keeping the last ones")));
    long before = freshCount("ga");
    await().atMost(WAIT).until(() -> freshCount("ga") > before + 1);
    assertThat(points().staleOf("ga")).isEmpty();

    // back, listing nothing: the target ends
    sdBody = "[]";
    HttpServer again = vertx.createHttpServer().requestHandler(req -> req.response()
        .putHeader("Content-Type", "application/json").end(sdBody));
    again.listen(sdPort, "127.0.0.1").await(10, TimeUnit.SECONDS);
    servers.add(again);
    await().atMost(WAIT).until(() -> !points().staleOf("ga").isEmpty());
    assertThat(points().staleOf("up")).hasSize(1);
  }
}

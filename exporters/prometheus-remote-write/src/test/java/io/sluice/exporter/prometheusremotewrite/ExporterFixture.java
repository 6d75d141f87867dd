package io.sluice.exporter.prometheusremotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the exporter tests set up for each test, as a JUnit extension of the test instance:
 *
 * <pre>
 * &#64;RegisterExtension
 * final ExporterFixture fx = new ExporterFixture("prometheusremotewrite/test");
 * </pre>
 *
 * <p>gives each test a strict Vert.x, self-metrics, a {@link RemoteWriteSink} on a free loopback
 * port, and starts exporters against it under that component id; after the test it shuts them
 * down and closes the sink and Vert.x (failing the test when an event loop was blocked).
 */
final class ExporterFixture implements AfterEachCallback {
  private static boolean warm;

  final TestVertx tv;
  final SelfMetrics metrics = new SelfMetrics();
  final int port = Ports.freePort();
  final RemoteWriteSink sink;
  private final String id;
  private final List<Exporter> exporters = new ArrayList<>();
  /** The extensions the exporters' host offers, as if listed in service.extensions. */
  final Map<ComponentId, Extension> extensions = new ConcurrentHashMap<>();
  private final Host host = new Host() {
    @Override
    public boolean ready() {
      return true;
    }

    @Override
    public Optional<Extension> extension(ComponentId extensionId) {
      return Optional.ofNullable(extensions.get(extensionId));
    }
  };

  ExporterFixture(String id) {
    warmUpTheJvm();
    this.id = id;
    this.tv = TestVertx.create();
    this.sink = RemoteWriteSink.start(tv.vertx(), port);
  }

  /**
   * Loads Vert.x's HTTP classes and the codecs' native libraries once per JVM, outside the
   * strict blocked-thread check.
   */
  private static synchronized void warmUpTheJvm() {
    if (!warm) {
      try {
        sendOneBatch();
      } catch (Exception e) {
        throw new IllegalStateException("warming up the exporter failed", e);
      }
      warm = true;
    }
  }

  private static void sendOneBatch() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int p = Ports.freePort();
      RemoteWriteSink s = RemoteWriteSink.start(vertx, p);
      Exporter e = new PrometheusRemoteWriteExporterFactory().create(
          TestContexts.context(vertx, ComponentKind.EXPORTER, "prometheusremotewrite/warmup"),
          TestBatches.config(p, null, 0, Duration.ofSeconds(5)));
      e.start().await(30, TimeUnit.SECONDS);
      e.consume(TestData.metrics(1, 0)).await(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> s.calls() >= 1);
      s.received.get(0).decode();
      e.shutdown().await(30, TimeUnit.SECONDS);
      s.close();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  ComponentContext context() {
    return new ComponentContext(ComponentId.parse(id), ComponentKind.EXPORTER, "", tv.vertx(), metrics, host);
  }

  /** Checks that {@code config} is valid, then creates the exporter through its factory and starts it. */
  Exporter start(PrometheusRemoteWriteExporterConfig config) throws Exception {
    assertThat(config.validate()).isEmpty();
    return started(new PrometheusRemoteWriteExporterFactory().create(context(), config));
  }

  /** The same, with shard counts weighed every {@code updatePeriod}. */
  PrometheusRemoteWriteExporter start(PrometheusRemoteWriteExporterConfig config, Duration updatePeriod)
      throws Exception {
    assertThat(config.validate()).isEmpty();
    return started(new PrometheusRemoteWriteExporter(context(), config, updatePeriod));
  }

  private <E extends Exporter> E started(E e) throws Exception {
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);
    return e;
  }

  /** A self-metric counter of the exporters' metrics signal. */
  double counter(String name) {
    return SelfMetricsReader.counter(metrics, name, "component_id", id, "signal", "metrics");
  }

  /** How many values the histogram self-metric {@code name} observed. */
  long observations(String name) {
    return SelfMetricsReader.observations(metrics, name, "component_id", id, "signal", "metrics");
  }

  /** Starts {@code ext} and offers it to the exporters under {@code extensionId}. */
  void addExtension(String extensionId, Extension ext) throws Exception {
    ext.start().await(10, TimeUnit.SECONDS);
    extensions.put(ComponentId.parse(extensionId), ext);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (Exporter e : exporters) {
      e.shutdown().await(10, TimeUnit.SECONDS);
    }
    for (Extension ext : extensions.values()) {
      ext.shutdown().await(10, TimeUnit.SECONDS);
    }
    sink.close();
    tv.close();
  }
}

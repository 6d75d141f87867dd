package io.sluice.exporter.debug;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.ExporterFactory;
import io.sluice.core.RetryableException;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class DebugExporterTest {
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger output = (Logger) LoggerFactory.getLogger("io.sluice.exporter.debug");
  private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);

  @BeforeEach
  void captureOutput() {
    captured.start();
    output.addAppender(captured);
  }

  @AfterEach
  void releaseOutput() {
    output.detachAppender(captured);
  }

  private static DebugExporterConfig config(DebugExporterConfig.Verbosity verbosity, int initial, int thereafter) {
    return new DebugExporterConfig(verbosity, initial, thereafter, true, new QueueSettings(false, 1, 1000));
  }

  private DebugExporter exporter(TestVertx tv, DebugExporterConfig config) {
    DebugExporter e = new DebugExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "debug/test"), config,
        clock::get);
    await(e.start());
    return e;
  }

  private static void await(Future<Void> f) {
    try {
      f.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private List<String> messages() {
    synchronized (captured) {
      return captured.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  private static String hex(com.google.protobuf.ByteString b) {
    return HexFormat.of().formatHex(b.toByteArray());
  }

  @Test
  void basicWritesOneLineWithCountsPerBatch() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, DebugExporterConfig.defaults());

      await(e.consume(TestData.traces(8, 1)));
      await(e.consume(TestData.metrics(4, 1)));
      await(e.consume(TestData.logs(5, 1)));

      assertThat(messages()).containsExactly(
          "Exporter 'debug/test' Traces: 1 resource spans, 8 spans",
          "Exporter 'debug/test' Metrics: 1 resource metrics, 3 metrics, 12 data points",
          "Exporter 'debug/test' Logs: 1 resource logs, 5 log records");
      assertThat(captured.list).allSatisfy(ev -> assertThat(ev.getLevel()).isEqualTo(Level.INFO));
      await(e.shutdown());
    }
  }

  @Test
  void normalWritesOneLinePerSpanWithIdsAndName() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, config(DebugExporterConfig.Verbosity.NORMAL, 2, 1));
      Batch traces = TestData.traces(3, 7);
      List<Span> spans = traces.resourceSpans().get(0).getScopeSpans(0).getSpansList();

      await(e.consume(traces));

      String[] lines = messages().get(0).split("\n");
      assertThat(lines).hasSize(4);
      assertThat(lines[0]).isEqualTo("Exporter 'debug/test' Traces: 1 resource spans, 3 spans");
      for (int i = 0; i < 3; i++) {
        Span s = spans.get(i);
        assertThat(lines[i + 1]).isEqualTo("  " + hex(s.getTraceId()) + " " + hex(s.getSpanId()) + " " + s.getName());
      }
      await(e.shutdown());
    }
  }

  @Test
  void normalWritesOneLinePerMetricAndPerLogRecord() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, config(DebugExporterConfig.Verbosity.NORMAL, 10, 1));
      Batch logs = TestData.logs(2, 3);
      LogRecord first = logs.resourceLogs().get(0).getScopeLogs(0).getLogRecords(0);

      await(e.consume(TestData.metrics(2, 3)));
      await(e.consume(logs));

      assertThat(messages().get(0).split("\n")).containsExactly(
          "Exporter 'debug/test' Metrics: 1 resource metrics, 3 metrics, 6 data points",
          "  http.server.requests Sum 2 data points",
          "  pool.utilization Gauge 2 data points",
          "  http.server.duration Histogram 2 data points");
      String[] logLines = messages().get(1).split("\n");
      assertThat(logLines).hasSize(3);
      Instant t = Instant.ofEpochSecond(0, first.getTimeUnixNano());
      assertThat(logLines[1]).isEqualTo("  " + t + " INFO " + first.getBody().getStringValue());
      await(e.shutdown());
    }
  }

  @Test
  void detailedWritesEveryFieldOfSpansIncludingAttributesAndEvents() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, config(DebugExporterConfig.Verbosity.DETAILED, 2, 1));
      Batch traces = TestData.traces(2, 11);
      Span second = traces.resourceSpans().get(0).getScopeSpans(0).getSpans(1);

      await(e.consume(traces));

      String text = messages().get(0);
      assertThat(text).startsWith("Exporter 'debug/test' Traces: 1 resource spans, 2 spans\nResourceSpans #0")
          .contains("Resource attributes:", "-> service.name: Str(checkout)", "Scope: io.sluice.test 1.0.0",
              "Span #1",
              "Trace ID       : " + hex(second.getTraceId()),
              "Parent ID      : " + hex(second.getParentSpanId()),
              "ID             : " + hex(second.getSpanId()),
              "Name           : " + second.getName(),
              "Kind           : Server",
              "Start time     : " + Instant.ofEpochSecond(0, second.getStartTimeUnixNano()),
              "Status code    : Error",
              "-> http.route: Str(/api/items/{id})",
              "-> http.response.status_code: Int(500)",
              "Events:", "Name: cache.miss", "-> cache.key: Str(item-1)");
      assertThat(text.lines().count()).isGreaterThan(40);
      await(e.shutdown());
    }
  }

  @Test
  void detailedWritesMetricPointsAndLogRecords() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, config(DebugExporterConfig.Verbosity.DETAILED, 2, 1));
      Batch logs = TestData.logs(1, 5);
      LogRecord r = logs.resourceLogs().get(0).getScopeLogs(0).getLogRecords(0);

      await(e.consume(TestData.metrics(1, 2)));
      await(e.consume(logs));

      assertThat(messages().get(0)).contains(
          "Metric #0", "Name       : http.server.requests", "Description: Requests served.", "Unit       : {request}",
          "Type       : Sum", "Monotonic  : true", "Temporality: Cumulative",
          "NumberDataPoint #0", "-> route: Str(/r0)", "Value     : 102 (int)", "Value     : 0.5 (double)",
          "HistogramDataPoint #0", "Count     : 6", "Sum       : 3.5", "Min       : 0.01", "Max       : 2.0",
          "(-Inf, 0.1]: 2", "(0.1, 1.0]: 3", "(1.0, +Inf): 1");
      assertThat(messages().get(1)).contains(
          "LogRecord #0", "Severity text  : INFO", "Severity number: Info (9)",
          "Body           : Str(" + r.getBody().getStringValue() + ")",
          "Trace ID       : " + hex(r.getTraceId()), "Span ID        : " + hex(r.getSpanId()),
          "-> http.route: Str(/api/items)");
      await(e.shutdown());
    }
  }

  @Test
  void samplingWritesTheFirstBatchesOfASecondThenEveryMth() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, config(DebugExporterConfig.Verbosity.BASIC, 2, 3));

      for (int i = 1; i <= 8; i++) {
        await(e.consume(TestData.traces(i, i)));
      }
      // Batches 1 and 2, then every third: 5 and 8.
      assertThat(messages()).extracting(m -> m.replaceAll(".*, (\\d+) spans", "$1"))
          .containsExactly("1", "2", "5", "8");

      await(e.consume(TestData.logs(1, 1))); // another signal has its own count
      clock.addAndGet(1_000_000_000L); // a new second starts over
      await(e.consume(TestData.traces(9, 9)));
      await(e.consume(TestData.traces(10, 10)));
      await(e.consume(TestData.traces(11, 11)));

      assertThat(messages()).hasSize(7);
      assertThat(messages().get(4)).endsWith("Logs: 1 resource logs, 1 log records");
      assertThat(messages().subList(5, 7)).extracting(m -> m.replaceAll(".*, (\\d+) spans", "$1"))
          .containsExactly("9", "10");
      await(e.shutdown());
    }
  }

  @Test
  void defaultSamplingWritesEveryBatch() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, DebugExporterConfig.defaults());

      for (int i = 0; i < 10; i++) {
        await(e.consume(TestData.traces(1, i)));
      }

      assertThat(messages()).hasSize(10);
      await(e.shutdown());
    }
  }

  @Test
  void samplingThereafterZeroWritesOnlyTheInitialBatches() {
    LogSampler sampler = new LogSampler(1, 0, clock::get);

    assertThat(sampler.allow(io.sluice.core.Signal.METRICS)).isTrue();
    assertThat(sampler.allow(io.sluice.core.Signal.METRICS)).isFalse();
    assertThat(sampler.allow(io.sluice.core.Signal.METRICS)).isFalse();
    clock.addAndGet(1_000_000_000L);
    assertThat(sampler.allow(io.sluice.core.Signal.METRICS)).isTrue();
  }

  @Test
  void writesToStandardOutputWithoutTheLoggerWhenAsked() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream stdout = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    DebugExporterConfig cfg = new DebugExporterConfig(DebugExporterConfig.Verbosity.BASIC, 2, 1, false,
        new QueueSettings(false, 1, 1000));
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = new DebugExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "debug"), cfg,
          clock::get, stdout);
      await(e.start());

      await(e.consume(TestData.logs(3, 1)));
      await(e.shutdown());
    }

    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("Logs: 1 resource logs, 3 log records"
        + System.lineSeparator());
    assertThat(messages()).isEmpty();
  }

  @Test
  void writesToEveryOutputPathAppendingToFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream stdout = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    java.nio.file.Path file = dir.resolve("debug/out.txt");
    java.nio.file.Files.createDirectories(file.getParent());
    java.nio.file.Files.writeString(file, "earlier" + System.lineSeparator());
    DebugExporterConfig cfg = new DebugExporterConfig(DebugExporterConfig.Verbosity.BASIC, 2, 1, false,
        List.of("stdout", file.toString()), new QueueSettings(false, 1, 1000));
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = new DebugExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "debug"), cfg,
          clock::get, stdout);
      await(e.start());

      await(e.consume(TestData.logs(3, 1)));
      await(e.consume(TestData.traces(2, 1)));
      await(e.shutdown());
    }

    String expected = "Logs: 1 resource logs, 3 log records" + System.lineSeparator()
        + "Traces: 1 resource spans, 2 spans" + System.lineSeparator();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(java.nio.file.Files.readString(file)).isEqualTo("earlier" + System.lineSeparator() + expected);
  }

  @Test
  void acceptsBatchesFromAnyThreadAndWithTheQueueOn() throws Exception {
    DebugExporterConfig cfg = new DebugExporterConfig(DebugExporterConfig.Verbosity.BASIC, 100, 1, true,
        new QueueSettings(true, 1, 100));
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter e = exporter(tv, cfg);

      List<CompletableFuture<Void>> acks = new java.util.ArrayList<>();
      Thread other = new Thread(() -> {
        for (int i = 0; i < 20; i++) {
          acks.add(e.consume(TestData.traces(1, i)).toCompletionStage().toCompletableFuture());
        }
      });
      other.start();
      other.join();
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      await(e.shutdown());

      assertThat(messages()).hasSize(20);
    }
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() {
    try (TestVertx tv = TestVertx.create()) {
      DebugExporter never = new DebugExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "debug/a"),
          DebugExporterConfig.defaults(), clock::get);
      await(never.shutdown());
      await(never.shutdown());

      DebugExporter e = exporter(tv, DebugExporterConfig.defaults());
      await(e.shutdown());
      await(e.shutdown());

      Future<Void> late = e.consume(TestData.traces(1, 1));
      assertThat(late.toCompletionStage().toCompletableFuture())
          .failsWithin(java.time.Duration.ofSeconds(5))
          .withThrowableThat().havingRootCause().isInstanceOf(RetryableException.class);
    }
  }

  @Test
  void defaultsValidateAndBadValuesAreReportedWithTheirKeys() {
    assertThat(DebugExporterConfig.defaults().validate()).isEmpty();
    DebugExporterConfig bad = new DebugExporterConfig(null, -1, -2, true, new QueueSettings(true, 0, 0));

    assertThat(bad.validate()).extracting(io.sluice.core.ConfigProblem::path)
        .containsExactlyInAnyOrder("verbosity", "sampling_initial", "sampling_thereafter",
            "sending_queue.num_consumers", "sending_queue.queue_size");
  }

  @Test
  void factoryIsFoundByTypeWithTheCollectorDefaults() {
    ExporterFactory<?> factory = ServiceLoader.load(ExporterFactory.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(f -> f.type().equals("debug"))
        .findFirst().orElseThrow();

    assertThat(factory).isInstanceOf(DebugExporterFactory.class);
    DebugExporterConfig d = (DebugExporterConfig) factory.defaultConfig();
    assertThat(d.verbosity()).isEqualTo(DebugExporterConfig.Verbosity.BASIC);
    assertThat(d.samplingInitial()).isEqualTo(2);
    assertThat(d.samplingThereafter()).isEqualTo(1);
    assertThat(d.useInternalLogger()).isTrue();
    assertThat(d.sendingQueue().enabled()).isFalse();
    assertThat(factory.signals()).hasSize(3);
  }
}

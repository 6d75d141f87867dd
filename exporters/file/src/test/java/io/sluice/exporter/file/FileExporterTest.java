package io.sluice.exporter.file;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.ExporterFactory;
import io.sluice.core.RetryableException;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.OtlpJson;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileExporterTest {
  @TempDir Path dir;

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-22T10:15:30.123Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };

  private static FileExporterConfig config(Path path, FileExporterConfig.Format format,
      FileExporterConfig.Rotation rotation, boolean append, String compression) {
    return new FileExporterConfig(path.toString(), format, rotation, Duration.ofMillis(50), append, compression,
        true, "", new QueueSettings(true, 1, 1000), RetrySettings.disabled());
  }

  private static FileExporterConfig json(Path path) {
    return config(path, FileExporterConfig.Format.JSON, null, false, "");
  }

  private FileExporter exporter(TestVertx tv, FileExporterConfig config) {
    return new FileExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "file/test"), config, clock);
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static TracesData tracesData(Batch b) {
    return TracesData.newBuilder().addAllResourceSpans(b.resourceSpans()).build();
  }

  private static MetricsData metricsData(Batch b) {
    return MetricsData.newBuilder().addAllResourceMetrics(b.resourceMetrics()).build();
  }

  private static LogsData logsData(Batch b) {
    return LogsData.newBuilder().addAllResourceLogs(b.resourceLogs()).build();
  }

  /** Writes {@code batches} through a started exporter, then shuts it down (which flushes). */
  private void writeAll(FileExporterConfig config, List<Batch> batches) {
    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, config);
      await(e.start());
      for (Batch b : batches) {
        await(e.consume(b));
      }
      await(e.shutdown());
    }
  }

  /** Reads records of a 4-byte big-endian length and that many bytes. */
  private static List<byte[]> records(Path file) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      while (true) {
        int n;
        try {
          n = in.readInt();
        } catch (EOFException end) {
          return out;
        }
        byte[] b = new byte[n];
        in.readFully(b);
        out.add(b);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Formats
  // ---------------------------------------------------------------------------------------------

  @Test
  void writesThreeSignalsThroughOneInstanceAsJsonLinesThatDecodeBackEqual() throws IOException {
    Path file = dir.resolve("out.json");
    Batch traces = TestData.traces(20, 1);
    Batch metrics = TestData.metrics(4, 2);
    Batch logs = TestData.logs(10, 3);

    writeAll(json(file), List.of(traces, metrics, logs));

    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("{\"resourceSpans\":[");
    assertThat(lines.get(1)).startsWith("{\"resourceMetrics\":[");
    assertThat(lines.get(2)).startsWith("{\"resourceLogs\":[");
    assertThat(OtlpJson.<TracesData>decode(lines.get(0), TracesData.newBuilder())).isEqualTo(tracesData(traces));
    assertThat(OtlpJson.<MetricsData>decode(lines.get(1), MetricsData.newBuilder())).isEqualTo(metricsData(metrics));
    assertThat(OtlpJson.<LogsData>decode(lines.get(2), LogsData.newBuilder())).isEqualTo(logsData(logs));
  }

  /** Log batches whose one resource carries {@code fileexporter.path_segment = segment}, or none when null. */
  private static Batch logsFor(String segment, int records, int seed) {
    Batch b = TestData.logs(records, seed);
    List<io.opentelemetry.proto.logs.v1.ResourceLogs> out = new ArrayList<>();
    for (io.opentelemetry.proto.logs.v1.ResourceLogs rl : b.resourceLogs()) {
      io.opentelemetry.proto.logs.v1.ResourceLogs.Builder rb = rl.toBuilder();
      if (segment != null) {
        rb.getResourceBuilder().addAttributes(io.opentelemetry.proto.common.v1.KeyValue.newBuilder()
            .setKey("fileexporter.path_segment").setValue(io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                .setStringValue(segment)));
      }
      out.add(rb.build());
    }
    return Batch.logs(out, b.envelope());
  }

  private static FileExporterConfig grouped(Path pattern, int maxOpenFiles) {
    FileExporterConfig c = json(pattern);
    return new FileExporterConfig(c.path(), c.format(), c.rotation(), c.flushInterval(), c.append(), c.compression(),
        c.createDirectory(), c.directoryPermissions(), c.sendingQueue(), c.retryOnFailure(),
        new FileExporterConfig.GroupBy(true, null, maxOpenFiles), null);
  }

  @Test
  void groupByWritesEachResourceToTheFileItsAttributeNames() throws IOException {
    Path pattern = dir.resolve("tenants/*/logs.jsonl");
    Batch a1 = logsFor("a", 3, 1);
    Batch b1 = logsFor("b", 4, 2);
    Batch none = logsFor(null, 5, 3);
    Batch a2 = logsFor("a", 2, 4);
    Batch c1 = logsFor("c", 1, 5);
    Batch escape = logsFor("../../outside", 1, 6);

    // One file open at a time: "a" is closed for "b" and continued, not truncated, when it comes back.
    writeAll(grouped(pattern, 1), List.of(a1, b1, none, a2, c1, escape));

    List<String> a = Files.readAllLines(dir.resolve("tenants/a/logs.jsonl"));
    assertThat(a).hasSize(2);
    assertThat(OtlpJson.<LogsData>decode(a.get(0), LogsData.newBuilder())).isEqualTo(logsData(a1));
    assertThat(OtlpJson.<LogsData>decode(a.get(1), LogsData.newBuilder())).isEqualTo(logsData(a2));
    assertThat(Files.readAllLines(dir.resolve("tenants/b/logs.jsonl"))).hasSize(1);
    assertThat(Files.readAllLines(dir.resolve("tenants/c/logs.jsonl"))).hasSize(1);
    assertThat(Files.readAllLines(dir.resolve("tenants/outside/logs.jsonl")))
        .as("a value that climbs out of the pattern's directory stays inside it").hasSize(1);
    try (var files = Files.walk(dir)) {
      assertThat(files.filter(Files::isRegularFile).map(f -> dir.relativize(f).toString()).sorted().toList())
          .containsExactly("tenants/a/logs.jsonl", "tenants/b/logs.jsonl", "tenants/c/logs.jsonl",
              "tenants/outside/logs.jsonl");
    }
  }

  @Test
  void groupByNeedsOneStarNotAtTheStart() {
    FileExporterConfig none = grouped(dir.resolve("logs.jsonl"), 10);
    FileExporterConfig leading = new FileExporterConfig("*/logs.jsonl", none.format(), null, none.flushInterval(),
        false, "", true, "", none.sendingQueue(), none.retryOnFailure(), none.groupBy(), null);
    FileExporterConfig zeroFiles = grouped(dir.resolve("*.jsonl"), 0);

    assertThat(none.validate()).extracting(io.sluice.core.ConfigProblem::path).containsExactly("path");
    assertThat(leading.validate()).extracting(io.sluice.core.ConfigProblem::message)
        .anySatisfy(m -> assertThat(m).contains("must not start with '*'"));
    assertThat(zeroFiles.validate()).extracting(io.sluice.core.ConfigProblem::path)
        .containsExactly("group_by.max_open_files");
  }

  @Test
  void compressesAtTheConfiguredZstdLevel() throws IOException {
    Batch traces = TestData.traces(200, 5);
    FileExporterConfig fast = config(dir.resolve("fast.zst"), FileExporterConfig.Format.JSON, null, false, "zstd");
    FileExporterConfig small = new FileExporterConfig(dir.resolve("small.zst").toString(), fast.format(), null,
        fast.flushInterval(), false, "zstd", true, "", fast.sendingQueue(), fast.retryOnFailure(), null,
        new FileExporterConfig.CompressionParams(19));
    assertThat(small.validate()).isEmpty();

    writeAll(fast, List.of(traces));
    writeAll(small, List.of(traces));

    byte[] level19 = records(dir.resolve("small.zst")).get(0);
    assertThat(level19.length).isLessThan(records(dir.resolve("fast.zst")).get(0).length);
    byte[] plain = Zstd.decompress(level19, (int) Zstd.getFrameContentSize(level19));
    assertThat(OtlpJson.<TracesData>decode(plain, TracesData.newBuilder())).isEqualTo(tracesData(traces));
  }

  @Test
  void keepsTheOrderOfBatches() throws IOException {
    Path file = dir.resolve("ordered.json");
    List<Batch> batches = TestData.tracesBatches(30, 3);
    List<Future<Void>> acks = new ArrayList<>();

    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, json(file));
      await(e.start());
      for (Batch b : batches) {
        acks.add(e.consume(b)); // without waiting: the queue keeps them in order
      }
      acks.forEach(FileExporterTest::await);
      await(e.shutdown());
    }

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(30);
    for (int i = 0; i < 30; i++) {
      assertThat(OtlpJson.<TracesData>decode(lines.get(i), TracesData.newBuilder()))
          .isEqualTo(tracesData(batches.get(i)));
    }
  }

  @Test
  void writesLengthPrefixedProtobufInProtoFormat() throws IOException {
    Path file = dir.resolve("out.pb");
    Batch traces = TestData.traces(15, 4);
    Batch metrics = TestData.metrics(3, 4);
    Batch logs = TestData.logs(7, 4);

    writeAll(config(file, FileExporterConfig.Format.PROTO, null, false, ""), List.of(traces, metrics, logs));

    List<byte[]> records = records(file);
    assertThat(records).hasSize(3);
    assertThat(TracesData.parseFrom(records.get(0))).isEqualTo(tracesData(traces));
    assertThat(MetricsData.parseFrom(records.get(1))).isEqualTo(metricsData(metrics));
    assertThat(LogsData.parseFrom(records.get(2))).isEqualTo(logsData(logs));
  }

  @Test
  void compressesEachJsonRecordWithZstdOnItsOwn() throws IOException {
    Path file = dir.resolve("out.json.zst");
    Batch traces = TestData.traces(50, 5);
    Batch logs = TestData.logs(50, 5);

    writeAll(config(file, FileExporterConfig.Format.JSON, null, false, "zstd"), List.of(traces, logs));

    List<byte[]> records = records(file);
    assertThat(records).hasSize(2);
    byte[] first = Zstd.decompress(records.get(0), (int) Zstd.getFrameContentSize(records.get(0)));
    byte[] second = Zstd.decompress(records.get(1), (int) Zstd.getFrameContentSize(records.get(1)));
    assertThat(OtlpJson.<TracesData>decode(first, TracesData.newBuilder())).isEqualTo(tracesData(traces));
    assertThat(OtlpJson.<LogsData>decode(second, LogsData.newBuilder())).isEqualTo(logsData(logs));
    assertThat(records.get(0).length).isLessThan(OtlpJson.encode(tracesData(traces)).length / 2);
  }

  @Test
  void compressesEachProtoRecordWithZstd() throws IOException {
    Path file = dir.resolve("out.pb.zst");
    Batch metrics = TestData.metrics(10, 6);

    writeAll(config(file, FileExporterConfig.Format.PROTO, null, false, "zstd"), List.of(metrics, metrics));

    List<byte[]> records = records(file);
    assertThat(records).hasSize(2);
    for (byte[] r : records) {
      byte[] raw = Zstd.decompress(r, (int) Zstd.getFrameContentSize(r));
      assertThat(MetricsData.parseFrom(raw)).isEqualTo(metricsData(metrics));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Opening the file
  // ---------------------------------------------------------------------------------------------

  @Test
  void truncatesAnExistingFileByDefault() throws IOException {
    Path file = dir.resolve("out.json");
    Files.writeString(file, "left from before\n");
    Batch logs = TestData.logs(2, 1);

    writeAll(json(file), List.of(logs));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    assertThat(OtlpJson.<LogsData>decode(lines.get(0), LogsData.newBuilder())).isEqualTo(logsData(logs));
  }

  @Test
  void aRebuiltExporterContinuesTheFileItsProcessAlreadyWrote() throws IOException {
    Path file = dir.resolve("reloaded.json");
    Batch first = TestData.logs(2, 1);
    Batch second = TestData.logs(3, 2);

    writeAll(json(file), List.of(first));
    writeAll(json(file), List.of(second));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(OtlpJson.<LogsData>decode(lines.get(0), LogsData.newBuilder())).isEqualTo(logsData(first));
    assertThat(OtlpJson.<LogsData>decode(lines.get(1), LogsData.newBuilder())).isEqualTo(logsData(second));
  }

  @Test
  void appendsToAnExistingFileWhenAsked() throws IOException {
    Path file = dir.resolve("out.json");
    Files.writeString(file, "left from before\n");
    Batch logs = TestData.logs(2, 1);

    writeAll(config(file, FileExporterConfig.Format.JSON, null, true, ""), List.of(logs));
    writeAll(config(file, FileExporterConfig.Format.JSON, null, true, ""), List.of(logs));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).isEqualTo("left from before");
    assertThat(OtlpJson.<LogsData>decode(lines.get(2), LogsData.newBuilder())).isEqualTo(logsData(logs));
  }

  @Test
  void createsMissingParentDirectories() throws IOException {
    Path file = dir.resolve("a/b/c/out.json");

    writeAll(json(file), List.of(TestData.logs(1, 1)));

    assertThat(Files.readAllLines(file)).hasSize(1);
  }

  @Test
  void failsToStartWithTheReasonWhenThePathCannotBeOpened() throws IOException {
    Path notAFile = Files.createDirectory(dir.resolve("taken"));
    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, json(notAFile));

      assertThat(e.start().toCompletionStage().toCompletableFuture())
          .failsWithin(Duration.ofSeconds(10))
          .withThrowableThat()
          .withMessageContaining("Exporter 'file/test' cannot open '" + notAFile + "'");
      await(e.shutdown());
    }
  }

  @Test
  void writeErrorsAreRetryable() {
    // /dev/full refuses every write with "no space left on device".
    FileExporterConfig cfg = new FileExporterConfig("/dev/full", FileExporterConfig.Format.JSON, null,
        Duration.ofSeconds(1), true, "", false, "", new QueueSettings(false, 1, 1), RetrySettings.disabled());
    assertThat(Path.of("/dev/full")).exists();
    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, cfg);
      await(e.start());

      Throwable err = e.consume(TestData.logs(1, 1)).toCompletionStage().toCompletableFuture()
          .handle((v, t) -> t instanceof java.util.concurrent.CompletionException c ? c.getCause() : t).join();

      assertThat(err).isInstanceOf(RetryableException.class)
          .hasRootCauseInstanceOf(IOException.class)
          .hasMessageContaining("Exporter 'file/test' could not write to '/dev/full'");
      await(e.shutdown());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rotation
  // ---------------------------------------------------------------------------------------------

  @Test
  void rotatesBySizeAndKeepsMaxBackups() throws IOException {
    Path file = dir.resolve("out.json");
    FileExporterConfig.Rotation rotation = new FileExporterConfig.Rotation(1, null, 2, null);
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      batches.add(TestData.traces(300, i));
    }

    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, config(file, FileExporterConfig.Format.JSON, rotation, false, ""));
      await(e.start());
      for (Batch b : batches) {
        await(e.consume(b)); // queued; rotations within one millisecond still get names of their own
      }
      await(e.shutdown());
    }

    List<Path> backups;
    try (Stream<Path> files = Files.list(dir)) {
      backups = files.filter(p -> !p.equals(file)).sorted().toList();
    }
    assertThat(backups).hasSize(2);
    assertThat(backups).allSatisfy(p -> assertThat(p.getFileName().toString())
        .matches("out-2026-11-22T10-15-30\\.\\d{3}\\.json"));
    List<String> kept = new ArrayList<>();
    for (Path p : backups) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(1024 * 1024);
      kept.addAll(Files.readAllLines(p));
    }
    assertThat(Files.size(file)).isLessThanOrEqualTo(1024 * 1024);
    kept.addAll(Files.readAllLines(file));
    // The newest batches survive, in order, and every line is a whole document.
    List<Batch> newest = batches.subList(batches.size() - kept.size(), batches.size());
    assertThat(kept.size()).isBetween(4, 15);
    for (int i = 0; i < kept.size(); i++) {
      assertThat(OtlpJson.<TracesData>decode(kept.get(i), TracesData.newBuilder()))
          .isEqualTo(tracesData(newest.get(i)));
    }
  }

  @Test
  void backupNamesUseTheRotationTimeInUtc() {
    FileExporterConfig cfg = config(dir.resolve("out.json"), FileExporterConfig.Format.JSON,
        FileExporterConfig.Rotation.defaults(), false, "");
    FileSink sink = new FileSink("file", cfg, clock);

    assertThat(sink.backupPath(Instant.parse("2026-11-22T10:15:30.123Z")).getFileName())
        .hasToString("out-2026-11-22T10-15-30.123.json");
  }

  @Test
  void deletesBackupsOlderThanMaxDaysAndLeavesOtherFiles() throws IOException {
    Path file = dir.resolve("out.json");
    Path old = Files.writeString(dir.resolve("out-2026-11-20T10-15-30.000.json"), "old\n");
    Path recent = Files.writeString(dir.resolve("out-2026-11-22T09-00-00.000.json"), "recent\n");
    Path unrelated = Files.writeString(dir.resolve("out-notes.json"), "mine\n");
    Path otherName = Files.writeString(dir.resolve("other-2020-01-01T00-00-00.000.json"), "theirs\n");

    writeAll(config(file, FileExporterConfig.Format.JSON, new FileExporterConfig.Rotation(null, 1, null, null),
        false, ""), List.of(TestData.logs(1, 1)));

    assertThat(old).doesNotExist();
    assertThat(recent).exists();
    assertThat(unrelated).exists();
    assertThat(otherName).exists();
  }

  @Test
  void continuesAnExistingFileWhenRotating() throws IOException {
    Path file = dir.resolve("out.json");
    Files.writeString(file, "left from before\n");

    writeAll(config(file, FileExporterConfig.Format.JSON, FileExporterConfig.Rotation.defaults(), false, ""),
        List.of(TestData.logs(1, 1)));

    assertThat(Files.readAllLines(file)).hasSize(2).first().isEqualTo("left from before");
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and config
  // ---------------------------------------------------------------------------------------------

  @Test
  void shutdownWorksWithoutStartAndTwice() throws IOException {
    Path file = dir.resolve("out.json");
    try (TestVertx tv = TestVertx.create()) {
      FileExporter never = exporter(tv, json(file));
      await(never.shutdown());
      await(never.shutdown());
      assertThat(file).doesNotExist();

      FileExporter e = exporter(tv, json(file));
      await(e.start());
      await(e.consume(TestData.logs(1, 1)));
      await(e.shutdown());
      await(e.shutdown());

      assertThat(e.consume(TestData.logs(1, 1)).toCompletionStage().toCompletableFuture())
          .failsWithin(Duration.ofSeconds(5))
          .withThrowableThat().havingRootCause().isInstanceOf(RetryableException.class);
    }
    assertThat(Files.readAllLines(file)).hasSize(1);
  }

  @Test
  void shutdownWritesEverythingQueued() throws IOException {
    Path file = dir.resolve("out.json");
    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, json(file));
      await(e.start());
      for (Batch b : TestData.tracesBatches(50, 20)) {
        e.consume(b);
      }
      await(e.shutdown());
    }

    assertThat(Files.readAllLines(file)).hasSize(50);
  }

  @Test
  void rotationDefaultsFillFieldsTheUserLeftOut() {
    FileExporterConfig.Rotation r = new FileExporterConfig.Rotation(5, null, null, null);

    assertThat(r.maxMegabytes()).isEqualTo(5);
    assertThat(r.maxDays()).isZero();
    assertThat(r.maxBackups()).isEqualTo(100);
    assertThat(r.localtime()).isFalse();
    assertThat(r.maxBytes()).isEqualTo(5L * 1024 * 1024);
    assertThat(new FileExporterConfig.Rotation(0, null, null, null).maxBytes()).isEqualTo(100L * 1024 * 1024);
  }

  @Test
  void configProblemsNameTheirKeys() {
    assertThat(FileExporterConfig.defaults().validate()).extracting(ConfigProblem::path).containsExactly("path");
    FileExporterConfig good = config(dir.resolve("x.json"), FileExporterConfig.Format.JSON, null, false, "zstd");
    assertThat(good.validate()).isEmpty();

    FileExporterConfig bad = new FileExporterConfig("x.json", FileExporterConfig.Format.PROTO,
        new FileExporterConfig.Rotation(-1, -1, -1, null), Duration.ofSeconds(-1), false, "gzip", true, "999",
        new QueueSettings(true, 0, 10), RetrySettings.disabled());

    assertThat(bad.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "compression", "flush_interval", "rotation.max_megabytes", "rotation.max_days", "rotation.max_backups",
        "directory_permissions", "sending_queue.num_consumers");
    assertThat(bad.validate()).filteredOn(p -> p.path().equals("compression")).first()
        .extracting(ConfigProblem::message).asString().contains("\"gzip\" is not supported");
  }

  @Test
  void factoryIsFoundByTypeWithTheCollectorDefaults() {
    ExporterFactory<?> factory = ServiceLoader.load(ExporterFactory.class).stream()
        .map(ServiceLoader.Provider::get)
        .filter(f -> f.type().equals("file"))
        .findFirst().orElseThrow();

    assertThat(factory).isInstanceOf(FileExporterFactory.class);
    FileExporterConfig d = (FileExporterConfig) factory.defaultConfig();
    assertThat(d.format()).isEqualTo(FileExporterConfig.Format.JSON);
    assertThat(d.rotation()).isNull();
    assertThat(d.flushInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.append()).isFalse();
    assertThat(d.compression()).isEmpty();
    assertThat(d.sendingQueue().enabled()).isTrue();
    assertThat(d.sendingQueue().numConsumers()).isEqualTo(1);
    assertThat(d.retryOnFailure().enabled()).isFalse();
  }

  @Test
  void undecodableLinesAreImpossibleBecauseEveryLineIsOneDocument() throws IOException {
    Path file = dir.resolve("out.json");
    Batch tricky = Batch.logs(List.of(TestData.resourceLogs("line\nbreaks", 3, 1)), TestData.logs(1, 1).envelope());

    writeAll(json(file), List.of(tricky));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1);
    assertThat(OtlpJson.<LogsData>decode(lines.get(0), LogsData.newBuilder())).isEqualTo(logsData(tricky));
  }

  @Test
  void startingTwiceKeepsOneOpenFile() throws IOException {
    Path file = dir.resolve("out.json");
    try (TestVertx tv = TestVertx.create()) {
      FileExporter e = exporter(tv, json(file));
      await(e.start());
      await(e.start());
      await(e.consume(TestData.logs(1, 1)));
      await(e.shutdown());
    }
    assertThat(Files.readAllLines(file)).hasSize(1);
  }
}

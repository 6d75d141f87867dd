package io.sluice.perf;

import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

/**
 * {@code bin/sluice-load}: the load-test harness. {@code run} sends numbered OTLP items to a
 * gateway and, with a counting sink of its own that the gateway exports to, reports what became
 * of every item; {@code sink} is that counting sink alone, for a gateway fed by another sender;
 * {@code targets} is a Prometheus target farm for a gateway to scrape ({@link TargetFarm}).
 * See {@link #USAGE}.
 */
public final class SluiceLoad {
  static final String USAGE = """
      Usage:
        sluice-load run [options]          send OTLP load to a gateway, report what it did
        sluice-load sink --otlp PORT       a counting OTLP sink (gRPC on PORT, HTTP on --otlp-http)
        sluice-load targets --count N --series M
                                           a Prometheus target farm, named in a file_sd_configs file

      run:
        --endpoint HOST:PORT     the gateway's OTLP receiver (default 127.0.0.1:4317, or :4318 for http)
        --protocol grpc|http     OTLP/gRPC or OTLP/HTTP protobuf (default grpc)
        --signal traces|metrics|logs                         (default traces)
        --rate N|max             items per second, open loop; max: as fast as the target accepts,
                                 --concurrency requests outstanding (default 10000)
        --duration D             how long to send: 500ms, 30s, 2m (default 30s)
        --batch N                items per request (default 100)
        --streams N              sources numbering their items independently (default 4)
        --resources N            distinct resources (service.instance.id; default 10)
        --attributes N           attributes per item (default 4)
        --attribute-values N     values each attribute takes: its cardinality (default 10)
        --spans-per-trace N      spans in a trace, a tree under one root (default 5)
        --span-events N          events per span (default 0)
        --metrics N              metric names (default 20)
        --connections N          gRPC connections (default 4)
        --concurrency N          requests outstanding at --rate max (default 32)
        --sink PORT              also run the counting sink, gRPC on PORT (0: a free port), for the
                                 gateway to export to; loss, duplication and reordering are then
                                 reported per stream
        --sink-http PORT         the sink's HTTP port, for OTLP/HTTP, Loki pushes (/loki/api/v1/push)
                                 and remote write 1.0 (/api/v1/write); default: none; 0: a free port
        --sink-kafka BROKERS     the sink also reads the topic --sink-topic (default otlp_spans,
                                 otlp_metrics or otlp_logs) there, records in otlp_proto
        --sink-topic TOPIC
        --drain D                after sending, how long to wait for the sink (default 30s)
        --report DIR             where the report goes (default sluice-load-report-<date-time>)

      sink:
        --otlp PORT              OTLP/gRPC port (default 4317)
        --otlp-http PORT         OTLP/HTTP, Loki push and remote write port (default PORT + 1)
        --host HOST              address to listen on (default 0.0.0.0)
        --kafka BROKERS          also read the topic --topic (default otlp_spans, otlp_metrics or
                                 otlp_logs by --signal) there from its start, records in otlp_proto
        --topic TOPIC
        --signal traces|metrics|logs   what the topic holds (default traces)
        --duration D             stop after D (default: at Ctrl-C), then print the report
        --report DIR             also write the report there

      %s

      Fault injection, to see the accounts catch a loss (both modes):
        --sink-drop N[,N...]     the sink answers requests N (counted from 1) with success and
                                 throws them away
      """.formatted(TargetFarm.USAGE.stripTrailing());

  private SluiceLoad() {}

  public static void main(String[] args) {
    PrintStream err = System.err;
    try {
      int code = run(args, System.out, err);
      System.exit(code);
    } catch (IllegalArgumentException e) {
      err.println("sluice-load: " + e.getMessage());
      err.println("Run sluice-load --help for the options.");
      System.exit(2);
    } catch (Exception e) {
      err.println("sluice-load: " + e);
      System.exit(1);
    }
  }

  /** Runs the command; its exit code (0: done, 1: the target failed us, 2: bad usage). */
  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    if (args[0].equals("targets")) {
      return TargetFarm.run(TargetFarm.Options.parse(args), out, err);
    }
    Options o = Options.parse(args);
    return switch (args[0]) {
      case "run" -> load(o, out, err);
      case "sink" -> sink(o, out, err);
      default -> throw new IllegalArgumentException("unknown command \"" + args[0] + "\"; use run, sink or targets");
    };
  }

  // ---- options -----------------------------------------------------------------------------------

  /** The command line, checked. */
  record Options(String command, Signal signal, String protocol, String host, int port, double rate,
      Duration duration, NumberedRequests.Shape shape, int connections, int concurrency, int sinkPort,
      int sinkHttpPort, String sinkHost, Duration drain, Path report, Set<Long> sinkDrop, String sinkKafka,
      String sinkTopic) {

    static Options parse(String[] args) {
      String command = args[0];
      boolean sinkMode = command.equals("sink");
      Signal signal = Signal.TRACES;
      String protocol = "grpc";
      String endpoint = null;
      double rate = 10_000;
      Duration duration = sinkMode ? null : Duration.ofSeconds(30);
      int batch = 100;
      int streams = 4;
      int resources = 10;
      int attributes = 4;
      int attributeValues = 10;
      int spansPerTrace = 5;
      int spanEvents = 0;
      int metrics = 20;
      int connections = 4;
      int concurrency = 32;
      int sinkPort = sinkMode ? 4317 : -1;
      Integer sinkHttpPort = null;
      String sinkHost = sinkMode ? "0.0.0.0" : "127.0.0.1";
      Duration drain = Duration.ofSeconds(30);
      Path report = null;
      Set<Long> drop = new LinkedHashSet<>();
      String kafka = null;
      String topic = null;
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (sinkMode ? "sink" + a : a) {
          case "--endpoint" -> endpoint = v;
          case "--protocol" -> {
            if (!v.equals("grpc") && !v.equals("http")) {
              throw new IllegalArgumentException("--protocol \"" + v + "\" is not one; use grpc or http");
            }
            protocol = v;
          }
          case "--signal", "sink--signal" -> signal = Signal.named(v, "--signal");
          case "--rate" -> rate = v.equals("max") ? 0 : positiveDouble(v, "--rate");
          case "--duration", "sink--duration" -> duration = Durations.parse(v, a);
          case "--batch" -> batch = integer(v, a);
          case "--streams" -> streams = integer(v, a);
          case "--resources" -> resources = integer(v, a);
          case "--attributes" -> attributes = integer(v, a);
          case "--attribute-values" -> attributeValues = integer(v, a);
          case "--spans-per-trace" -> spansPerTrace = integer(v, a);
          case "--span-events" -> spanEvents = integer(v, a);
          case "--metrics" -> metrics = integer(v, a);
          case "--connections" -> connections = integer(v, a);
          case "--concurrency" -> concurrency = integer(v, a);
          case "--sink", "sink--otlp" -> sinkPort = port(v, a);
          case "--sink-http", "sink--otlp-http" -> sinkHttpPort = port(v, a);
          case "sink--host" -> sinkHost = v;
          case "--drain" -> drain = Durations.parse(v, a);
          case "--sink-kafka", "sink--kafka" -> kafka = v;
          case "--sink-topic", "sink--topic" -> topic = v;
          case "--report", "sink--report" -> report = Path.of(v);
          case "--sink-drop", "sink--sink-drop" -> {
            for (String n : v.split(",")) {
              drop.add((long) integer(n.trim(), a));
            }
          }
          default -> throw new IllegalArgumentException("unknown option " + a + " for " + command);
        }
      }
      if (sinkMode && sinkHttpPort == null) {
        sinkHttpPort = sinkPort == 0 ? 0 : sinkPort + 1;
      }
      String host = "127.0.0.1";
      int port = protocol.equals("http") ? 4318 : 4317;
      if (endpoint != null) {
        int colon = endpoint.lastIndexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("--endpoint \"" + endpoint + "\" is not HOST:PORT");
        }
        host = endpoint.substring(0, colon);
        port = port(endpoint.substring(colon + 1), "--endpoint");
      }
      if (report == null && !sinkMode) {
        report = Path.of("sluice-load-report-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern(
            "yyyyMMdd-HHmmss")));
      }
      if (!drop.isEmpty() && sinkPort < 0 && (sinkHttpPort == null || sinkHttpPort < 0) && kafka == null) {
        throw new IllegalArgumentException("--sink-drop needs the sink: give --sink PORT");
      }
      if (topic != null && kafka == null) {
        throw new IllegalArgumentException(sinkMode ? "--topic needs --kafka BROKERS"
            : "--sink-topic needs --sink-kafka BROKERS");
      }
      if (kafka != null && topic == null) {
        topic = switch (signal) {
          case TRACES -> "otlp_spans";
          case METRICS -> "otlp_metrics";
          case LOGS -> "otlp_logs";
        };
      }
      return new Options(command, signal, protocol, host, port, rate, duration,
          new NumberedRequests.Shape(batch, streams, resources, attributes, attributeValues, spansPerTrace,
              spanEvents, metrics),
          connections, concurrency, sinkPort, sinkHttpPort == null ? -1 : sinkHttpPort, sinkHost, drain, report, drop,
          kafka, topic);
    }

    static int integer(String v, String option) {
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " \"" + v + "\" is not a whole number");
      }
    }

    static int port(String v, String option) {
      int p = integer(v, option);
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException(option + " " + p + " is not a port (0 to 65535)");
      }
      return p;
    }

    private static double positiveDouble(String v, String option) {
      try {
        double d = Double.parseDouble(v);
        if (d > 0) {
          return d;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException(option + " \"" + v + "\" is not a positive number or max");
    }

    boolean withSink() {
      return sinkPort >= 0 || sinkHttpPort >= 0 || sinkKafka != null;
    }

    String target() {
      return protocol.equals("http") ? "http://" + host + ":" + port + signal.httpPath
          : "grpc " + host + ":" + port;
    }

    String load() {
      return rate > 0 ? String.format(Locale.ROOT, "%,.0f %s/s, open loop", rate, signal.items)
          : "as fast as the target accepts (" + concurrency + " requests outstanding)";
    }
  }

  // ---- run ---------------------------------------------------------------------------------------

  /** Highest latency the histograms hold: a minute. */
  static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(1);

  private static int load(Options o, PrintStream out, PrintStream err) throws Exception {
    ItemLedger ledger = new ItemLedger();
    NumberedItems numbering = new NumberedItems();
    CountingSink sink = o.withSink()
        ? new CountingSink(o.sinkHost(), o.sinkPort(), o.sinkHttpPort(), numbering, ledger, o.sinkDrop())
        : null;
    NumberedRequests requests = new NumberedRequests(o.signal(), o.shape(), numbering, ledger);
    Recorder latency = new Recorder(HIGHEST_NANOS, 3);
    LongAdder failures = new LongAdder();
    URI httpUri = o.protocol().equals("http") ? URI.create("http://" + o.host() + ":" + o.port() + o.signal().httpPath)
        : null;
    LoadGenerator.Target target = new LoadGenerator.Target(o.host(), o.port(), o.signal().method, httpUri);
    try (sink; LoadGenerator gen = new LoadGenerator(target, o.shape().itemsPerRequest(), o.connections())) {
      if (sink != null && o.sinkKafka() != null) {
        sink.readKafka(o.sinkKafka(), o.sinkTopic(), o.signal());
        err.println("sluice-load: the sink reads topic " + o.sinkTopic() + " at " + o.sinkKafka());
      }
      if (sink != null) {
        err.printf(Locale.ROOT, "sluice-load: counting sink on %s%s%n", o.sinkHost(),
            (sink.grpcPort() >= 0 ? " gRPC :" + sink.grpcPort() : "") + (sink.httpPort() >= 0 ? " HTTP :"
                + sink.httpPort() : ""));
      }
      if (!gen.awaitReady(Duration.ofSeconds(30))) {
        err.println("sluice-load: no answer from " + o.target() + " within 30 s (" + gen.notReady() + ")");
        return 1;
      }
      Files.createDirectories(o.report());
      gen.useBodies(requests);
      gen.onAnswers((index, intended, failure, rejected) -> {
        requests.answered(index, failure, rejected);
        if (failure == null) {
          latency.recordValue(Math.max(0, Math.min(HIGHEST_NANOS, System.nanoTime() - intended)));
        } else {
          failures.increment();
        }
      });
      err.printf(Locale.ROOT, "sluice-load: %s to %s for %s, %d %s a request, %d streams%n", o.load(),
          o.target(), Durations.format(o.duration()), o.shape().itemsPerRequest(), o.signal().items,
          o.shape().streams());
      Timeline timeline = new Timeline(o.report().resolve("latency.hlog"), latency);
      long t0 = System.nanoTime();
      if (o.rate() > 0) {
        gen.startRate(o.rate(), -1);
      } else {
        gen.startMax(o.concurrency());
      }
      long end = t0 + o.duration().toNanos();
      // Ctrl-C (or SIGTERM) ends the sending early; the run drains and reports as at its end.
      try (StopRequest stop = new StopRequest("sluice-load-stop", o.drain().multipliedBy(2).plusSeconds(30))) {
        for (int second = 1; ; second++) {
          long tick = Math.min(end, t0 + TimeUnit.SECONDS.toNanos(second));
          long wait;
          while ((wait = tick - System.nanoTime()) > 0 && !stop.requested()) {
            LockSupport.parkNanos(wait);
          }
          Timeline.Tick t = timeline.tick(t0, gen.acceptedSpans(), sink == null ? -1 : sink.items(), failures.sum());
          err.println(t.progressLine(o.signal().items));
          if (tick == end || stop.requested()) {
            break;
          }
        }
        if (stop.requested()) {
          err.println("sluice-load: stopped early; draining and reporting");
        }
        return finish(o, out, err, ledger, sink, gen, timeline, t0);
      }
    }
  }

  /** Stops sending, waits for the sink to have what was acknowledged, writes and prints the report. */
  private static int finish(Options o, PrintStream out, PrintStream err, ItemLedger ledger, CountingSink sink,
      LoadGenerator gen, Timeline timeline, long t0) throws Exception {
    boolean drained = gen.stop(o.drain());
    long sendEnd = System.nanoTime();
    if (sink != null) {
      awaitDelivery(sink, ledger, o.drain());
    }
    // Answers that came while draining count in the latency, not as a point of the plots.
    timeline.drained();
    timeline.close();
    LoadReport report = new LoadReport(o, ledger, sink, gen, timeline, (sendEnd - t0) / 1e9, drained);
    Files.writeString(o.report().resolve("report.md"), report.markdown());
    Files.writeString(o.report().resolve("report.html"), report.html());
    out.print(report.markdown());
    err.println("sluice-load: report in " + o.report().toAbsolutePath() + " (report.md, report.html, latency.hlog)");
    return 0;
  }

  /** Waits until the sink holds every acknowledged item, or it stays quiet for 3 s, or {@code drain} passes. */
  private static void awaitDelivery(CountingSink sink, ItemLedger ledger, Duration drain) throws InterruptedException {
    long deadline = System.nanoTime() + drain.toNanos();
    long last = -1;
    long lastChange = System.nanoTime();
    while (System.nanoTime() - deadline < 0) {
      long delivered = ledger.counts().delivered() + sink.dropped().counts().delivered();
      if (delivered >= ledger.counts().acknowledged()) {
        return;
      }
      if (delivered != last) {
        last = delivered;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(3)) {
        return;
      }
      Thread.sleep(20);
    }
  }

  // ---- sink --------------------------------------------------------------------------------------

  private static int sink(Options o, PrintStream out, PrintStream err) throws Exception {
    ItemLedger ledger = new ItemLedger();
    AtomicBoolean stopped = new AtomicBoolean();
    CountingSink sink = new CountingSink(o.sinkHost(), o.sinkPort(), o.sinkHttpPort(), NumberedItems.anyRun(),
        ledger, o.sinkDrop());
    err.printf(Locale.ROOT, "sluice-load sink: OTLP gRPC on %s:%d, OTLP/HTTP on %s:%d; counting numbered items"
        + " of any run (restart the sink for each run)%n", o.sinkHost(), sink.grpcPort(), o.sinkHost(), sink.httpPort());
    if (o.sinkKafka() != null) {
      sink.readKafka(o.sinkKafka(), o.sinkTopic(), o.signal());
      err.println("sluice-load sink: reading topic " + o.sinkTopic() + " at " + o.sinkKafka() + " from its start");
    }
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> {
      if (stopped.compareAndSet(false, true)) {
        main.interrupt();
        finishSink(o, sink, out);
      }
    }, "sink-report");
    Runtime.getRuntime().addShutdownHook(hook);
    long t0 = System.nanoTime();
    long last = 0;
    try {
      for (int second = 1; o.duration() == null || System.nanoTime() - t0 < o.duration().toNanos(); second++) {
        long wait;
        while ((wait = t0 + TimeUnit.SECONDS.toNanos(second) - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
          if (Thread.interrupted()) {
            return 0;
          }
        }
        long now = sink.items();
        ItemLedger.Counts c = ledger.counts();
        err.printf(Locale.ROOT, "%5ds  %,10d items/s  delivered %,d  missing %,d  duplicated %,d  reordered %,d%n",
            second, now - last, c.delivered(), ledger.sources().stream().mapToLong(ledger::gapCount).sum(),
            c.duplicated(), c.reordered());
        last = now;
      }
    } finally {
      if (stopped.compareAndSet(false, true)) {
        Runtime.getRuntime().removeShutdownHook(hook);
        finishSink(o, sink, out);
      }
    }
    return 0;
  }

  private static void finishSink(Options o, CountingSink sink, PrintStream out) {
    sink.close();
    String md = LoadReport.sinkMarkdown(sink);
    out.print(md);
    out.flush();
    if (o.report() != null) {
      try {
        Files.createDirectories(o.report());
        Files.writeString(o.report().resolve("sink-report.md"), md);
      } catch (IOException e) {
        System.err.println("sluice-load sink: could not write " + o.report() + ": " + e);
      }
    }
  }

  /**
   * Ctrl-C (or SIGTERM) while a command runs: {@link #requested()} turns true, the thread that made
   * this is woken, and the JVM waits (up to {@code grace}) for the command to {@link #close} this,
   * so that it can finish its report first.
   */
  static final class StopRequest implements AutoCloseable {
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    StopRequest(String name, Duration grace) {
      Thread waiting = Thread.currentThread();
      hook = new Thread(() -> {
        requested.set(true);
        LockSupport.unpark(waiting);
        try {
          done.await(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, name);
      Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested() {
      return requested.get();
    }

    @Override
    public void close() {
      done.countDown();
      if (!requested.get()) {
        Runtime.getRuntime().removeShutdownHook(hook);
      }
    }
  }

  // ---- the timeline ------------------------------------------------------------------------------

  /** Per second: throughput, errors and latency, and the interval histograms in an HdrHistogram log. */
  static final class Timeline implements AutoCloseable {
    private final Recorder recorder;
    private final HistogramLogWriter log;
    private final PrintStream logFile;
    private final Histogram total = new Histogram(HIGHEST_NANOS, 3);
    private final List<Tick> ticks = new ArrayList<>();
    private Histogram interval;
    private long lastAccepted;
    private long lastDelivered;
    private long lastFailed;
    private long lastNanos;

    /** One interval: its end in seconds since the start, items per second, and latency in milliseconds. */
    record Tick(double seconds, double acceptedPerSecond, double deliveredPerSecond, long errors, double p50,
        double p99, double max, double p50SoFar, double p99SoFar) {
      String progressLine(String items) {
        return String.format(Locale.ROOT, "%6.1fs  %,10.0f %s/s accepted%s  errors %d  p50 %s  p99 %s"
                + "  (so far: p50 %s  p99 %s)", seconds, acceptedPerSecond, items,
            deliveredPerSecond < 0 ? "" : String.format(Locale.ROOT, "  %,10.0f/s delivered", deliveredPerSecond),
            errors, ms(p50), ms(p99), ms(p50SoFar), ms(p99SoFar));
      }
    }

    Timeline(Path hlog, Recorder recorder) throws IOException {
      this.recorder = recorder;
      this.logFile = new PrintStream(Files.newOutputStream(hlog), false, "UTF-8");
      this.log = new HistogramLogWriter(logFile);
      log.outputComment("sluice-load: latency in nanoseconds from each request's intended send time to its answer");
      log.outputLogFormatVersion();
      long now = System.currentTimeMillis();
      log.setBaseTime(now);
      log.outputBaseTime(now);
      log.outputLegend();
      recorder.reset();
      lastNanos = System.nanoTime();
    }

    Tick tick(long t0, long accepted, long delivered, long failed) {
      take();
      long now = System.nanoTime();
      double dt = Math.max(1e-9, (now - lastNanos) / 1e9);
      Tick t = new Tick((now - t0) / 1e9, (accepted - lastAccepted) / dt,
          delivered < 0 ? -1 : (delivered - lastDelivered) / dt, failed - lastFailed,
          millis(interval, 50), millis(interval, 99), interval.getTotalCount() == 0 ? 0 : interval.getMaxValue() / 1e6,
          millis(total, 50), millis(total, 99));
      ticks.add(t);
      lastAccepted = accepted;
      lastDelivered = Math.max(0, delivered);
      lastFailed = failed;
      lastNanos = now;
      return t;
    }

    /** Takes what was recorded since the last tick into the log and the total, not into the ticks. */
    void drained() {
      take();
    }

    /** The interval since the last tick: into the log and the total. */
    private void take() {
      interval = recorder.getIntervalHistogram(interval);
      long end = System.currentTimeMillis();
      interval.setStartTimeStamp(end - (System.nanoTime() - lastNanos) / 1_000_000);
      interval.setEndTimeStamp(end);
      log.outputIntervalHistogram(interval);
      total.add(interval);
    }

    List<Tick> ticks() {
      return ticks;
    }

    Histogram total() {
      return total;
    }

    private static double millis(Histogram h, double percentile) {
      return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e6;
    }

    static String ms(double millis) {
      return millis < 10 ? String.format(Locale.ROOT, "%.2f ms", millis) : String.format(Locale.ROOT, "%.0f ms", millis);
    }

    @Override
    public void close() {
      logFile.close();
    }
  }
}

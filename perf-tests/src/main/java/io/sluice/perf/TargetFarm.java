package io.sluice.perf;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * {@code sluice-load targets}: a Prometheus target farm on loopback. {@code --count} targets
 * ({@link TargetSimulator}), each serving {@code --series} sample lines on its own port, with
 * {@code --churn} of every target's series replaced by new ones each {@code --churn-interval}; the
 * targets' addresses go into a {@code file_sd_configs} file for a scraper to read. A line a second
 * says who scrapes how often; at the end, a summary of what was served.
 */
final class TargetFarm {
  /** The {@code targets} part of {@link SluiceLoad#USAGE}. */
  static final String USAGE = """
      targets:
        --count N                scrape targets (default 10), each on its own loopback port
        --series M               sample lines per target (default 1000)
        --churn SHARE            share of every target's series replaced by new label values each
                                 interval, 0 to 1 (default 0)
        --churn-interval D       how often (default 1m)
        --port-base P            target i (from 0) listens on P + i (default: free ports)
        --duration D             stop after D (default: at Ctrl-C), then print the summary
        --sd-file FILE           the file_sd_configs file naming the targets (default
                                 sluice-load-targets.json)
      """;

  /** The command line of {@code targets}, checked. */
  record Options(int count, int series, double churn, Duration churnInterval, int portBase, Duration duration,
      Path sdFile) {

    static Options parse(String[] args) {
      int count = 10;
      int series = 1000;
      double churn = 0;
      Duration churnInterval = Duration.ofMinutes(1);
      int portBase = 0;
      Duration duration = null;
      Path sdFile = Path.of("sluice-load-targets.json");
      for (int i = 1; i < args.length; i++) {
        String a = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--count" -> count = positive(v, a);
          case "--series" -> series = positive(v, a);
          case "--churn" -> churn = share(v, a);
          case "--churn-interval" -> churnInterval = Durations.parse(v, a);
          case "--port-base" -> portBase = SluiceLoad.Options.port(v, a);
          case "--duration" -> duration = Durations.parse(v, a);
          case "--sd-file" -> sdFile = Path.of(v);
          default -> throw new IllegalArgumentException("unknown option " + a + " for targets");
        }
      }
      if (churnInterval.isZero()) {
        throw new IllegalArgumentException("--churn-interval must be longer than 0");
      }
      if (portBase > 0 && portBase + count - 1 > 65535) {
        throw new IllegalArgumentException("--port-base " + portBase + " with --count " + count
            + " runs past port 65535");
      }
      return new Options(count, series, churn, churnInterval, portBase, duration, sdFile);
    }

    private static int positive(String v, String option) {
      int n = SluiceLoad.Options.integer(v, option);
      if (n < 1) {
        throw new IllegalArgumentException(option + " " + n + " must be at least 1");
      }
      return n;
    }

    private static double share(String v, String option) {
      try {
        double d = Double.parseDouble(v);
        if (d >= 0 && d <= 1) {
          return d;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw new IllegalArgumentException(option + " \"" + v + "\" is not a share from 0 to 1, such as 0.05");
    }
  }

  private TargetFarm() {}

  /** Runs the farm until {@code --duration} passes or the JVM is asked to stop; prints the summary. */
  static int run(Options o, PrintStream out, PrintStream err) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2,
        Runtime.getRuntime().availableProcessors())));
    try (TargetSimulator farm = TargetSimulator.start(vertx, o.count(), o.series(), true, 0, o.portBase(),
        o.churn(), true)) {
      writeSdFile(o.sdFile(), farm.addresses());
      err.printf(Locale.ROOT, "sluice-load targets: %d targets x %d series on 127.0.0.1:%s; %s; file_sd_configs"
              + " file %s%n", o.count(), o.series(), portRange(farm.addresses()),
          o.churn() > 0 ? String.format(Locale.ROOT, "%.4g of the series replaced every %s", o.churn(),
              Durations.format(o.churnInterval())) : "no churn", o.sdFile().toAbsolutePath());
      long churnEvery = o.churn() > 0 ? vertx.setPeriodic(o.churnInterval().toMillis(), id -> farm.churn()) : -1;
      long t0 = System.nanoTime();
      long end = o.duration() == null ? Long.MAX_VALUE : t0 + o.duration().toNanos();
      try (SluiceLoad.StopRequest stop = new SluiceLoad.StopRequest("sluice-load-targets-stop",
          Duration.ofSeconds(10))) {
        Map<String, Long> last = farm.scrapesByAgent();
        long lastNanos = t0;
        for (int second = 1; ; second++) {
          long tick = Math.min(end, t0 + TimeUnit.SECONDS.toNanos(second));
          long wait;
          while ((wait = tick - System.nanoTime()) > 0 && !stop.requested()) {
            LockSupport.parkNanos(wait);
          }
          long now = System.nanoTime();
          Map<String, Long> byAgent = farm.scrapesByAgent();
          err.println(progressLine((now - t0) / 1e9, (now - lastNanos) / 1e9, last, byAgent, farm));
          last = byAgent;
          lastNanos = now;
          if (tick == end || stop.requested()) {
            break;
          }
        }
        if (churnEvery >= 0) {
          vertx.cancelTimer(churnEvery);
        }
        out.print(summary(farm, (System.nanoTime() - t0) / 1e9));
        out.flush();
        return 0;
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Writes a {@code file_sd_configs} file naming {@code addresses}, as a whole (a temporary file
   * moved over the old one), so a scraper watching it never reads half of it.
   */
  static void writeSdFile(Path file, List<String> addresses) throws IOException {
    String json = addresses.stream().map(a -> "\"" + a + "\"")
        .collect(Collectors.joining(", ", "[\n  {\"targets\": [", "], \"labels\": {}}\n]\n"));
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".sluice-load-targets", ".tmp");
    Files.writeString(tmp, json);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String portRange(List<String> addresses) {
    String first = addresses.get(0).substring(addresses.get(0).lastIndexOf(':') + 1);
    String last = addresses.get(addresses.size() - 1).substring(addresses.get(addresses.size() - 1)
        .lastIndexOf(':') + 1);
    return addresses.size() == 1 ? first : first + ".." + last;
  }

  /** {@code 12.0s  scrapes/s: Prometheus 10.0  Sluice-Prometheus-Receiver 10.0  series churned 500}. */
  static String progressLine(double seconds, double interval, Map<String, Long> before, Map<String, Long> now,
      TargetSimulator farm) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%6.1fs  scrapes/s:", seconds));
    if (now.isEmpty()) {
      sb.append(" none yet");
    }
    now.forEach((agent, n) -> sb.append(String.format(Locale.ROOT, "  %s %.1f", agent,
        (n - before.getOrDefault(agent, 0L)) / Math.max(1e-9, interval))));
    sb.append(String.format(Locale.ROOT, "  series served %,d  churned %,d", farm.seriesServed(),
        farm.seriesChurned()));
    return sb.toString();
  }

  /** The summary at the end, in Markdown. */
  static String summary(TargetSimulator farm, double seconds) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, """
        # sluice-load targets

        %d targets x %d series for %.1f s.

        | | |
        |---|---|
        | Scrapes | %,d |
        | In OpenMetrics text | %,d |
        | Body bytes served | %,d |
        | Samples served | %,d |
        | Series served | %,d |
        | Series churned | %,d (%d churns) |
        """, farm.targets(), farm.series(), seconds, farm.scrapes(), farm.openMetricsScrapes(), farm.bytes(), farm.samples(),
        farm.seriesServed(), farm.seriesChurned(), farm.churns()));
    Map<String, Long> byAgent = farm.scrapesByAgent();
    if (!byAgent.isEmpty()) {
      sb.append("\nScrapes by User-Agent:\n\n");
      byAgent.forEach((agent, n) -> sb.append(String.format(Locale.ROOT, "- %s: %,d (%.1f/s)%n", agent, n,
          n / Math.max(1e-9, seconds))));
    }
    return sb.toString();
  }
}

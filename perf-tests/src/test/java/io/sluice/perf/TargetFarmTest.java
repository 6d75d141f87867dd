package io.sluice.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus target farm ({@code sluice-load targets}): a real gateway process reads the farm's
 * {@code file_sd_configs} file, scrapes every target and remote-writes to the harness's
 * remote-write counting sink, which sees every served series once and, after a churn, the new
 * series and staleness markers for the ones they replaced.
 */
class TargetFarmTest {
  /** The series the prometheus receiver adds for every target, as Prometheus does. */
  private static final List<String> REPORT_SERIES = List.of("up", "scrape_duration_seconds",
      "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added");
  private static final int TARGETS = 3;
  private static final int SERIES = 100;
  private static final double CHURN = 0.1;

  @TempDir Path dir;

  @Test
  void aGatewayScrapingTheFarmWritesEverySeriesAndAfterAChurnTheNewOnesAndStalenessMarkers() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try (TargetSimulator farm = TargetSimulator.start(vertx, TARGETS, SERIES, true, 0, 0, CHURN, true);
        RemoteWriteSink sink = RemoteWriteSink.start(vertx)) {
      Path sd = dir.resolve("targets.json");
      TargetFarm.writeSdFile(sd, farm.addresses());
      RemoteWriteSink.Stats stats = sink.stats(Scraper.SLUICE);
      String probed = farm.addresses().get(0);
      stats.probe(probed);
      Path config = TestGateway.config(dir, """
          receivers:
            prometheus:
              config:
                global:
                  scrape_interval: 500ms
                  scrape_timeout: 400ms
                scrape_configs:
                  - job_name: farm
                    file_sd_configs:
                      - files: [%s]
          processors:
            batch:
              timeout: 100ms
          exporters:
            prometheusremotewrite:
              endpoint: %s
              target_info:
                enabled: false
          """.formatted(sd, sink.url(Scraper.SLUICE)), """
          metrics:
            receivers: [prometheus]
            processors: [batch]
            exporters: [prometheusremotewrite]
          """);
      try (ServerProcess gateway = TestGateway.start(dir, config)) {
        int perTarget = SERIES + REPORT_SERIES.size();
        // Every target's series and the receiver's own, once each; then a few more scrapes add none.
        RemoteWriteSink.Snapshot full = await(stats, s -> s.distinctSeries() >= (long) TARGETS * perTarget
            && farm.counts(Scraper.SLUICE).scrapes() >= 3 * TARGETS, gateway, "every target scraped");
        long scrapes = farm.counts(Scraper.SLUICE).scrapes();
        await(stats, s -> farm.counts(Scraper.SLUICE).scrapes() >= scrapes + 2 * TARGETS
            && s.requests() > full.requests(), gateway, "two more rounds of scrapes");
        RemoteWriteSink.Snapshot before = stats.snapshot();
        assertThat(before.distinctSeries()).as("distinct series written: %d targets x (%d series + %s)", TARGETS,
            SERIES, REPORT_SERIES).isEqualTo((long) TARGETS * perTarget);
        assertThat(before.probeSeries()).as("the series of %s", probed).hasSize(perTarget);
        Set<String> names = before.probeSeries().stream().map(TargetFarmTest::name).collect(Collectors.toSet());
        assertThat(names).containsAll(REPORT_SERIES);
        assertThat(before.stale()).as("no staleness markers before the churn").isZero();
        assertThat(before.invalid()).as(before.firstProblem()).isZero();
        assertThat(farm.seriesChurned()).isZero();
        assertThat(farm.openMetricsScrapes()).as("scrapes answered in OpenMetrics, which the receiver asks for first")
            .isEqualTo(farm.scrapes());

        farm.churn();
        int churned = (int) Math.round(CHURN * SERIES);
        RemoteWriteSink.Snapshot after = await(stats, s -> s.distinctSeries() >= (long) TARGETS * (perTarget + churned)
            && s.probeStale().size() >= churned, gateway, "the churned series and their staleness markers");
        assertThat(farm.seriesChurned()).as("series churned over the farm").isEqualTo((long) TARGETS * churned);
        assertThat(after.distinctSeries()).isEqualTo((long) TARGETS * (perTarget + churned));
        Set<String> added = new TreeSet<>(after.probeSeries());
        added.removeAll(before.probeSeries());
        assertThat(added).as("new series of %s", probed).hasSize(churned)
            .allMatch(s -> s.contains(SimulatedTarget.CHURN_LABEL + "=\"1\""));
        // The replaced series are exactly the new ones without the churn label, and each got a marker.
        Set<String> replaced = added.stream().map(s -> s.replace(SimulatedTarget.CHURN_LABEL + "=\"1\", ", "")
            .replace(", " + SimulatedTarget.CHURN_LABEL + "=\"1\"", "")).collect(Collectors.toCollection(TreeSet::new));
        assertThat(before.probeSeries()).containsAll(replaced);
        assertThat(after.probeStale()).as("series of %s with a staleness marker", probed).isEqualTo(replaced);
        assertThat(after.invalid()).as(after.firstProblem()).isZero();
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theCommandWritesTheSdFileServesTextAndSummarises() throws Exception {
    int base = Reports.freePort();
    Path sd = dir.resolve("sd").resolve("farm.json");
    BackgroundCommand farm = new BackgroundCommand("targets", "--count", "2", "--series", "50", "--churn", "0.2",
        "--churn-interval", "500ms", "--port-base", Integer.toString(base), "--duration", "3s", "--sd-file",
        sd.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(sd) && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
    }
    assertThat(sd).as("the file_sd_configs file; stderr:%n%s", farm.err()).exists();
    assertThat(Files.readString(sd)).isEqualTo("[\n  {\"targets\": [\"127.0.0.1:%d\", \"127.0.0.1:%d\"],"
        .formatted(base, base + 1) + " \"labels\": {}}\n]\n");
    HttpClient client = HttpClient.newHttpClient();
    HttpResponse<String> first = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base
        + "/metrics")).header("User-Agent", "Prometheus/2.53.0").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Content-Type")).hasValue(TargetSimulator.CONTENT_TYPE);
    assertThat(first.body().lines().filter(l -> !l.startsWith("#")).count()).as(first.body()).isEqualTo(50);
    assertThat(first.body()).contains("# TYPE http_server_requests_total counter\n").doesNotContain("# EOF");
    // OpenMetrics for a scraper that prefers it, as Prometheus does by default.
    HttpResponse<String> om = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (base + 1)
        + "/metrics")).header("User-Agent", "Prometheus/3.5.0").header("Accept",
        "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(om.headers().firstValue("Content-Type")).hasValue(TargetSimulator.OPENMETRICS_CONTENT_TYPE);
    assertThat(om.body()).contains("# TYPE http_server_requests counter\nhttp_server_requests_total{")
        .doesNotContain("_total counter").endsWith("\n# EOF\n");
    assertThat(om.body().lines().filter(l -> !l.startsWith("#")).count()).as(om.body()).isEqualTo(50);
    // The farm's clock churns every 500 ms: a fifth of the lines get new label values by the next scrape.
    int polls = 0;
    String later = "";
    while (!later.contains(SimulatedTarget.CHURN_LABEL + "=\"")) {
      assertThat(System.nanoTime() - deadline).as("no churned series served; last body:%n%s", later).isNegative();
      later = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + base + "/metrics"))
          .header("User-Agent", "vmagent/1.100").build(), HttpResponse.BodyHandlers.ofString()).body();
      polls++;
      Thread.sleep(20);
    }
    assertThat(later.lines().filter(l -> l.contains(SimulatedTarget.CHURN_LABEL + "=\"")).count())
        .as(later).isGreaterThanOrEqualTo(10);
    assertThat(farm.await(Duration.ofSeconds(20))).as("exit code, after --duration; stderr:%n%s", farm.err())
        .isZero();
    String summary = farm.out();
    assertThat(farm.err()).contains("scrapes/s:", "Prometheus ", "vmagent ");
    assertThat(summary).contains(String.format(Locale.ROOT, "| Scrapes | %,d |", 2 + polls),
        "| In OpenMetrics text | 1 |", "- Prometheus: 2 ", String.format(Locale.ROOT, "- vmagent: %,d ", polls));
    Matcher churned = Pattern.compile("\\| Series churned \\| ([0-9,]+) ").matcher(summary);
    assertThat(churned.find()).as(summary).isTrue();
    long n = Long.parseLong(churned.group(1).replace(",", ""));
    assertThat(n).as("a churn replaces 10 of 50 lines, on the scraped target only").isPositive()
        .isEqualTo(n / 10 * 10);
    assertThat(summary).contains("| Series served | " + (100 + n) + " |");
  }

  /** The metric name in the sink's {@code {__name__="x", ...}}. */
  private static String name(String labels) {
    Matcher m = Pattern.compile("__name__=\"([^\"]*)\"").matcher(labels);
    return m.find() ? m.group(1) : "";
  }

  private static RemoteWriteSink.Snapshot await(RemoteWriteSink.Stats stats,
      Predicate<RemoteWriteSink.Snapshot> done, ServerProcess gateway, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
    RemoteWriteSink.Snapshot s = stats.snapshot();
    while (!done.test(s)) {
      assertThat(System.nanoTime() - deadline).as("waiting for %s: %d distinct series, %d stale, last problem %s;"
          + " gateway log:%n%s", what, s.distinctSeries(), s.stale(), s.firstProblem(), gateway.logTail(30))
          .isNegative();
      gateway.sleepWhileAlive(Duration.ofMillis(50));
      s = stats.snapshot();
    }
    return s;
  }
}

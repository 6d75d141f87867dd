package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.sluice.core.testkit.Ports;
import io.vertx.core.Vertx;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real browser: a gateway with traces, metrics and logs pipelines, a
 * connector between two of them and an OTLP exporter into a pipeline of its own, under load;
 * headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which bin/test
 * installs) opens {@code /status}. Every configured component shows in its pipeline, the rates
 * move, the scrape targets show their health and the tailed file its offset; a screenshot is
 * saved as {@code target/status-page.png}.
 */
class StatusPageIT {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
        otlp/relay:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:RELAY}
        prometheus:
          config:
            scrape_configs:
              - job_name: sluice
                scrape_interval: 1s
                static_configs:
                  - targets: ["127.0.0.1:${env:METRICS}", "127.0.0.1:${env:NOBODY}"]
        filelog:
          include: ["${env:LOG_DIR}/*.log"]
          start_at: beginning
          poll_interval: 100ms
      processors:
        batch:
          timeout: 200ms
        batch/logs:
          timeout: 200ms
      connectors:
        spanmetrics:
          metrics_flush_interval: 1s
      exporters:
        otlp/relay:
          endpoint: 127.0.0.1:${env:RELAY}
          tls:
            insecure: true
        debug:
          verbosity: basic
        debug/logs:
          verbosity: basic
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            processors: [batch]
            exporters: [otlp/relay, spanmetrics]
          traces/relay:
            receivers: [otlp/relay]
            exporters: [debug]
          metrics:
            receivers: [spanmetrics, prometheus]
            processors: [batch]
            exporters: [debug]
          logs:
            receivers: [filelog]
            processors: [batch/logs]
            exporters: [debug/logs]
      """;

  /** Every pipeline and what the page must show in it: component id and kind, in config order. */
  private static final Map<String, List<String[]>> EXPECTED = Map.of(
      "traces", List.of(c("otlp", "receiver"), c("batch", "processor"), c("otlp/relay", "exporter"),
          c("spanmetrics", "connector")),
      "traces/relay", List.of(c("otlp/relay", "receiver"), c("debug", "exporter")),
      "metrics", List.of(c("spanmetrics", "connector"), c("prometheus", "receiver"), c("batch", "processor"),
          c("debug", "exporter")),
      "logs", List.of(c("filelog", "receiver"), c("batch/logs", "processor"), c("debug/logs", "exporter")));

  private static String[] c(String id, String kind) {
    return new String[] {id, kind};
  }

  @TempDir
  Path dir;

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void showsEveryComponentOfTheConfigAndLiveRatesInChromium() throws Exception {
    Path chromium = onPath("chromium");
    Path chromedriver = onPath("chromedriver");

    int metricsPort = Ports.freePort();
    Path logDir = Files.createDirectories(dir.resolve("logs"));
    Path logFile = logDir.resolve("app.log");
    Files.writeString(logFile, "started\n");
    Vertx vertx = GatewayFixtures.lenientVertx(new CopyOnWriteArrayList<>());
    closing.add(() -> vertx.close().await(10, TimeUnit.SECONDS));
    int grpc = Ports.freePort();
    Gateway gateway = GatewayFixtures.start(vertx, GatewayFixtures.writeConfig(dir, "sluice.yaml", CONFIG), Map.of(
        "GRPC", Integer.toString(grpc), "RELAY", Integer.toString(Ports.freePort()),
        "METRICS", Integer.toString(metricsPort), "NOBODY", Integer.toString(Ports.freePort()),
        "LOG_DIR", logDir.toString()));
    closing.add(() -> gateway.shutdown(Duration.ofSeconds(10)));

    // Load: a trace request every 20 ms, a log line every 50 ms.
    TraceSender sender = TraceSender.to(grpc, "status-page");
    closing.add(sender);
    AtomicLong lines = new AtomicLong();
    List<Throwable> loadErrors = new CopyOnWriteArrayList<>();
    ScheduledExecutorService load = Executors.newScheduledThreadPool(2);
    closing.add(() -> {
      load.shutdownNow();
      load.awaitTermination(10, TimeUnit.SECONDS);
    });
    load.scheduleAtFixedRate(() -> {
      Status s = sender.sendOnce();
      if (!s.isOk()) {
        loadErrors.add(s.asRuntimeException());
      }
    }, 0, 20, TimeUnit.MILLISECONDS);
    load.scheduleAtFixedRate(() -> append(logFile, "line " + lines.incrementAndGet() + " of the status page test\n"),
        0, 50, TimeUnit.MILLISECONDS);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--hide-scrollbars", "--window-size=1440,2000");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
    WebDriver browser = new ChromeDriver(service, options);
    closing.add(browser::quit);
    browser.manage().window().setSize(new Dimension(1440, 2000));
    browser.get("http://127.0.0.1:" + metricsPort + "/status");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(100));

    wait.withMessage("the page to load status.json twice").until(b -> updates(b) >= 2);
    for (Map.Entry<String, List<String[]>> p : EXPECTED.entrySet()) {
      for (String[] component : p.getValue()) {
        String css = ".lane[data-pipeline='" + p.getKey() + "'] .component[data-id='" + component[0]
            + "'][data-kind='" + component[1] + "']";
        assertThat(browser.findElements(By.cssSelector(css)))
            .as("the %s %s in pipeline %s (%s)", component[1], component[0], p.getKey(), css).hasSize(1);
      }
      assertThat(browser.findElements(By.cssSelector(".lane[data-pipeline='" + p.getKey() + "'] .component")))
          .as("components shown in pipeline %s", p.getKey()).hasSize(p.getValue().size());
    }
    assertThat(browser.findElements(By.cssSelector(".lane"))).as("pipelines shown").hasSize(EXPECTED.size());

    // A rate moves: the traces receiver's accepted items per second go above zero and change.
    String receiver = ".lane[data-pipeline='traces'] .component[data-id='otlp'] .rates";
    double first = wait.withMessage("the otlp receiver's rate to go above 0")
        .until(b -> positive(b, receiver, "out"));
    wait.withMessage("the otlp receiver's rate to move from " + first)
        .until(b -> {
          Double now = positive(b, receiver, "out");
          return now != null && now != first ? now : null;
        });
    wait.withMessage("items to flow into the spanmetrics connector, through the relay and out of the logs pipeline")
        .until(b -> positive(b, ".lane[data-pipeline='traces'] .component[data-id='spanmetrics'] .rates", "in") != null
            && positive(b, ".lane[data-pipeline='traces/relay'] .component[data-id='debug'] .rates", "out") != null
            && positive(b, ".lane[data-pipeline='logs'] .component[data-id='filelog'] .rates", "out") != null);

    wait.withMessage("the scrape targets with their health: the gateway up, the closed port down with its error")
        .until(b -> {
          String t = b.findElement(By.id("targets")).getText();
          return t.contains("127.0.0.1:" + metricsPort + " up") && t.contains(" down ")
              && t.toLowerCase().contains("refused");
        });
    wait.withMessage("the tailed file with its offset").until(b -> b.findElement(By.id("files")).getText()
        .contains(logFile.toString()));
    wait.withMessage("the exporter table with the otlp/relay exporter's queue")
        .until(b -> b.findElement(By.id("exporters")).getText().contains("otlp/relay"));
    assertThat(browser.findElements(By.cssSelector("#chart-rates canvas"))).as("the rates plot").isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#chart-queues canvas"))).as("the queue plot").isNotEmpty();
    assertThat(browser.findElement(By.id("error")).isDisplayed()).as("the page's error line").isFalse();

    // A few more updates, so that the plots have lines, then the screenshot.
    int seen = updates(browser);
    wait.withMessage("five more updates").until(b -> updates(b) >= seen + 5);
    Path shot = Path.of("target", "status-page.png");
    Files.createDirectories(shot.getParent());
    Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    assertThat(Files.size(shot)).as("screenshot %s", shot.toAbsolutePath()).isGreaterThan(10_000);
    assertThat(loadErrors).as("trace requests the gateway refused").isEmpty();
  }

  private static int updates(WebDriver b) {
    String v = b.findElement(By.tagName("body")).getDomAttribute("data-updates");
    return v == null ? 0 : Integer.parseInt(v);
  }

  /** The rate ({@code data-in} or {@code data-out}) of the element at {@code css} when above 0, else null. */
  private static Double positive(WebDriver b, String css, String which) {
    List<WebElement> found = b.findElements(By.cssSelector(css));
    if (found.isEmpty()) {
      return null;
    }
    String v = found.get(0).getDomAttribute("data-" + which);
    if (v == null || v.isEmpty()) {
      return null;
    }
    double d = Double.parseDouble(v);
    return d > 0 ? d : null;
  }

  private static void append(Path file, String line) {
    try {
      Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The executable {@code name} on the PATH; fails the test naming the Debian package when it is missing. */
  private static Path onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    throw new AssertionError("The status page test needs headless Chromium: '" + name + "' is not on the PATH ("
        + System.getenv("PATH") + "). Install Debian's chromium and chromium-driver packages"
        + " (bin/test installs them).");
  }
}

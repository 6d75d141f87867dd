package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.receiver.prometheus.Targets.Target;
import io.sluice.translation.prometheus.relabel.LabelSet;
import io.sluice.translation.prometheus.relabel.Relabeler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Scrapes one target every interval, on the receiver's context: fetches the body, parses it
 * (on a worker when large), applies the target's labels and {@code metric_relabel_configs},
 * adds the per-scrape series Prometheus adds ({@code up}, {@code scrape_*}) and stale markers
 * for series that vanished, converts to OTLP and hands the result to the receiver.
 *
 * <p>State is touched only on the receiver's context, and a scrape runs at most once at a time.
 * Large bodies, and stale markers for many series, are converted on the receiver's worker pool;
 * such a task reads the string cache and a snapshot of the previous series (which the context
 * replaces, never changes) and hands its result back to the context.
 */
final class ScrapeLoop {
  private static final Logger log = LoggerFactory.getLogger(ScrapeLoop.class);

  /**
   * Bodies up to this size are parsed on the event loop; larger ones on a worker. Converting
   * Prometheus' own /metrics (about 100 KB) once took 200 ms on a cold JVM, so keep this small.
   */
  static final int PARSE_ON_LOOP_MAX_BYTES = 32 * 1024;
  /** Stale markers for more series than this are built on a worker. */
  static final int OFFLOAD_SERIES = 2_000;
  static final double STALE_NAN = Double.longBitsToDouble(ScrapeToOtlp.STALE_NAN_BITS);
  static final String USER_AGENT = "Sluice-Prometheus-Receiver/0.1";
  static final List<String> REPORT_SERIES = List.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
      "scrape_samples_post_metric_relabeling", "scrape_series_added");
  /** Added with {@code report_extra_scrape_metrics}, as Prometheus' extra-scrape-metrics feature does. */
  static final List<String> EXTRA_REPORT_SERIES = List.of("scrape_timeout_seconds", "scrape_sample_limit",
      "scrape_body_size_bytes");

  /** How a job scrapes and rewrites; shared by the loops of one job. */
  record Settings(
      String componentId,
      boolean honorLabels,
      boolean honorTimestamps,
      long sampleLimit,
      long labelLimit,
      long bodySizeLimit,
      Relabeler metricRelabeler,
      ClientSetup http,
      Map<String, String> externalLabels,
      long labelNameLengthLimit,
      long labelValueLengthLimit,
      boolean trackTimestampsStaleness,
      boolean extraReport,
      String accept,
      boolean compression,
      ExpositionFormat fallbackFormat) {}

  private record SeriesKey(String name, Labels labels) {}

  /**
   * The family a remembered series belongs to. {@code timestamped}: the series came with its own
   * timestamp, so (as in Prometheus) it gets no stale markers.
   */
  private record FamilyMeta(String name, MetricType type, String help, String unit, boolean timestamped) {
    FamilyMeta withTimestamp() {
      return new FamilyMeta(name, type, help, unit, true);
    }
  }

  private static class ScrapeFailure extends Exception {
    private static final long serialVersionUID = 1L;

    ScrapeFailure(String message) {
      super(message, null, false, false);
    }
  }

  private record Body(String contentType, byte[] bytes) {}

  private final Vertx vertx;
  private final HttpClient client;
  private final Offload worker;
  private final Target target;
  private final Settings settings;
  private final Consumer<ResourceMetrics> sink;
  private final ScrapeToOtlp.Target otlpTarget;
  /** Target labels other than job and instance, then external labels: added to every series. */
  private final String[] extraNames;
  private final String[] extraValues;
  private RateLimitedLog failures = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
  private final StringCache strings = new StringCache(4096);
  /** Point attributes of this target's label sets; used by one scrape's report at a time. */
  private final AttributeCache attributes = new AttributeCache();

  private Map<SeriesKey, FamilyMeta> previous = new HashMap<>();
  /** The parser's id of the body {@link #previous} came from (see {@link SeriesCache#lastId()}); 0 for none. */
  private int previousBodyId;
  private boolean reported;
  /** The reason of the last failed scrape told at WARN; null after a success. */
  private String lastReason;
  private boolean scraping;
  private boolean stopped;
  /** When set, scrapes fail with this reason without a request (a job over its target_limit). */
  private volatile String forcedError;
  private long timerId = -1;
  /** When the next scrape is due (ms since the epoch): this target's slot in its interval. */
  private long nextDueMs;
  private HttpClientRequest inFlight;
  /** What the status page and the target gauges read, from any thread; null before the first scrape ended. */
  private volatile Health health;

  /**
   * How the target's scrapes went: {@code up} of the last one, when it started (ms since the
   * epoch), and the last failure's reason and time (null and 0 when none failed).
   */
  record Health(boolean up, long lastScrapeMs, String lastError, long lastErrorMs) {}

  ScrapeLoop(Vertx vertx, HttpClient client, Offload worker, Target target,
      Settings settings, Consumer<ResourceMetrics> sink) {
    this.vertx = vertx;
    this.client = client;
    this.worker = worker;
    this.target = target;
    this.settings = settings;
    this.sink = sink;
    this.otlpTarget = new ScrapeToOtlp.Target(target.job(), target.instance(), target.scheme());
    LabelSet.Builder extra = LabelSet.builder();
    settings.externalLabels().forEach(extra::set);
    LabelSet labels = target.labels();
    for (int i = 0; i < labels.size(); i++) {
      if (!labels.name(i).equals("job") && !labels.name(i).equals("instance")) {
        extra.set(labels.name(i), labels.value(i));
      }
    }
    LabelSet e = extra.build();
    extraNames = new String[e.size()];
    extraValues = new String[e.size()];
    for (int i = 0; i < e.size(); i++) {
      extraNames[i] = e.name(i);
      extraValues[i] = e.value(i);
    }
  }

  Target target() {
    return target;
  }

  /** How the target's scrapes went; null before the first one ended. Safe from any thread. */
  Health health() {
    return health;
  }

  /**
   * Parses and converts a tiny body of each format once, stale markers included (blocking: call
   * on a worker), so that the first scrapes on the event loop do not pay for loading and linking
   * the parsers' and the converter's classes, which takes a few hundred ms on a busy machine.
   */
  static void warmUp() throws ParseException {
    String text = "# HELP w_total Warm-up.\n# TYPE w_total counter\nw_total{a=\"b\"} 1\n# TYPE h histogram\n"
        + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# TYPE s summary\n"
        + "s{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\ng 1\n";
    String openMetrics = "# TYPE w counter\nw_total 1 1700000000.5\n# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n";
    byte[] t = text.getBytes(StandardCharsets.UTF_8);
    byte[] o = openMetrics.getBytes(StandardCharsets.UTF_8);
    List<MetricFamily> families = new ArrayList<>(ExpositionFormat.PROMETHEUS_TEXT.parse(t));
    families.addAll(ExpositionFormat.OPENMETRICS_TEXT.parse(o));
    long now = System.currentTimeMillis();
    MetricFamily stale = new MetricFamily("up", MetricType.GAUGE);
    stale.add(new Sample("up", Labels.EMPTY, STALE_NAN, now, null));
    families.add(stale);
    ScrapeToOtlp.convert(families, new ScrapeToOtlp.Target("warm-up", "warm-up", "http"), now);
  }

  /** Starts scraping, the first time at an offset within the interval that depends on the target. */
  void start() {
    long interval = intervalMs();
    long offset = Math.floorMod((long) target.key().hashCode() * 0x9E3779B97F4A7C15L, interval);
    long now = System.currentTimeMillis();
    nextDueMs = now + Math.floorMod(offset - now, interval);
    scheduleNext(now);
  }

  private long intervalMs() {
    return Math.max(1, target.interval().toMillis());
  }

  /**
   * Sets the timer for the next slot of this target's schedule. Slots missed while the loop was
   * late are skipped, not made up for with a burst of scrapes, as Prometheus' ticker does.
   */
  private void scheduleNext(long now) {
    if (stopped) {
      return;
    }
    long interval = intervalMs();
    if (nextDueMs < now) {
      nextDueMs += ((now - nextDueMs) / interval + 1) * interval;
    }
    timerId = vertx.setTimer(Math.max(1, nextDueMs - now), id -> {
      nextDueMs += interval;
      scrape();
      scheduleNext(System.currentTimeMillis());
    });
  }

  /**
   * Stops scraping and returns stale markers for every series this target had (the target went
   * away or the receiver shuts down); null when there is nothing to mark. Many series are
   * converted on the worker.
   */
  Future<ResourceMetrics> stop() {
    halt();
    if (!reported && previous.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    Map<SeriesKey, FamilyMeta> series = previous;
    boolean withReport = reported;
    previous = new HashMap<>();
    previousBodyId = 0;
    reported = false;
    return offloadIfLarge(series.size(), () -> {
      List<MetricFamily> families = new ArrayList<>();
      addStaleMarkers(series, Map.of(), families, now);
      if (withReport) {
        Labels labels = extraLabels();
        for (String name : reportNames()) {
          MetricFamily f = new MetricFamily(name, MetricType.GAUGE);
          f.add(new Sample(name, labels, STALE_NAN, now, null));
          families.add(f);
        }
      }
      return ScrapeToOtlp.convert(families, otlpTarget, now);
    });
  }

  /**
   * Stops scraping without stale markers, because another loop of the same target (in the
   * receiver that replaces this one on a reload) scrapes on; the series this target had, for that
   * loop to {@link #inherit}.
   */
  HandedOver handOver() {
    halt();
    Map<SeriesKey, FamilyMeta> series = previous;
    previous = new HashMap<>();
    previousBodyId = 0;
    reported = false;
    return new HandedOver(series);
  }

  /** The series a loop had when it {@link #handOver handed over}. */
  static final class HandedOver {
    private final Map<SeriesKey, FamilyMeta> series;

    private HandedOver(Map<SeriesKey, FamilyMeta> series) {
      this.series = series;
    }
  }

  /**
   * Carries on from a loop of the same target that {@link #handOver handed over}: its series
   * that this loop has not seen yet count as this loop's, so the next scrape marks the ones the
   * target no longer has stale, as the old loop would have.
   */
  void inherit(HandedOver handedOver) {
    Map<SeriesKey, FamilyMeta> series = handedOver.series;
    if (series.isEmpty()) {
      return;
    }
    Map<SeriesKey, FamilyMeta> merged = new HashMap<>(series);
    merged.putAll(previous);
    previous = merged;
    previousBodyId = 0;
  }

  /** No more scrapes: cancels the next one and the one in flight. */
  private void halt() {
    stopped = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    if (inFlight != null) {
      inFlight.reset();
      inFlight = null;
    }
  }

  /** Runs {@code work} here when it concerns few series, else on the worker. */
  private <T> Future<T> offloadIfLarge(int series, java.util.concurrent.Callable<T> work) {
    if (series <= OFFLOAD_SERIES || worker == null) {
      try {
        return Future.succeededFuture(work.call());
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    }
    return worker.run(work);
  }

  /**
   * Makes the following scrapes fail with {@code reason}, without a request, until called with
   * null: how a job over its target_limit reports its targets down, as Prometheus does.
   */
  void forceError(String reason) {
    forcedError = reason;
  }

  /**
   * One scrape; skipped when the previous one has not finished. A scrape ends when its result is
   * handed on, so results of one target are handed on in order.
   */
  void scrape() {
    if (stopped || scraping) {
      return;
    }
    scraping = true;
    long startMs = System.currentTimeMillis();
    long startNanos = System.nanoTime();
    String forced = forcedError;
    Future<Body> fetched = forced != null ? Future.failedFuture(new ScrapeFailure(forced)) : fetch();
    fetched.compose(body -> {
      if (stopped) {
        return Future.failedFuture(new ScrapeFailure("the receiver stopped"));
      }
      // as in Prometheus, the scrape's duration is the time to fetch the body
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      return process(body, startMs, seconds);
    }).compose(outcome -> {
      if (stopped) {
        return Future.<ResourceMetrics>succeededFuture();
      }
      previous = outcome.series();
      previousBodyId = outcome.bodyId();
      reported = true;
      Health h = health;
      health = new Health(true, startMs, h == null ? null : h.lastError(), h == null ? 0 : h.lastErrorMs());
      if (lastReason != null) {
        log.info("Receiver '{}' scraped target '{}' of job '{}' again", settings.componentId(), target.url(),
            target.job());
        lastReason = null;
      }
      return Future.succeededFuture(outcome.metrics());
    }, error -> {
      if (stopped) {
        return Future.<ResourceMetrics>succeededFuture();
      }
      double seconds = error instanceof Rejected r ? r.seconds : (System.nanoTime() - startNanos) / 1e9;
      Throwable cause = error instanceof Rejected r ? r.getCause() : error;
      return failed(cause, startMs, seconds);
    }).onComplete(ar -> {
      scraping = false;
      inFlight = null;
      if (stopped) {
        return;
      }
      if (ar.succeeded() && ar.result() != null) {
        sink.accept(ar.result());
      } else if (ar.failed()) {
        log.warn("Receiver '{}' could not convert the scrape of target '{}' of job '{}'", settings.componentId(),
            target.url(), target.job(), ar.cause());
      }
    });
  }

  /** A scrape's result: the OTLP metrics to push and the series it had, for the next staleness check. */
  private record Outcome(ResourceMetrics metrics, Map<SeriesKey, FamilyMeta> series, int bodyId) {}

  /** A body that was fetched but refused (does not parse, over a limit), with the fetch's duration. */
  private static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    final double seconds;

    Rejected(ScrapeFailure cause, double seconds) {
      super(cause.getMessage(), cause, false, false);
      this.seconds = seconds;
    }
  }

  private Future<Body> fetch() {
    Promise<Body> promise = Promise.promise();
    long timeoutMs = Math.max(1, target.timeout().toMillis());
    RequestOptions options = settings.http().request(target.url())
        .setConnectTimeout(timeoutMs)
        .putHeader(HttpHeaders.ACCEPT, settings.accept())
        .putHeader(HttpHeaders.ACCEPT_ENCODING, settings.compression() ? "gzip" : "identity")
        .putHeader(HttpHeaders.USER_AGENT, USER_AGENT)
        .putHeader("X-Prometheus-Scrape-Timeout-Seconds", Double.toString(timeoutMs / 1000.0));
    long timer = vertx.setTimer(timeoutMs, t -> {
      if (promise.tryFail(new ScrapeFailure("scrape timed out after " + timeoutMs + "ms"))
          && inFlight != null) {
        inFlight.reset();
      }
    });
    promise.future().onComplete(x -> vertx.cancelTimer(timer));
    long limit = settings.bodySizeLimit();
    client.request(options).compose(req -> {
      inFlight = req;
      return req.send();
    }).onComplete(ar -> {
      if (ar.failed()) {
        promise.tryFail(ar.cause());
        return;
      }
      var resp = ar.result();
      if (resp.statusCode() != 200) {
        promise.tryFail(new ScrapeFailure("server returned HTTP status " + resp.statusCode() + " "
            + resp.statusMessage()));
        abandon(resp);
        return;
      }
      String length = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (limit > 0 && length != null && resp.getHeader(HttpHeaders.CONTENT_ENCODING) == null) {
        try {
          if (Long.parseLong(length.trim()) > limit) {
            promise.tryFail(bodyTooLarge(limit));
            abandon(resp);
            return;
          }
        } catch (NumberFormatException ignored) {
          // read on; the limit is checked while reading
        }
      }
      String contentType = resp.getHeader(HttpHeaders.CONTENT_TYPE);
      Buffer body = Buffer.buffer();
      resp.handler(chunk -> {
        if (limit > 0 && (long) body.length() + chunk.length() > limit) {
          if (promise.tryFail(bodyTooLarge(limit))) {
            resp.request().reset();
          }
          return;
        }
        body.appendBuffer(chunk);
      });
      resp.exceptionHandler(promise::tryFail);
      resp.endHandler(v -> promise.tryComplete(new Body(contentType, body.getBytes())));
    });
    return promise.future();
  }

  /**
   * Drops a response that is not wanted (an error status, too large) by closing its connection;
   * the reset is expected, so it is not reported as an error.
   */
  static void abandon(HttpClientResponse resp) {
    resp.exceptionHandler(e -> { });
    resp.request().reset();
  }

  /** The body was over body_size_limit. */
  private static final class BodyTooLarge extends ScrapeFailure {
    private static final long serialVersionUID = 1L;

    BodyTooLarge(String message) {
      super(message);
    }
  }

  /**
   * Fails the scrape when a label name or value of a series (its name included, as the value of
   * {@code __name__}) is longer, in UTF-8 bytes as Prometheus counts, than the job allows.
   */
  private void checkLengths(String name, Labels labels) throws ScrapeFailure {
    long nameLimit = settings.labelNameLengthLimit();
    long valueLimit = settings.labelValueLengthLimit();
    for (int i = -1; i < labels.size(); i++) {
      String label = i < 0 ? "__name__" : labels.name(i);
      String value = i < 0 ? name : labels.value(i);
      if (nameLimit > 0 && utf8Length(label) > nameLimit) {
        throw new ScrapeFailure("label_name_length_limit exceeded: label name \"" + label + "\" of series " + name
            + " is " + utf8Length(label) + " bytes long; label_name_length_limit is " + nameLimit);
      }
      if (valueLimit > 0 && utf8Length(value) > valueLimit) {
        throw new ScrapeFailure("label_value_length_limit exceeded: the value of label \"" + label + "\" of series "
            + name + " is " + utf8Length(value) + " bytes long; label_value_length_limit is " + valueLimit);
      }
    }
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static ScrapeFailure bodyTooLarge(long limit) {
    return new BodyTooLarge("body size limit exceeded: the body is larger than body_size_limit (" + limit
        + " bytes)");
  }

  /**
   * Parses and converts a body: on this event loop when it is small, else on the worker. Only
   * reads this loop's state (the previous series, which the context replaces but never changes).
   */
  private Future<Outcome> process(Body body, long startMs, double seconds) {
    ExpositionFormat format = ExpositionFormat.fromContentType(body.contentType(), settings.fallbackFormat());
    byte[] bytes = body.bytes();
    Map<SeriesKey, FamilyMeta> before = previous;
    int beforeId = previousBodyId;
    java.util.concurrent.Callable<Outcome> work = () -> {
      try {
        List<MetricFamily> families;
        try {
          families = format.parse(bytes, 0, bytes.length, strings);
        } finally {
          strings.endOfScrape();
        }
        // The text parser tells whether the body had exactly the series of the one before it.
        SeriesCache memory = strings.series();
        boolean text = format == ExpositionFormat.PROMETHEUS_TEXT;
        int bodyId = text ? memory.lastId() : 0;
        boolean unchanged = text && beforeId != 0 && memory.unchanged() && bodyId - 1 == beforeId;
        return report(families, before, unchanged, bodyId, startMs, seconds, bytes.length);
      } catch (ParseException e) {
        throw new Rejected(parseFailure(format, e), seconds);
      } catch (ScrapeFailure e) {
        throw new Rejected(e, seconds);
      }
    };
    if (bytes.length <= PARSE_ON_LOOP_MAX_BYTES || worker == null) {
      try {
        return Future.succeededFuture(work.call());
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    }
    return worker.run(work);
  }

  private static ScrapeFailure parseFailure(ExpositionFormat format, ParseException e) {
    return new ScrapeFailure("invalid " + (format == ExpositionFormat.OPENMETRICS_TEXT ? "OpenMetrics" : "text 0.0.4")
        + " body: " + e.getMessage());
  }

  /** The result of a failed scrape: up = 0 and stale markers for every series the target had. */
  private Future<ResourceMetrics> failed(Throwable cause, long startMs, double seconds) {
    String reason = ClientSetup.reason(cause);
    if (!reason.equals(lastReason)) {
      // a new kind of failure is told at once; repeats of the same one are rate-limited
      lastReason = reason;
      failures = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
    }
    failures.log("Receiver '{}' failed to scrape target '{}' of job '{}': {}", settings.componentId(),
        target.url(), target.job(), reason);
    health = new Health(false, startMs, reason, startMs);
    Map<SeriesKey, FamilyMeta> series = previous;
    previous = new HashMap<>();
    previousBodyId = 0;
    reported = true;
    long bodyBytes = cause instanceof BodyTooLarge ? -1 : 0;
    return offloadIfLarge(series.size(), () -> {
      List<MetricFamily> families = new ArrayList<>();
      addStaleMarkers(series, Map.of(), families, startMs);
      addReport(families, startMs, 0, seconds, 0, 0, 0, bodyBytes);
      return ScrapeToOtlp.convert(families, otlpTarget, startMs);
    });
  }

  /**
   * The scraped families with target labels, relabeled, limited, with stale markers and report
   * series. {@code unchanged}: the body served exactly the series of the one {@code previous}
   * came from, so the series are those of {@code previous} (no stale markers, none added).
   */
  private Outcome report(List<MetricFamily> scraped, Map<SeriesKey, FamilyMeta> previous, boolean unchanged,
      int bodyId, long startMs, double seconds, long bodyBytes) throws ScrapeFailure {
    Map<SeriesKey, FamilyMeta> current = unchanged ? previous : new HashMap<>(Math.max(16, previous.size() * 2));
    List<MetricFamily> out = new ArrayList<>(scraped.size() + 8);
    Map<String, MetricFamily> renamed = null;
    int samplesScraped = 0;
    int postRelabel = 0;
    int added = 0;
    Relabeler relabeler = settings.metricRelabeler();
    for (MetricFamily family : scraped) {
      FamilyMeta meta = new FamilyMeta(family.name(), family.type(), family.help(), family.unit(), false);
      FamilyMeta timestampedMeta = null;
      MetricFamily kept = new MetricFamily(family.name(), family.type());
      kept.help(family.help());
      kept.unit(family.unit());
      for (Sample s : family.samples()) {
        samplesScraped++;
        String name = s.name();
        Labels labels;
        if (relabeler == null) {
          labels = withTargetLabels(s.labels());
        } else {
          LabelSet ls = relabeler.apply(toLabelSet(name, s.labels()));
          if (ls == null) {
            continue;
          }
          name = ls.get("__name__");
          if (name == null) {
            continue;
          }
          labels = fromLabelSet(ls);
        }
        if (settings.labelLimit() > 0) {
          // counted as Prometheus does: with __name__, job and instance
          int count = labels.size() + 1 + (labels.get("job") == null ? 1 : 0)
              + (labels.get("instance") == null ? 1 : 0);
          if (count > settings.labelLimit()) {
            throw new ScrapeFailure("label_limit exceeded: series " + name + labels + " has " + count
                + " labels with __name__, job and instance; label_limit is " + settings.labelLimit());
          }
        }
        if (settings.labelNameLengthLimit() > 0 || settings.labelValueLengthLimit() > 0) {
          checkLengths(name, labels);
        }
        postRelabel++;
        if (settings.sampleLimit() > 0 && postRelabel > settings.sampleLimit()) {
          throw new ScrapeFailure("sample_limit exceeded: more than " + settings.sampleLimit()
              + " samples after metric relabeling");
        }
        long ts = settings.honorTimestamps() ? s.timestampMs() : Sample.NO_TIMESTAMP;
        Sample sample = labels == s.labels() && ts == s.timestampMs() && name.equals(s.name())
            ? s : new Sample(name, labels, s.value(), ts, s.exemplar());
        FamilyMeta seriesMeta = meta;
        if (belongsTo(name, family.name())) {
          kept.add(sample);
        } else {
          // metric relabeling renamed it out of its family: it goes on as an untyped series
          if (renamed == null) {
            renamed = new LinkedHashMap<>();
          }
          MetricFamily f = renamed.computeIfAbsent(name, n -> new MetricFamily(n, MetricType.UNKNOWN));
          f.add(sample);
          seriesMeta = new FamilyMeta(name, MetricType.UNKNOWN, null, null, false);
        }
        if (unchanged) {
          continue; // the series are those of the last scrape, which current already is
        }
        // with track_timestamps_staleness, series with their own timestamps get stale markers too
        if (ts != Sample.NO_TIMESTAMP && !settings.trackTimestampsStaleness()) {
          if (seriesMeta == meta) {
            if (timestampedMeta == null) {
              timestampedMeta = meta.withTimestamp();
            }
            seriesMeta = timestampedMeta;
          } else {
            seriesMeta = seriesMeta.withTimestamp();
          }
        }
        SeriesKey key = new SeriesKey(name, labels);
        if (current.put(key, seriesMeta) == null && !previous.containsKey(key)) {
          added++;
        }
      }
      if (!kept.samples().isEmpty()) {
        out.add(kept);
      }
    }
    if (renamed != null) {
      out.addAll(renamed.values());
    }
    // Every series of the last scrape is in this one when as many as it had were found again.
    if (current != previous && current.size() - added != previous.size()) {
      addStaleMarkers(previous, current, out, startMs);
    }
    addReport(out, startMs, 1, seconds, samplesScraped, postRelabel, added, bodyBytes);
    return new Outcome(ScrapeToOtlp.convert(out, otlpTarget, startMs, attributes), current, bodyId);
  }

  private static final String[] FAMILY_SUFFIXES = {
    "_total", "_created", "_bucket", "_sum", "_count", "_info", "_gsum", "_gcount"};

  /** Whether a sample of that name is part of the family (without cutting the name, once per sample). */
  private static boolean belongsTo(String sample, String family) {
    if (!sample.startsWith(family)) {
      return false;
    }
    int rest = sample.length() - family.length();
    if (rest == 0) {
      return true;
    }
    for (String suffix : FAMILY_SUFFIXES) {
      if (suffix.length() == rest && sample.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  /** Stale markers, at {@code timeMs}, for the series of {@code before} that are not in {@code now}. */
  private static void addStaleMarkers(Map<SeriesKey, FamilyMeta> before, Map<SeriesKey, FamilyMeta> now,
      List<MetricFamily> out, long timeMs) {
    Map<FamilyMeta, MetricFamily> stale = null;
    for (Map.Entry<SeriesKey, FamilyMeta> e : before.entrySet()) {
      if (e.getValue().timestamped() || now.containsKey(e.getKey())) {
        continue;
      }
      if (stale == null) {
        stale = new LinkedHashMap<>();
      }
      FamilyMeta meta = e.getValue();
      MetricFamily f = stale.computeIfAbsent(meta, m -> {
        MetricFamily nf = new MetricFamily(m.name(), m.type());
        nf.help(m.help());
        nf.unit(m.unit());
        return nf;
      });
      f.add(new Sample(e.getKey().name(), e.getKey().labels(), STALE_NAN, timeMs, null));
    }
    if (stale != null) {
      out.addAll(stale.values());
    }
  }

  private List<String> reportNames() {
    if (!settings.extraReport()) {
      return REPORT_SERIES;
    }
    List<String> names = new ArrayList<>(REPORT_SERIES);
    names.addAll(EXTRA_REPORT_SERIES);
    return names;
  }

  private void addReport(List<MetricFamily> out, long timeMs, double up, double seconds, int scraped, int post,
      int added, long bodyBytes) {
    Labels labels = extraLabels();
    double[] values = {up, seconds, scraped, post, added, target.timeout().toMillis() / 1000.0,
        settings.sampleLimit(), bodyBytes};
    List<String> names = reportNames();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      MetricFamily f = new MetricFamily(name, MetricType.GAUGE);
      f.add(new Sample(name, labels, values[i], timeMs, null));
      out.add(f);
    }
  }

  private Labels extraLabels() {
    return Labels.sortedCopy(extraNames, extraValues, extraNames.length);
  }

  /**
   * The series' labels with the target's: a scraped label that clashes with a target label is
   * kept (honor_labels) or renamed to {@code exported_<name>}. Job and instance stay with the
   * target (they become the OTLP resource) unless the series brought its own and honors them.
   */
  private Labels withTargetLabels(Labels scraped) {
    boolean clash = scraped.hasJobOrInstance();
    if (extraNames.length == 0 && !clash) {
      return scraped;
    }
    // the parser gives a series the same Labels every scrape: the merged set is made once
    Labels known = scraped.madeBy(this);
    if (known != null) {
      return known;
    }
    Labels merged = mergeTargetLabels(scraped);
    scraped.madeBy(this, merged);
    return merged;
  }

  private Labels mergeTargetLabels(Labels scraped) {
    LabelSet.Builder b = LabelSet.builder();
    for (int i = 0; i < scraped.size(); i++) {
      b.set(scraped.name(i), scraped.value(i));
    }
    if (!settings.honorLabels()) {
      renameClash(b, scraped, "job", null);
      renameClash(b, scraped, "instance", null);
    }
    for (int i = 0; i < extraNames.length; i++) {
      if (scraped.get(extraNames[i]) == null) {
        b.set(extraNames[i], extraValues[i]);
      } else if (!settings.honorLabels() && !settings.externalLabels().containsKey(extraNames[i])) {
        renameClash(b, scraped, extraNames[i], extraValues[i]);
      }
    }
    return fromBuilder(b);
  }

  private static void renameClash(LabelSet.Builder b, Labels scraped, String name, String targetValue) {
    String value = scraped.get(name);
    if (value == null) {
      return;
    }
    String exported = "exported_" + name;
    while (b.get(exported) != null) {
      exported = "exported_" + exported;
    }
    b.set(exported, value);
    if (targetValue == null) {
      b.delete(name);
    } else {
      b.set(name, targetValue);
    }
  }

  /** The series as metric relabeling sees it: __name__, its labels, the target's and job/instance. */
  private LabelSet toLabelSet(String name, Labels scraped) {
    Labels merged = withTargetLabels(scraped);
    LabelSet.Builder b = LabelSet.builder();
    for (int i = 0; i < merged.size(); i++) {
      b.set(merged.name(i), merged.value(i));
    }
    if (b.get("job") == null) {
      b.set("job", otlpTarget.job());
    }
    if (b.get("instance") == null) {
      b.set("instance", otlpTarget.instance());
    }
    b.set("__name__", name);
    return b.build();
  }

  /** Labels of a relabeled series: without __name__, and without job/instance when they are the target's. */
  private Labels fromLabelSet(LabelSet ls) {
    String[] names = new String[ls.size()];
    String[] values = new String[ls.size()];
    int n = 0;
    for (int i = 0; i < ls.size(); i++) {
      String name = ls.name(i);
      String value = ls.value(i);
      if (name.equals("__name__")
          || (name.equals("job") && value.equals(otlpTarget.job()))
          || (name.equals("instance") && value.equals(otlpTarget.instance()))) {
        continue;
      }
      names[n] = name;
      values[n] = value;
      n++;
    }
    return Labels.sortedCopy(names, values, n);
  }

  private static Labels fromBuilder(LabelSet.Builder b) {
    LabelSet ls = b.build();
    String[] names = new String[ls.size()];
    String[] values = new String[ls.size()];
    for (int i = 0; i < ls.size(); i++) {
      names[i] = ls.name(i);
      values[i] = ls.value(i);
    }
    return Labels.sortedCopy(names, values, ls.size());
  }
}

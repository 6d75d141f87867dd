package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.sluice.core.Batch;
import io.sluice.core.Component;
import io.sluice.core.ComponentContext;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.StateHandover;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.FileSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.StaticConfig;
import io.sluice.receiver.prometheus.Targets.Group;
import io.sluice.receiver.prometheus.Targets.Target;
import io.sluice.translation.prometheus.relabel.Relabeler;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code prometheus} receiver: one {@link ScrapeLoop} per target of every job, all on this
 * receiver's own context. Targets come from {@code static_configs}, {@code file_sd_configs} and
 * {@code http_sd_configs}; a target that goes away (a file or the discovery URL's answer changed)
 * or the receiver shutting down writes stale markers for all its series, as Prometheus does.
 */
final class PrometheusReceiver implements Receiver, StateHandover {
  private static final Logger log = LoggerFactory.getLogger(PrometheusReceiver.class);
  /** How often target files are checked for changes, at most; they are re-read on change. */
  static final long FILE_SD_CHECK_MS = 5_000;
  /**
   * Least time shutdown waits for the final stale markers to be acknowledged; it waits as long
   * as the longest scrape timeout when that is longer.
   */
  static final Duration MIN_FINAL_ACK_WAIT = Duration.ofSeconds(1);

  private final ComponentContext ctx;
  private final PrometheusReceiverConfig config;
  private final Consumer next;
  private final Vertx vertx;
  private final ContextInternal context;
  private final ReceiverMetrics metrics;
  private final RateLimitedLog refusedLog = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
  private final String id;
  /** Every target's loop while it is scraped, for the target gauges (read from the scraping thread). */
  private final Set<ScrapeLoop> scraped = ConcurrentHashMap.newKeySet();

  // touched only on the context
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private Offload worker;
  private boolean running;
  /** Counts starts, so that a start overtaken by shutdown and a new start does nothing. */
  private int starts;

  /** One scrape config at run time. */
  private final class Job {
    final ScrapeConfig sc;
    final HttpClient client;
    final Relabeler targetRelabeler;
    final ScrapeLoop.Settings settings;
    final Map<String, ScrapeLoop> loops = new LinkedHashMap<>();
    /**
     * The target groups each discovery source found when last read, by its key in the scrape
     * config ({@code file_sd_configs[0]}, {@code http_sd_configs[1]}).
     */
    final Map<String, List<Group>> discovered = new LinkedHashMap<>();
    /** Of each file_sd_config, by index: the files' fingerprint and when they were last read. */
    final Map<Integer, String> fingerprints = new LinkedHashMap<>();
    final Map<Integer, Long> lastRead = new LinkedHashMap<>();
    final List<HttpSd> httpSds = new ArrayList<>();
    final List<Long> timers = new ArrayList<>();
    /** Why the job's targets are not scraped (over its target_limit); null when they are. */
    String targetLimitError;

    Job(ScrapeConfig sc, ClientSetup http) {
      this.sc = sc;
      client = http.createClient(vertx, "sluice-prometheus-" + sc.jobName(), 64);
      targetRelabeler = Relabeler.compile(sc.relabelConfigs());
      Relabeler metricRelabeler = sc.metricRelabelConfigs().isEmpty() ? null
          : Relabeler.compile(sc.metricRelabelConfigs());
      GlobalConfig global = config.config().global();
      settings = new ScrapeLoop.Settings(id, sc.honorLabels(), sc.honorTimestamps(), sc.sampleLimit(global),
          sc.labelLimit(global), sc.bodySizeLimitBytes(global), metricRelabeler, http, global.externalLabels(),
          sc.labelNameLengthLimit(global), sc.labelValueLengthLimit(global),
          Boolean.TRUE.equals(sc.trackTimestampsStaleness()), sc.extraScrapeMetrics(global, config.reportExtraScrapeMetrics()),
          PromFormats.acceptHeader(sc.protocols(global), sc.escapingScheme(global)), sc.enableCompression(),
          PromFormats.formatOf(sc.fallbackScrapeProtocol()));
    }
  }

  /** The HTTP set-ups of one job, for its scrapes and each of its http_sd_configs. */
  private record Setups(ScrapeConfig sc, ClientSetup scrape, List<ClientSetup> httpSd) {}

  PrometheusReceiver(ComponentContext ctx, PrometheusReceiverConfig config, Map<Signal, Consumer> next) {
    this.ctx = ctx;
    this.config = config;
    this.next = next.get(Signal.METRICS);
    this.vertx = ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.metrics = ctx.metrics().receiver(ctx.id(), "scrape");
    this.id = ctx.id().toString();
    registerTargetGauges(ctx);
  }

  /**
   * Per target: {@code sluice_receiver_scrape_target_up} (1 when its last scrape succeeded),
   * {@code _last_scrape_timestamp_seconds} and {@code _last_error_timestamp_seconds} with the last
   * failure's reason as its {@code error} label (one series per target: the latest failure).
   */
  private void registerTargetGauges(ComponentContext ctx) {
    List<String> labels = List.of("job", "instance");
    targetGauge(ctx, "sluice_receiver_scrape_target_up",
        "1 when the last scrape of a prometheus receiver's target succeeded, 0 when it failed.", labels,
        (sink, t, h) -> sink.set(h.up() ? 1 : 0, t.job(), t.instance()));
    targetGauge(ctx, "sluice_receiver_scrape_target_last_scrape_timestamp_seconds",
        "When the last scrape of a prometheus receiver's target started.", labels,
        (sink, t, h) -> sink.set(h.lastScrapeMs() / 1000.0, t.job(), t.instance()));
    targetGauge(ctx, "sluice_receiver_scrape_target_last_error_timestamp_seconds",
        "When the last failed scrape of a prometheus receiver's target started; its reason is the error label.",
        List.of("job", "instance", "error"), (sink, t, h) -> {
          if (h.lastError() != null) {
            sink.set(h.lastErrorMs() / 1000.0, t.job(), t.instance(), h.lastError());
          }
        });
  }

  /** One sample of a target gauge from a target that has been scraped at least once. */
  private interface TargetSample {
    void add(SelfMetrics.GaugeSink sink, Target target, ScrapeLoop.Health health);
  }

  private void targetGauge(ComponentContext ctx, String name, String help, List<String> labels, TargetSample sample) {
    ctx.metrics().gaugeSource(name, help, labels, ctx.id(), sink -> scraped.forEach(loop -> {
      ScrapeLoop.Health h = loop.health();
      if (h != null) {
        sample.add(sink, loop.target(), h);
      }
    }));
  }

  @Override
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> {
      if (running) {
        started.complete();
        return;
      }
      running = true;
      int generation = ++starts;
      worker = new Offload(vertx.createSharedWorkerExecutor("sluice-prometheus-" + id.replace('/', '-'), 2));
      // Off the event loop: the JVM's first-use costs (see warmUp), and the TLS files. Any job may
      // end up scraping https: relabeling and discovered labels may set __scheme__.
      boolean tls = config.config().scrapeConfigs().stream().anyMatch(sc -> sc.scheme().equalsIgnoreCase("https")
          || !sc.relabelConfigs().isEmpty() || !sc.fileSdConfigs().isEmpty() || !sc.httpSdConfigs().isEmpty());
      worker.run(() -> {
        try {
          warmUp(tls);
        } catch (Exception | LinkageError e) {
          log.debug("Receiver '{}' could not warm up; the first scrapes will be slower", id, e);
        }
        return loadSetups();
      }).onComplete(ar -> {
        if (!running || generation != starts) {
          started.complete(); // shut down (and maybe started again) meanwhile
          return;
        }
        if (ar.failed()) {
          running = false;
          Offload w = worker;
          worker = null;
          w.close();
          String reason = ar.cause().getMessage() != null ? ar.cause().getMessage() : ar.cause().toString();
          log.error("Receiver '{}' cannot start: {}", id, reason);
          started.fail(new IllegalStateException("Receiver '" + id + "' cannot start: " + reason, ar.cause()));
          return;
        }
        try {
          startJobs(ar.result());
          started.complete();
        } catch (RuntimeException e) {
          started.fail(e);
        }
      });
    });
    return started.future();
  }

  /** Classes the first requests of a JVM load on the event loop, unless something loaded them before. */
  private static final List<String> HTTP_CLIENT_CLASSES = List.of(
      "io.vertx.core.http.impl.Http1xClientConnection",
      "io.vertx.core.http.impl.HttpClientRequestImpl",
      "io.vertx.core.http.impl.HttpClientResponseImpl",
      "io.netty.handler.codec.http.HttpClientCodec",
      "io.netty.handler.codec.http.HttpContentDecompressor",
      "io.netty.handler.ssl.SslHandler",
      "io.netty.handler.ssl.JdkSslClientContext",
      "io.vertx.core.spi.tls.DefaultSslContextFactory",
      "io.vertx.core.spi.tls.DefaultJDKCipherSuite",
      "io.vertx.core.internal.pool.SimpleConnectionPool");

  /**
   * Does once, on a worker, what the first scrapes of a JVM would otherwise do on the event loop:
   * each of these steps has been seen to hold a loop for 200-300 ms on a busy machine. Blocking.
   *
   * @param tls also set up the JDK's TLS providers
   */
  static void warmUp(boolean tls) throws Exception {
    // the JDK's datagram channel classes, for Vert.x's DNS resolver
    DatagramChannel.open().close();
    // Netty's pooled allocator, whose first chunk initialises its event classes
    ByteBufAllocator.DEFAULT.directBuffer(1024).release();
    ByteBufAllocator.DEFAULT.heapBuffer(1024).release();
    ClassLoader loader = PrometheusReceiver.class.getClassLoader();
    for (String name : HTTP_CLIENT_CLASSES) {
      try {
        Class.forName(name, true, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        log.debug("Did not preload '{}'", name, e);
      }
    }
    // the request options and headers every scrape and discovery request sets
    new RequestOptions().setAbsoluteURI("http://127.0.0.1/warm-up").setFollowRedirects(true)
        .putHeader(HttpHeaders.AUTHORIZATION, "warm-up").addHeader("X-Warm-Up", "warm-up");
    // the parsers and the converter
    ScrapeLoop.warmUp();
    if (tls) {
      ClientSetup.warmUpTls();
    }
  }

  /**
   * Reads the files of scrape_config_files, and every TLS and credentials file the jobs name
   * (blocking: runs on the worker).
   */
  private List<Setups> loadSetups() {
    List<Setups> setups = new ArrayList<>();
    List<ScrapeConfig> scrapes = new ArrayList<>(config.config().scrapeConfigs());
    List<ConfigProblem> problems = new ArrayList<>();
    List<ScrapeConfig> included = ScrapeConfigFiles.load(config.config(), problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(problems.get(0).path() + ": " + problems.get(0).message());
    }
    scrapes.addAll(included);
    // the keys without effect of the main config were told when the receiver was created
    List<ConfigProblem> warnings = new ArrayList<>();
    for (ScrapeConfig sc : included) {
      PromConfigWarnings.scrape("job '" + sc.jobName() + "' of scrape_config_files", sc, warnings);
    }
    for (ConfigProblem w : warnings) {
      log.warn("Receiver '{}': '{}' {}", id, w.path(), w.message());
    }
    int mainJobs = config.config().scrapeConfigs().size();
    for (int i = 0; i < scrapes.size(); i++) {
      ScrapeConfig sc = scrapes.get(i);
      String p = i < mainJobs ? "config.scrape_configs[" + i + "]" : "job \"" + sc.jobName() + "\" of scrape_config_files";
      ClientSetup scrape = ClientSetup.load(vertx, p, sc, sc.scheme().equalsIgnoreCase("https"), System.getenv());
      List<ClientSetup> sds = new ArrayList<>();
      for (int j = 0; j < sc.httpSdConfigs().size(); j++) {
        HttpSdConfig hs = sc.httpSdConfigs().get(j);
        sds.add(ClientSetup.load(vertx, p + ".http_sd_configs[" + j + "]", hs,
            hs.url().toLowerCase(Locale.ROOT).startsWith("https:"), System.getenv()));
      }
      setups.add(new Setups(sc, scrape, sds));
    }
    return setups;
  }

  private void startJobs(List<Setups> setups) {
    GlobalConfig global = config.config().global();
    int targets = 0;
    int discoveries = 0;
    for (Setups setup : setups) {
      ScrapeConfig sc = setup.sc();
      Job job = new Job(sc, setup.scrape());
      jobs.put(sc.jobName(), job);
      sync(job);
      targets += job.loops.size();
      for (int i = 0; i < sc.fileSdConfigs().size(); i++) {
        int index = i;
        FileSdConfig fs = sc.fileSdConfigs().get(i);
        readFiles(job, index, true);
        long check = Math.max(1, Math.min(FILE_SD_CHECK_MS, fs.refreshInterval().toMillis()));
        job.timers.add(vertx.setPeriodic(check, t -> readFiles(job, index, false)));
        discoveries++;
      }
      for (int i = 0; i < sc.httpSdConfigs().size(); i++) {
        HttpSd sd = new HttpSd(vertx, sc.httpSdConfigs().get(i), setup.httpSd().get(i), worker, id, sc.jobName());
        String source = "http_sd_configs[" + i + "]";
        job.httpSds.add(sd);
        refreshHttp(job, sd, source);
        job.timers.add(vertx.setPeriodic(Math.max(1, sd.config().refreshInterval().toMillis()),
            t -> refreshHttp(job, sd, source)));
        discoveries++;
      }
    }
    log.info("Receiver '{}' started: {} scrape jobs, {} static targets, {} service discovery configs"
        + " (global scrape_interval {})", id, jobs.size(), targets, discoveries,
        PromFormats.formatDuration(global.interval()));
  }

  private boolean current(Job job) {
    return running && jobs.get(job.sc.jobName()) == job;
  }

  /** Fetches a job's targets from one http_sd URL and updates the job's targets when they changed. */
  private void refreshHttp(Job job, HttpSd sd, String source) {
    if (!current(job)) {
      return;
    }
    sd.refresh().onSuccess(groups -> {
      if (groups == null || !current(job) || groups.equals(job.discovered.get(source))) {
        return;
      }
      job.discovered.put(source, groups);
      sync(job);
    });
  }

  /**
   * Reads a job's target files on a worker when they changed or their refresh interval passed,
   * then updates the job's targets.
   */
  private void readFiles(Job job, int index, boolean force) {
    if (!current(job)) {
      return;
    }
    FileSdConfig fs = job.sc.fileSdConfigs().get(index);
    long now = System.currentTimeMillis();
    Long last = job.lastRead.get(index);
    boolean due = force || last == null || now - last >= fs.refreshInterval().toMillis();
    String known = job.fingerprints.get(index);
    worker.<FileSd.Snapshot>run(() -> {
      if (!due && FileSd.fingerprint(fs.files()).equals(known)) {
        return null;
      }
      return FileSd.read(fs.files());
    }).onComplete(ar -> {
      if (!current(job)) {
        return;
      }
      if (ar.failed()) {
        log.warn("Receiver '{}' could not read the target files {} of job '{}'", id, fs.files(),
            job.sc.jobName(), ar.cause());
        return;
      }
      FileSd.Snapshot snapshot = ar.result();
      if (snapshot == null) {
        return;
      }
      for (String problem : snapshot.problems()) {
        log.warn("Receiver '{}' skipped a target file of job '{}': {}", id, job.sc.jobName(), problem);
      }
      job.lastRead.put(index, now);
      job.fingerprints.put(index, snapshot.fingerprint());
      job.discovered.put("file_sd_configs[" + index + "]", snapshot.groups());
      sync(job);
    });
  }

  /** Brings a job's scrape loops in line with its static and discovered targets. */
  private void sync(Job job) {
    GlobalConfig global = config.config().global();
    Map<String, Target> wanted = new LinkedHashMap<>();
    for (StaticConfig st : job.sc.staticConfigs()) {
      for (String address : st.targets()) {
        add(wanted, Targets.build(address, st.labels(), job.sc, global, job.targetRelabeler));
      }
    }
    for (List<Group> groups : job.discovered.values()) {
      for (Group g : groups) {
        for (String address : g.targets()) {
          add(wanted, Targets.build(address, g.labels(), job.sc, global, job.targetRelabeler));
        }
      }
    }
    List<Future<ResourceMetrics>> stale = new ArrayList<>();
    job.loops.entrySet().removeIf(e -> {
      if (wanted.containsKey(e.getKey())) {
        return false;
      }
      log.info("Receiver '{}' stopped scraping target '{}' of job '{}'", id, e.getValue().target().url(),
          job.sc.jobName());
      stale.add(e.getValue().stop());
      scraped.remove(e.getValue());
      return true;
    });
    long targetLimit = job.sc.targetLimit(global);
    String forced = targetLimit > 0 && wanted.size() > targetLimit ? "target_limit exceeded (number of targets: "
        + wanted.size() + ", limit: " + targetLimit + ")" : null;
    if (forced != null && !forced.equals(job.targetLimitError)) {
      log.warn("Receiver '{}': job '{}' has {} targets, more than its target_limit {}; they are not scraped and"
          + " report up 0", id, job.sc.jobName(), wanted.size(), targetLimit);
    }
    job.targetLimitError = forced;
    for (Map.Entry<String, Target> e : wanted.entrySet()) {
      ScrapeLoop loop = job.loops.get(e.getKey());
      if (loop == null) {
        loop = new ScrapeLoop(vertx, job.client, worker, e.getValue(), job.settings, this::push);
        loop.forceError(forced);
        job.loops.put(e.getKey(), loop);
        scraped.add(loop);
        loop.start();
        log.debug("Receiver '{}' scrapes target '{}' of job '{}'", id, e.getValue().url(), job.sc.jobName());
      } else {
        loop.forceError(forced);
      }
    }
    pushAll(stale);
  }

  /** Pushes the stale markers of stopped targets, in one batch, once they are built. */
  private Future<Void> pushAll(List<Future<ResourceMetrics>> stale) {
    if (stale.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.join(stale).transform(ar -> {
      List<ResourceMetrics> resources = new ArrayList<>();
      for (Future<ResourceMetrics> f : stale) {
        if (f.succeeded() && f.result() != null) {
          resources.add(f.result());
        } else if (f.failed()) {
          log.warn("Receiver '{}' could not build stale markers for a stopped target", id, f.cause());
        }
      }
      return resources.isEmpty() ? Future.succeededFuture() : push(resources);
    });
  }

  private static void add(Map<String, Target> wanted, Target t) {
    if (t != null) {
      wanted.putIfAbsent(t.key(), t);
    }
  }

  private void push(ResourceMetrics rm) {
    push(List.of(rm));
  }

  private Future<Void> push(List<ResourceMetrics> resources) {
    if (next == null) {
      return Future.succeededFuture();
    }
    Batch batch = Batch.metrics(resources, Envelope.of(ctx.id()));
    int items = batch.itemCount();
    Future<Void> f;
    try {
      f = next.consume(batch);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.andThen(ar -> {
      if (ar.succeeded()) {
        metrics.accepted(Signal.METRICS, items);
      } else {
        metrics.refused(Signal.METRICS, items);
        refusedLog.log("Receiver '{}' could not hand on {} scraped points: {}", id, items,
            String.valueOf(ar.cause()));
      }
    });
  }

  /**
   * On a reload that changed this receiver's config: takes over the scrape jobs configured the
   * same way in both (same scrape config and global settings). The old receiver stops their loops
   * without stale markers, and this receiver's loops of the same targets carry on from the series
   * they had, so a job the reload did not touch keeps its series.
   */
  @Override
  public Future<Void> takeOverFrom(Component predecessor) {
    if (!(predecessor instanceof PrometheusReceiver old) || old == this || !sameOutsideJobs(old.config, config)) {
      return Future.succeededFuture();
    }
    Promise<Map<String, ScrapeConfig>> mine = Promise.promise();
    context.runOnContext(v -> {
      Map<String, ScrapeConfig> same = new LinkedHashMap<>();
      jobs.forEach((name, job) -> same.put(name, job.sc));
      mine.complete(same);
    });
    return mine.future()
        .compose(old::handOver)
        .compose(handedOver -> {
          Promise<Void> done = Promise.promise();
          context.runOnContext(v -> {
            int n = 0;
            for (Map.Entry<String, Map<String, ScrapeLoop.HandedOver>> e : handedOver.entrySet()) {
              Job job = jobs.get(e.getKey());
              if (job == null) {
                continue;
              }
              for (Map.Entry<String, ScrapeLoop.HandedOver> t : e.getValue().entrySet()) {
                ScrapeLoop loop = job.loops.get(t.getKey());
                if (loop != null) {
                  loop.inherit(t.getValue());
                  n++;
                }
              }
            }
            log.info("Receiver '{}' took over {} scrape jobs ({} targets) from its previous config", id,
                handedOver.size(), n);
            done.complete();
          });
          return done.future();
        });
  }

  /** True when everything but the scrape jobs is configured the same way. */
  private static boolean sameOutsideJobs(PrometheusReceiverConfig a, PrometheusReceiverConfig b) {
    return a.config().global().equals(b.config().global())
        && Objects.equals(a.trimMetricSuffixes(), b.trimMetricSuffixes())
        && Objects.equals(a.useStartTimeMetric(), b.useStartTimeMetric())
        && Objects.equals(a.startTimeMetricRegex(), b.startTimeMetricRegex())
        && Objects.equals(a.reportExtraScrapeMetrics(), b.reportExtraScrapeMetrics());
  }

  /**
   * Gives the jobs of {@code wanted} that this receiver runs with the same scrape config to the
   * receiver replacing it: stops their loops without stale markers and lets the jobs go. The
   * series of each target, by job and target.
   */
  private Future<Map<String, Map<String, ScrapeLoop.HandedOver>>> handOver(Map<String, ScrapeConfig> wanted) {
    Promise<Map<String, Map<String, ScrapeLoop.HandedOver>>> out = Promise.promise();
    context.runOnContext(v -> {
      Map<String, Map<String, ScrapeLoop.HandedOver>> handed = new LinkedHashMap<>();
      if (!running) {
        out.complete(handed);
        return;
      }
      List<Future<Void>> closing = new ArrayList<>();
      for (Map.Entry<String, ScrapeConfig> e : wanted.entrySet()) {
        Job job = jobs.get(e.getKey());
        if (job == null || !job.sc.equals(e.getValue())) {
          continue;
        }
        jobs.remove(e.getKey());
        job.timers.forEach(vertx::cancelTimer);
        job.httpSds.forEach(HttpSd::stop);
        Map<String, ScrapeLoop.HandedOver> loops = new LinkedHashMap<>();
        job.loops.forEach((key, loop) -> loops.put(key, loop.handOver()));
        handed.put(e.getKey(), loops);
        closing.add(job.client.close());
        job.httpSds.forEach(sd -> closing.add(sd.close()));
      }
      Future.join(closing).onComplete(x -> out.complete(handed));
    });
    return out.future();
  }

  @Override
  public Future<Void> shutdown() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (!running) {
        done.complete();
        return;
      }
      running = false;
      List<Future<ResourceMetrics>> stale = new ArrayList<>();
      List<HttpClient> clients = new ArrayList<>();
      List<HttpSd> sds = new ArrayList<>();
      Duration wait = MIN_FINAL_ACK_WAIT;
      for (Job job : jobs.values()) {
        job.timers.forEach(vertx::cancelTimer);
        job.httpSds.forEach(HttpSd::stop);
        sds.addAll(job.httpSds);
        for (ScrapeLoop loop : job.loops.values()) {
          stale.add(loop.stop());
          scraped.remove(loop);
        }
        clients.add(job.client);
        Duration timeout = job.sc.timeout(config.config().global());
        if (timeout.compareTo(wait) > 0) {
          wait = timeout;
        }
      }
      jobs.clear();
      Offload w = worker;
      worker = null;
      awaitFinalAck(pushAll(stale), wait).onComplete(ar -> {
        List<Future<Void>> closing = new ArrayList<>();
        clients.forEach(c -> closing.add(c.close()));
        sds.forEach(sd -> closing.add(sd.close()));
        if (w != null) {
          closing.add(w.close());
        }
        Future.join(closing).onComplete(x -> {
          log.info("Receiver '{}' stopped", id);
          done.complete();
        });
      });
    });
    return done.future();
  }

  /**
   * Completes when the final stale markers are handed on and acknowledged (or refused), or when
   * {@code wait} has passed: a consumer that never answers must not hold shutdown up.
   */
  private Future<Void> awaitFinalAck(Future<Void> flushed, Duration wait) {
    if (flushed.isComplete()) {
      return context.succeededFuture();
    }
    // settled on this receiver's context, whichever thread the consumer answers on
    Promise<Void> settled = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, wait.toMillis()), t -> {
      if (!settled.future().isComplete()) {
        log.warn("Receiver '{}' stopped waiting after {} for the downstream consumer to acknowledge the final"
            + " stale markers; they may be lost", id, PromFormats.formatDuration(wait));
        settled.complete();
      }
    });
    flushed.onComplete(ar -> context.runOnContext(v -> {
      vertx.cancelTimer(timer);
      settled.tryComplete();
    }));
    return settled.future();
  }
}

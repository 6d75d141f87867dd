package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.FileSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.StaticConfig;
import io.sluice.receiver.prometheus.Targets.Target;
import io.sluice.translation.prometheus.relabel.Relabeler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.PemTrustOptions;
import java.nio.channels.DatagramChannel;
import javax.net.ssl.SSLContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code prometheus} receiver: one {@link ScrapeLoop} per target of every job, all on this
 * receiver's own context. Targets come from {@code static_configs} and {@code file_sd_configs};
 * a target that goes away (a file changed) or the receiver shutting down writes stale markers for
 * all its series, as Prometheus does.
 */
final class PrometheusReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(PrometheusReceiver.class);
  /** How often target files are checked for changes, at most; they are re-read on change. */
  static final long FILE_SD_CHECK_MS = 5_000;

  private final ComponentContext ctx;
  private final PrometheusReceiverConfig config;
  private final Consumer next;
  private final Vertx vertx;
  private final ContextInternal context;
  private final ReceiverMetrics metrics;
  private final RateLimitedLog refusedLog = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
  private final String id;

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
    /** Groups found by each file_sd_config, by its index. */
    final Map<Integer, List<FileSd.Group>> fileGroups = new LinkedHashMap<>();
    final Map<Integer, String> fingerprints = new LinkedHashMap<>();
    final Map<Integer, Long> lastRead = new LinkedHashMap<>();
    final List<Long> timers = new ArrayList<>();

    Job(ScrapeConfig sc) {
      this.sc = sc;
      HttpClientOptions options = new HttpClientOptions()
          .setDecompressionSupported(true)
          .setKeepAlive(true)
          .setName("sluice-prometheus-" + sc.jobName());
      if (sc.tlsConfig() != null) {
        if (sc.tlsConfig().insecureSkipVerify()) {
          options.setTrustAll(true).setVerifyHost(false);
        }
        if (!sc.tlsConfig().caFile().isEmpty()) {
          options.setTrustOptions(new PemTrustOptions().addCertPath(sc.tlsConfig().caFile()));
        }
      }
      client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(64));
      targetRelabeler = Relabeler.compile(sc.relabelConfigs());
      Relabeler metricRelabeler = sc.metricRelabelConfigs().isEmpty() ? null
          : Relabeler.compile(sc.metricRelabelConfigs());
      String authorization = null;
      if (sc.basicAuth() != null) {
        authorization = "Basic " + Base64.getEncoder().encodeToString(
            (sc.basicAuth().username() + ":" + sc.basicAuth().password()).getBytes(StandardCharsets.UTF_8));
      } else if (sc.authorization() != null) {
        authorization = sc.authorization().type() + " " + sc.authorization().credentials();
      }
      settings = new ScrapeLoop.Settings(id, sc.honorLabels(), sc.honorTimestamps(), sc.sampleLimit(),
          sc.labelLimit(), sc.bodySizeLimitBytes(), metricRelabeler, authorization,
          config.config().global().externalLabels(), config.reportExtraScrapeMetrics());
    }
  }

  PrometheusReceiver(ComponentContext ctx, PrometheusReceiverConfig config, Map<Signal, Consumer> next) {
    this.ctx = ctx;
    this.config = config;
    this.next = next.get(Signal.METRICS);
    this.vertx = ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.metrics = ctx.metrics().receiver(ctx.id(), "scrape");
    this.id = ctx.id().toString();
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
      // The first outbound connection of a JVM initialises the JDK's datagram channel classes (for
      // Vert.x's DNS resolver), and the first TLS one its TLS providers; each takes a few hundred
      // ms on a busy machine: do that here, off the event loop, rather than in the first scrapes.
      // (relabeling may set __scheme__ to https too)
      boolean tls = config.config().scrapeConfigs().stream()
          .anyMatch(sc -> sc.scheme().equalsIgnoreCase("https") || !sc.relabelConfigs().isEmpty());
      worker.run(() -> {
        DatagramChannel.open().close();
        if (tls) {
          SSLContext ssl = SSLContext.getInstance("TLS");
          ssl.init(null, null, null);
          ssl.createSSLEngine().getSupportedCipherSuites();
        }
        return null;
      }).onComplete(warm -> {
        if (!running || generation != starts) {
          started.complete(); // shut down (and maybe started again) meanwhile
          return;
        }
        try {
          startJobs();
          started.complete();
        } catch (RuntimeException e) {
          started.fail(e);
        }
      });
    });
    return started.future();
  }

  private void startJobs() {
    GlobalConfig global = config.config().global();
    int targets = 0;
    for (ScrapeConfig sc : config.config().scrapeConfigs()) {
      Job job = new Job(sc);
      jobs.put(sc.jobName(), job);
      sync(job);
      targets += job.loops.size();
      for (int i = 0; i < sc.fileSdConfigs().size(); i++) {
        int index = i;
        FileSdConfig fs = sc.fileSdConfigs().get(i);
        readFiles(job, index, true);
        long check = Math.max(1, Math.min(FILE_SD_CHECK_MS, fs.refreshInterval().toMillis()));
        job.timers.add(vertx.setPeriodic(check, t -> readFiles(job, index, false)));
      }
    }
    log.info("Receiver '{}' started: {} scrape jobs, {} static targets (global scrape_interval {})", id,
        jobs.size(), targets, PrometheusReceiverConfig.GoDuration.format(global.scrapeInterval()));
  }

  /**
   * Reads a job's target files on a worker when they changed or their refresh interval passed,
   * then updates the job's targets.
   */
  private void readFiles(Job job, int index, boolean force) {
    if (!running || jobs.get(job.sc.jobName()) != job) {
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
      if (!running || jobs.get(job.sc.jobName()) != job) {
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
      job.fileGroups.put(index, snapshot.groups());
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
    for (List<FileSd.Group> groups : job.fileGroups.values()) {
      for (FileSd.Group g : groups) {
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
      return true;
    });
    for (Map.Entry<String, Target> e : wanted.entrySet()) {
      if (!job.loops.containsKey(e.getKey())) {
        ScrapeLoop loop = new ScrapeLoop(vertx, job.client, worker, e.getValue(), job.settings,
            this::push);
        job.loops.put(e.getKey(), loop);
        loop.start();
        log.debug("Receiver '{}' scrapes target '{}' of job '{}'", id, e.getValue().url(), job.sc.jobName());
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
      for (Job job : jobs.values()) {
        job.timers.forEach(vertx::cancelTimer);
        for (ScrapeLoop loop : job.loops.values()) {
          stale.add(loop.stop());
        }
        clients.add(job.client);
      }
      jobs.clear();
      Future<Void> flushed = pushAll(stale);
      Offload w = worker;
      worker = null;
      flushed.recover(e -> Future.succeededFuture()).onComplete(ar -> {
        List<Future<Void>> closing = new ArrayList<>();
        clients.forEach(c -> closing.add(c.close()));
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
}

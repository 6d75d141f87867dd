package io.sluice.exporter.prometheusremotewrite;

import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RequestRetrier;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.translation.prometheus.otlp.PromMetadata;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Remote write's sending shards, as Prometheus has them: every series belongs to one shard (by a
 * hash of its labels), each shard sends its requests one after the other, and shards send in
 * parallel. A request is retried at the head of its shard until it is delivered or given up on,
 * so a later request never overtakes it and samples of one series arrive in timestamp order.
 *
 * <p>With {@code max_samples_per_send} a shard gathers series of successive batches into one
 * request until it is full or its oldest sample waited {@code batch_send_deadline}; without it a
 * request is one batch's share of the shard. Either way a request is cut at
 * {@code max_batch_size_bytes}, series are never cut, and every accepted batch has a
 * {@link Tracker} that fires once each request holding its series is done.
 *
 * <p>With {@code max_shards} above {@code min_shards} the shard count follows the load, as
 * Prometheus computes it: each update period the rates of samples in and out (moving averages)
 * and the time sending takes per sample give the shards needed to keep up, plus a share of the
 * backlog. To reshard, new batches are held back while the old shards send everything they
 * hold; then the shards are rebuilt and the held batches go out, so no series is ever in two
 * shards at once.
 *
 * <p>Each request goes through the exporter helper's {@link RequestRetrier}: {@code
 * retry_on_failure} and {@code timeout} as for every exporter, sent and failed items counted per
 * request. Everything runs on the exporter's context.
 */
final class Shards {
  private static final Logger LOG = LoggerFactory.getLogger(Shards.class);
  /** How often the shard count is reconsidered, as in Prometheus. */
  static final Duration DEFAULT_UPDATE_PERIOD = Duration.ofSeconds(10);
  /** Weight of the newest period in the moving averages of the rates. */
  private static final double RATE_WEIGHT = 0.2;
  /** A new shard count must differ by more than this fraction from the current one. */
  private static final double TOLERANCE = 0.3;
  /** The share of the backlog to catch up on per second. */
  private static final double CATCH_UP = 0.05;

  /**
   * How many shards there are and how they cut requests.
   *
   * @param minShards the count to start with, and the fewest
   * @param maxShards the most; equal to {@code minShards} for a fixed count
   * @param maxSamplesPerSend samples one request gathers at most; 0 sends each batch's share as it comes
   * @param batchSendDeadline how long a sample waits for its request to fill up
   * @param maxBatchSizeBytes the largest request (uncompressed, as 1.0 measures it); 0 for no limit
   */
  record Settings(int minShards, int maxShards, int maxSamplesPerSend, Duration batchSendDeadline,
      long maxBatchSizeBytes) {
    static Settings fixed(int shards, long maxBatchSizeBytes) {
      return new Settings(shards, shards, 0, Duration.ofSeconds(5), maxBatchSizeBytes);
    }

    boolean dynamic() {
      return maxShards > minShards;
    }
  }

  /** One request: the series of one shard (or a slice of them), with the items it stands for. */
  record Part(int shard, PromWriteData data, long items) {
  }

  /** Counts down the parts of one batch; calls {@code done} once, with the first failure or null. */
  static final class Tracker {
    private int remaining;
    private Throwable failure;
    private final Consumer<Throwable> done;

    Tracker(int parts, Consumer<Throwable> done) {
      this.remaining = parts;
      this.done = done;
    }

    /** One part became two: some of its series go in one request, the rest in later ones. */
    void split() {
      remaining++;
    }

    void partDone(Throwable err) {
      if (err != null && failure == null) {
        failure = err;
      }
      if (--remaining == 0) {
        done.accept(failure);
      }
    }
  }

  /** A part in its shard's queue; series before {@code next} have gone into requests already. */
  private static final class Queued {
    final PromWriteData data;
    final Tracker tracker;
    final long arrivedNanos;
    int next;
    long items;
    long samples;

    Queued(PromWriteData data, long items, Tracker tracker, long arrivedNanos) {
      this.data = data;
      this.items = items;
      this.tracker = tracker;
      this.arrivedNanos = arrivedNanos;
      this.samples = samplesOf(data);
    }
  }

  /** What one request holds of one queued part. */
  private record Taken(Tracker tracker, long items) {
  }

  /** A batch accepted while resharding: it is cut for the new shards once they are in place. */
  private record Held(PromWriteData data, long items, long samples, Consumer<Throwable> done, long arrivedNanos) {
  }

  private static final class Shard {
    final int index;
    final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Samples in the queue not yet taken into a request. */
    long samples;
    boolean busy;
    long deadlineTimer = -1;

    Shard(int index) {
      this.index = index;
    }
  }

  /** A moving average of a rate per second, updated once per period. */
  private static final class Rate {
    private double perSecond;
    private boolean started;
    private double pending;

    void add(double amount) {
      pending += amount;
    }

    void tick(double seconds) {
      double now = pending / seconds;
      pending = 0;
      if (started) {
        perSecond += RATE_WEIGHT * (now - perSecond);
      } else if (now > 0) {
        started = true;
        perSecond = now;
      }
    }

    double perSecond() {
      return perSecond;
    }
  }

  private final String id;
  private final ContextInternal context;
  private final RemoteWrite1Encoder sizes;
  private final Settings settings;
  private final Duration updatePeriod;
  private final RequestRetrier retrier;
  private final Function<PromWriteData, Future<Void>> sender;
  private final Runnable onIdle;
  private final RateLimitedLog skipLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  private Shard[] shards;
  /** The count being switched to while the old shards drain; 0 when not resharding. */
  private int target;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private long heldSamples;
  private volatile int current;
  /** Parts (and pieces of parts) queued or in flight. */
  private int pending;
  private boolean flushing;
  private long updateTimer = -1;

  private final Rate samplesIn = new Rate();
  private final Rate samplesOut = new Rate();
  private final Rate samplesFailed = new Rate();
  /** Seconds spent sending per second, summed over the shards. */
  private final Rate sendSeconds = new Rate();
  private long lastTickNanos = System.nanoTime();
  private long lastSuccessNanos = System.nanoTime();
  private boolean failedSinceSuccess;

  /** A fixed number of shards, each request one batch's share of a shard; for tests of the partitioning. */
  Shards(String id, ContextInternal context, int count, RetrySettings retry, Duration timeout,
      SelfMetrics.ExporterMetrics metrics, Function<PromWriteData, Future<Void>> sender, Runnable onIdle) {
    this(id, context, Settings.fixed(count, 0), DEFAULT_UPDATE_PERIOD, retry, timeout, metrics, sender, onIdle,
        new RemoteWrite1Encoder());
  }

  /** @param sizes measures series as requests will carry them (the exporter's 1.0 encoder) */
  Shards(String id, ContextInternal context, Settings settings, Duration updatePeriod, RetrySettings retry,
      Duration timeout, SelfMetrics.ExporterMetrics metrics, Function<PromWriteData, Future<Void>> sender,
      Runnable onIdle, RemoteWrite1Encoder sizes) {
    this.id = id;
    this.sizes = sizes;
    this.context = context;
    this.settings = settings;
    this.updatePeriod = updatePeriod;
    this.retrier = new RequestRetrier(id, context, retry, timeout, metrics);
    this.sender = sender;
    this.onIdle = onIdle;
    this.shards = newShards(settings.minShards());
    this.current = shards.length;
  }

  private static Shard[] newShards(int count) {
    Shard[] s = new Shard[count];
    for (int i = 0; i < count; i++) {
      s[i] = new Shard(i);
    }
    return s;
  }

  private static long samplesOf(PromWriteData data) {
    return data.sampleCount() + data.histogramCount();
  }

  private static long samplesOf(PromSeries s) {
    return s.sampleCount() + s.histograms().size();
  }

  /** The shards in use now; safe from any thread. */
  int count() {
    return current;
  }

  /** The most shards there can be, so the most requests in flight at once. */
  int maxCount() {
    return settings.maxShards();
  }

  /** Parts of batches queued or in flight. */
  int pending() {
    return pending;
  }

  boolean idle() {
    return pending == 0 && held.isEmpty();
  }

  /** Starts taking batches (again): the shard count is reconsidered every update period when it may change. */
  void start() {
    flushing = false;
    if (settings.dynamic() && updateTimer < 0) {
      lastTickNanos = System.nanoTime();
      lastSuccessNanos = lastTickNanos;
      updateTimer = context.setPeriodic(Math.max(1, updatePeriod.toMillis()), t -> updateShards());
    }
  }

  /** For shutdown: everything queued goes out now, without waiting for requests to fill up. */
  void flush() {
    flushing = true;
    if (updateTimer >= 0) {
      context.owner().cancelTimer(updateTimer);
      updateTimer = -1;
    }
    for (Shard s : shards) {
      pump(s);
    }
  }

  /** The shard of a series: a well-mixed hash of its labels, so equal label sets always meet. */
  static int shardOf(PromSeries s, int count) {
    int h = s.hashCode() * 0x9E3779B9;
    h ^= h >>> 16;
    return Math.floorMod(h, count);
  }

  /**
   * Takes one accepted batch: cut for the shards and queued behind what they hold, or held back
   * while resharding. {@code done} is called once every request holding its series is done, with
   * the first failure or null.
   */
  void submit(PromWriteData data, long items, Consumer<Throwable> done) {
    long samples = samplesOf(data);
    samplesIn.add(samples);
    if (target != 0) {
      held.add(new Held(data, items, samples, done, System.nanoTime()));
      heldSamples += samples;
      return;
    }
    distribute(data, items, done, System.nanoTime());
  }

  private void distribute(PromWriteData data, long items, Consumer<Throwable> done, long arrivedNanos) {
    List<Part> parts = partition(data, settings.maxBatchSizeBytes(), items);
    if (parts.isEmpty()) {
      done.accept(null);
      return;
    }
    Tracker tracker = new Tracker(parts.size(), done);
    for (Part p : parts) {
      Shard s = shards[p.shard()];
      Queued q = new Queued(p.data(), p.items(), tracker, arrivedNanos);
      s.queue.add(q);
      s.samples += q.samples;
      pending++;
    }
    for (Part p : parts) {
      pump(shards[p.shard()]);
    }
  }

  /**
   * Cuts translated data into requests: series grouped by shard (in their order), each group cut
   * to {@code maxBytes}, each request carrying the metadata of its own families. The batch's
   * {@code items} are spread over the requests by sample count, so the counts add up to them.
   */
  List<Part> partition(PromWriteData data, long maxBytes, long items) {
    if (data.series().isEmpty()) {
      return List.of();
    }
    int n = shards.length;
    List<PromWriteData> perShard = new ArrayList<>(n);
    if (n == 1) {
      perShard.add(new PromWriteData(data.series(), data.metadata(), Map.of()));
    } else {
      List<List<PromSeries>> groups = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        groups.add(new ArrayList<>());
      }
      for (PromSeries s : data.series()) {
        groups.get(shardOf(s, n)).add(s);
      }
      for (List<PromSeries> g : groups) {
        perShard.add(g.isEmpty() ? null : new PromWriteData(g, metadataOf(g), Map.of()));
      }
    }
    List<Part> parts = new ArrayList<>();
    long total = Math.max(1, samplesOf(data));
    long cumulative = 0;
    long assigned = 0;
    for (int shard = 0; shard < n; shard++) {
      PromWriteData d = perShard.get(shard);
      if (d == null) {
        continue;
      }
      for (PromWriteData slice : sizes.split(d, maxBytes)) {
        cumulative += samplesOf(slice);
        long upTo = items * Math.min(cumulative, total) / total;
        parts.add(new Part(shard, slice, upTo - assigned));
        assigned = upTo;
      }
    }
    if (assigned < items && !parts.isEmpty()) {
      Part last = parts.remove(parts.size() - 1);
      parts.add(new Part(last.shard(), last.data(), last.items() + items - assigned));
    }
    return parts;
  }

  private static List<PromMetadata> metadataOf(List<PromSeries> series) {
    Set<PromMetadata> md = new LinkedHashSet<>();
    PromMetadata last = null;
    for (PromSeries s : series) {
      PromMetadata m = s.metadata();
      // the series of a family come one after the other, with the same metadata object
      if (m != null && m != last) {
        md.add(m);
        last = m;
      }
    }
    return List.copyOf(md);
  }

  /** Sends the shard's next request when it has none in flight and one is due. */
  private void pump(Shard s) {
    if (s.index >= shards.length || shards[s.index] != s || s.busy || s.queue.isEmpty()) {
      return;
    }
    int max = settings.maxSamplesPerSend();
    if (max <= 0) {
      Queued q = s.queue.poll();
      s.samples -= q.samples;
      send(s, q.data, q.samples, q.items, List.of(new Taken(q.tracker, q.items)));
      return;
    }
    long now = System.nanoTime();
    long waitNanos = s.queue.peek().arrivedNanos + settings.batchSendDeadline().toNanos() - now;
    if (!flushing && target == 0 && s.samples < max && waitNanos > 0) {
      if (s.deadlineTimer < 0) {
        s.deadlineTimer = context.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1), t -> {
          s.deadlineTimer = -1;
          pump(s);
        });
      }
      return;
    }
    if (s.deadlineTimer >= 0) {
      context.owner().cancelTimer(s.deadlineTimer);
      s.deadlineTimer = -1;
    }
    gatherAndSend(s, max);
  }

  /**
   * Takes series from the head of the shard's queue, in order, until the next one would bring the
   * request above {@code max} samples or {@code max_batch_size_bytes}; a first series larger than
   * that goes alone. A part only partly taken stays at the head with the rest of its series.
   */
  private void gatherAndSend(Shard s, int max) {
    long maxBytes = settings.maxBatchSizeBytes();
    List<PromSeries> series = new ArrayList<>();
    List<Taken> taken = new ArrayList<>();
    long samples = 0;
    long bytes = 0;
    long items = 0;
    while (!s.queue.isEmpty()) {
      Queued q = s.queue.peek();
      List<PromSeries> qs = q.data.series();
      int i = q.next;
      long fromThis = 0;
      boolean full = false;
      for (; i < qs.size(); i++) {
        PromSeries x = qs.get(i);
        long n = samplesOf(x);
        long b = maxBytes > 0 ? sizes.framedSeriesSize(x) : 0;
        if (!series.isEmpty() && (samples + n > max || (maxBytes > 0 && bytes + b > maxBytes))) {
          full = true;
          break;
        }
        series.add(x);
        samples += n;
        bytes += b;
        fromThis += n;
      }
      if (!full) {
        s.queue.poll();
        s.samples -= q.samples;
        taken.add(new Taken(q.tracker, q.items));
        items += q.items;
        if (samples >= max) {
          break;
        }
        continue;
      }
      if (i > q.next) {
        long share = q.samples == 0 ? 0 : q.items * fromThis / q.samples;
        q.items -= share;
        q.samples -= fromThis;
        s.samples -= fromThis;
        q.next = i;
        q.tracker.split();
        pending++;
        taken.add(new Taken(q.tracker, share));
        items += share;
      }
      break;
    }
    send(s, new PromWriteData(series, metadataOf(series), Map.of()), samples, items, taken);
  }

  private void send(Shard s, PromWriteData data, long samples, long items, List<Taken> taken) {
    s.busy = true;
    long t0 = System.nanoTime();
    retrier.send(Signal.METRICS, items, "metric points on shard " + s.index, () -> attempt(data))
        .onComplete(ar -> {
          long t1 = System.nanoTime();
          s.busy = false;
          sendSeconds.add((t1 - t0) / 1e9);
          if (ar.succeeded()) {
            samplesOut.add(samples);
          } else {
            samplesFailed.add(samples);
          }
          Throwable err = ar.failed() ? ar.cause() : null;
          for (Taken t : taken) {
            pending--;
            t.tracker().partDone(err);
          }
          if (target != 0) {
            switchWhenDrained();
          }
          // Go on in a later task, so a run of requests that complete at once does not nest.
          context.runOnContext(v -> pump(s));
          if (idle()) {
            onIdle.run();
          }
        });
  }

  /** One attempt; its outcome tells whether sending works, which resharding waits for. */
  private Future<Void> attempt(PromWriteData data) {
    Future<Void> f = sender.apply(data);
    if (f != null) {
      f.onComplete(ar -> {
        if (ContextInternal.current() == context) {
          noteAttempt(ar.succeeded());
        } else {
          context.runOnContext(v -> noteAttempt(ar.succeeded()));
        }
      });
    }
    return f;
  }

  private void noteAttempt(boolean succeeded) {
    if (succeeded) {
      lastSuccessNanos = System.nanoTime();
      failedSinceSuccess = false;
    } else {
      failedSinceSuccess = true;
    }
  }

  // --- dynamic shard count ---

  /** Samples waiting in the shards' queues or held back for a reshard (in flight not counted). */
  private long backlog() {
    long n = heldSamples;
    for (Shard s : shards) {
      n += s.samples;
    }
    return n;
  }

  /** How long the oldest waiting sample has waited, in nanoseconds. */
  private long behindNanos(long now) {
    long oldest = now;
    for (Shard s : shards) {
      Queued q = s.queue.peek();
      if (q != null) {
        oldest = Math.min(oldest, q.arrivedNanos);
      }
    }
    Held h = held.peek();
    if (h != null) {
      oldest = Math.min(oldest, h.arrivedNanos());
    }
    return now - oldest;
  }

  /** Runs every update period: updates the rates and reshards when the count needed moved far enough. */
  private void updateShards() {
    long now = System.nanoTime();
    double seconds = Math.max(1e-3, (now - lastTickNanos) / 1e9);
    lastTickNanos = now;
    samplesIn.tick(seconds);
    samplesOut.tick(seconds);
    samplesFailed.tick(seconds);
    sendSeconds.tick(seconds);
    if (!settings.dynamic() || target != 0 || flushing) {
      return;
    }
    int desired = desiredShards(now);
    if (desired == shards.length) {
      return;
    }
    if (failedSinceSuccess || (backlog() > 0 && now - lastSuccessNanos > updatePeriod.toNanos())) {
      skipLog.log("Exporter '{}' keeps {} shard(s) rather than {}: sending is failing", id, shards.length, desired);
      return;
    }
    reshard(desired);
  }

  /**
   * The shards needed to send what comes in, plus 5 % of the backlog per second, at the time
   * sending has been taking per sample; the current count when that is within 30 %, when nothing
   * was sent lately, or when fewer shards are wanted while the oldest sample waited longer than
   * an update period.
   */
  private int desiredShards(long now) {
    int n = shards.length;
    double out = samplesOut.perSecond();
    if (out <= 0) {
      return n;
    }
    double kept = out / (out + samplesFailed.perSecond());
    double secondsPerSample = sendSeconds.perSecond() / out;
    double wanted = Math.ceil(secondsPerSample * (samplesIn.perSecond() * kept + CATCH_UP * backlog()));
    if (wanted >= n * (1 - TOLERANCE) && wanted <= n * (1 + TOLERANCE)) {
      return n;
    }
    if (wanted < n && behindNanos(now) > updatePeriod.toNanos()) {
      return n;
    }
    return (int) Math.max(settings.minShards(), Math.min(settings.maxShards(), wanted));
  }

  private void reshard(int to) {
    double out = samplesOut.perSecond();
    LOG.info("Exporter '{}' reshards from {} to {} shard(s): {} samples/s in, {} samples/s out, {} ms sending"
        + " per 1000 samples, {} samples waiting", id, shards.length, to, round(samplesIn.perSecond()), round(out),
        round(out <= 0 ? 0 : sendSeconds.perSecond() / out * 1e6), backlog());
    target = to;
    for (Shard s : shards) {
      pump(s);
    }
    switchWhenDrained();
  }

  private static String round(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** Once the old shards hold nothing and send nothing: the new shards take over and get the held batches. */
  private void switchWhenDrained() {
    for (Shard s : shards) {
      if (s.busy || !s.queue.isEmpty()) {
        return;
      }
    }
    for (Shard s : shards) {
      if (s.deadlineTimer >= 0) {
        context.owner().cancelTimer(s.deadlineTimer);
        s.deadlineTimer = -1;
      }
    }
    LOG.debug("Exporter '{}' now sends over {} shard(s); {} batches waited for it", id, target, held.size());
    shards = newShards(target);
    current = target;
    target = 0;
    while (!held.isEmpty()) {
      Held h = held.poll();
      heldSamples -= h.samples();
      distribute(h.data(), h.items(), h.done(), h.arrivedNanos());
    }
  }
}

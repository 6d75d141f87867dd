package io.sluice.exporter.prometheusremotewrite;

import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RequestRetrier;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.telemetry.SelfMetrics;
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
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Remote write's sending shards, as Prometheus has them: every series belongs to one shard (by a
 * hash of its labels), each shard sends its requests one after the other, and shards send in
 * parallel. A request is retried at the head of its shard until it is delivered or given up on,
 * so a later request never overtakes it and samples of one series arrive in timestamp order.
 *
 * <p>Each request goes through the exporter helper's {@link RequestRetrier}: {@code
 * retry_on_failure} and {@code timeout} as for every exporter, sent and failed items counted per
 * request. Everything runs on the exporter's context.
 */
final class Shards {
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

    void partDone(Throwable err) {
      if (err != null && failure == null) {
        failure = err;
      }
      if (--remaining == 0) {
        done.accept(failure);
      }
    }
  }

  private record Queued(Part part, Tracker tracker) {
  }

  private final ContextInternal context;
  private final RequestRetrier retrier;
  private final Function<PromWriteData, Future<Void>> sender;
  private final Runnable onIdle;
  private final ArrayDeque<Queued>[] queues;
  private final boolean[] busy;
  private int pending;

  @SuppressWarnings("unchecked")
  Shards(String id, ContextInternal context, int count, RetrySettings retry, Duration timeout,
      SelfMetrics.ExporterMetrics metrics, Function<PromWriteData, Future<Void>> sender, Runnable onIdle) {
    this.context = context;
    this.retrier = new RequestRetrier(id, context, retry, timeout, metrics);
    this.sender = sender;
    this.onIdle = onIdle;
    this.queues = new ArrayDeque[count];
    this.busy = new boolean[count];
    for (int i = 0; i < count; i++) {
      queues[i] = new ArrayDeque<>();
    }
  }

  int count() {
    return queues.length;
  }

  /** Requests queued or in flight. */
  int pending() {
    return pending;
  }

  boolean idle() {
    return pending == 0;
  }

  /** The shard of a series: a well-mixed hash of its labels, so equal label sets always meet. */
  static int shardOf(PromSeries s, int count) {
    int h = s.hashCode() * 0x9E3779B9;
    h ^= h >>> 16;
    return Math.floorMod(h, count);
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
    int n = queues.length;
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
        Set<PromMetadata> md = new LinkedHashSet<>();
        for (PromSeries s : g) {
          if (s.metadata() != null) {
            md.add(s.metadata());
          }
        }
        perShard.add(g.isEmpty() ? null : new PromWriteData(g, List.copyOf(md), Map.of()));
      }
    }
    List<Part> parts = new ArrayList<>();
    long total = Math.max(1, data.sampleCount() + data.histogramCount());
    long cumulative = 0;
    long assigned = 0;
    for (int shard = 0; shard < n; shard++) {
      PromWriteData d = perShard.get(shard);
      if (d == null) {
        continue;
      }
      for (PromWriteData slice : RemoteWrite1Encoder.split(d, maxBytes)) {
        cumulative += slice.sampleCount() + slice.histogramCount();
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

  /** Queues the parts of one batch behind what their shards already hold, and starts idle shards. */
  void enqueue(List<Part> parts, Tracker tracker) {
    for (Part p : parts) {
      queues[p.shard()].add(new Queued(p, tracker));
      pending++;
    }
    for (Part p : parts) {
      pump(p.shard());
    }
  }

  private void pump(int shard) {
    if (busy[shard]) {
      return;
    }
    Queued q = queues[shard].poll();
    if (q == null) {
      return;
    }
    busy[shard] = true;
    Part part = q.part();
    retrier.send(Signal.METRICS, part.items(), "metric points on shard " + part.shard(),
        () -> sender.apply(part.data())).onComplete(ar -> {
      busy[shard] = false;
      pending--;
      q.tracker().partDone(ar.failed() ? ar.cause() : null);
      // Go on in a later task, so a run of requests that complete at once does not nest.
      context.runOnContext(v -> pump(shard));
      if (pending == 0) {
        onIdle.run();
      }
    });
  }
}

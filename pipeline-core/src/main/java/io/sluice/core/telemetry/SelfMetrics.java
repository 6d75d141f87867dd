package io.sluice.core.telemetry;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.sluice.core.ComponentId;
import io.sluice.core.Signal;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The gateway's own metrics, named as the Collector names its {@code otelcol_*} metrics but with
 * a {@code sluice_} prefix and a {@code signal} label instead of one metric per item kind.
 *
 * <p>Each running gateway has its own registry, so several can share a JVM in tests. Components
 * take their handles once ({@link #receiver}, {@link #exporter}, {@link #processor}) and record
 * per batch; the handles hold their data points, so recording is a lock-free add.
 */
public final class SelfMetrics {
  private static final double[] SIZE_BUCKETS = {
    10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000,
    30000, 50000, 100000
  };
  private static final double[] LATENCY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private final PrometheusRegistry registry;
  private final Counter receiverAccepted;
  private final Counter receiverRefused;
  private final Counter receiverRefusedRequests;
  private final Counter processorIncoming;
  private final Counter processorOutgoing;
  private final Counter processorRefused;
  private final Counter processorDropped;
  private final Counter exporterSent;
  private final Counter exporterSendFailed;
  private final Counter exporterEnqueueFailed;
  private final Counter exporterDropped;
  private final Counter exporterRetried;
  private final Histogram exporterLatency;
  private final Histogram batchSendSize;
  private final Counter batchTimeoutTrigger;
  private final Counter batchSizeTrigger;
  private final Counter queuePersisted;
  private final Counter queueRecovered;
  private final Counter queueCorrupt;
  private final Counter connectorIncoming;
  private final Counter connectorOutgoing;
  private final List<QueueGauge> queues = new CopyOnWriteArrayList<>();
  private final Map<String, Counter> sharedCounters = new ConcurrentHashMap<>();
  private final Map<String, Gauge> sharedGauges = new ConcurrentHashMap<>();
  private final Map<String, Histogram> sharedHistograms = new ConcurrentHashMap<>();
  /** Per gauge of {@link #gaugeSource}: its sources by component id. */
  private final Map<String, Map<String, GaugeSource>> gaugeSources = new ConcurrentHashMap<>();

  private record QueueGauge(String componentId, LongSupplier size, long capacity, QueueContents contents) {}

  /**
   * What an exporter's sending queue holds, in items and encoded bytes, and the most it may hold
   * in each ({@code -1} where it has no such limit); read when the metrics are scraped.
   */
  public interface QueueContents {
    long items();

    long bytes();

    long capacityItems();

    long capacityBytes();
  }

  public SelfMetrics() {
    this(new PrometheusRegistry());
  }

  public SelfMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    receiverAccepted = counter("sluice_receiver_accepted_items",
        "Items (spans, metric points, log records) a receiver pushed into its pipelines and had acknowledged.",
        "component_id", "signal", "transport");
    receiverRefused = counter("sluice_receiver_refused_items",
        "Items a receiver took in but that its pipelines refused; the client was told to retry or that the data is bad.",
        "component_id", "signal", "transport");
    receiverRefusedRequests = counter("sluice_receiver_refused_requests",
        "Requests a receiver refused before reading them, because the requests it already held and the pipeline had"
            + " not acknowledged took its budget of bytes in flight; the client was told to retry.",
        "component_id", "signal", "transport");
    processorIncoming = counter("sluice_processor_incoming_items",
        "Items that entered a processor.", "component_id", "pipeline", "signal");
    processorOutgoing = counter("sluice_processor_outgoing_items",
        "Items that a processor passed on.", "component_id", "pipeline", "signal");
    processorRefused = counter("sluice_processor_refused_items",
        "Items a processor refused with a retryable error (memory limit).", "component_id", "pipeline", "signal");
    processorDropped = counter("sluice_processor_dropped_items",
        "Items a processor dropped on purpose or could not pass on.", "component_id", "pipeline", "signal");
    exporterSent = counter("sluice_exporter_sent_items",
        "Items an exporter delivered to its destination.", "component_id", "signal");
    exporterSendFailed = counter("sluice_exporter_send_failed_items",
        "Items an exporter gave up on: a permanent error or retries exhausted. These are lost.",
        "component_id", "signal");
    exporterEnqueueFailed = counter("sluice_exporter_enqueue_failed_items",
        "Items refused because an exporter's sending queue was full; the sender was told to retry.",
        "component_id", "signal");
    exporterDropped = counter("sluice_exporter_dropped_items",
        "Items an exporter left out because its destination cannot carry them (such as delta or exponential "
            + "histograms for remote write 1.0), by reason. They are not retried.",
        "component_id", "signal", "reason");
    exporterRetried = counter("sluice_exporter_retried_requests",
        "Requests an exporter sent again after a retryable failure (5xx, 429, timeout, refused connection).",
        "component_id", "signal");
    exporterLatency = Histogram.builder()
        .name("sluice_exporter_request_duration_seconds")
        .help("Time from sending one request to its answer, per exporter.")
        .unit(Unit.SECONDS)
        .labelNames("component_id", "signal")
        .classicOnly()
        .classicUpperBounds(LATENCY_BUCKETS)
        .withoutExemplars()
        .register(registry);
    batchSendSize = Histogram.builder()
        .name("sluice_processor_batch_send_size")
        .help("Number of items in the batches the batch processor sent.")
        .labelNames("component_id", "pipeline", "signal")
        .classicOnly()
        .classicUpperBounds(SIZE_BUCKETS)
        .withoutExemplars()
        .register(registry);
    batchTimeoutTrigger = counter("sluice_processor_batch_timeout_trigger_send",
        "Batches sent because the batch processor's timeout expired.", "component_id", "pipeline");
    batchSizeTrigger = counter("sluice_processor_batch_size_trigger_send",
        "Batches sent because they reached send_batch_size.", "component_id", "pipeline");
    GaugeWithCallback.builder()
        .name("sluice_exporter_queue_size")
        .help("Batches waiting in an exporter's sending queue.")
        .labelNames("component_id")
        .callback(cb -> queues.forEach(q -> cb.call(q.size().getAsLong(), q.componentId())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("sluice_exporter_queue_capacity")
        .help("How many batches an exporter's sending queue holds at most.")
        .labelNames("component_id")
        .callback(cb -> queues.forEach(q -> cb.call(q.capacity(), q.componentId())))
        .register(registry);
    queueContentsGauge("sluice_exporter_queue_size_items",
        "Items (spans, metric points, log records) waiting in an exporter's sending queue.", null,
        QueueContents::items);
    queueContentsGauge("sluice_exporter_queue_size_bytes", "Encoded bytes waiting in an exporter's sending queue.",
        Unit.BYTES, QueueContents::bytes);
    queueContentsGauge("sluice_exporter_queue_capacity_items",
        "How many items an exporter's sending queue holds at most (only for queues that count items).", null,
        QueueContents::capacityItems);
    queueContentsGauge("sluice_exporter_queue_capacity_bytes",
        "How many encoded bytes an exporter's sending queue holds at most.", Unit.BYTES, QueueContents::capacityBytes);
    queuePersisted = counter("sluice_exporter_queue_persisted_items",
        "Items an exporter's persistent sending queue wrote to disk before acknowledging them.",
        "component_id", "signal");
    queueRecovered = counter("sluice_exporter_queue_recovered_items",
        "Items an exporter's persistent sending queue found on disk when it started, to be sent again.",
        "component_id", "signal");
    queueCorrupt = counter("sluice_exporter_queue_corrupt_records",
        "Records of an exporter's persistent sending queue that failed their checksum or did not parse; each was"
            + " skipped, removed and logged. Their items are lost.",
        "component_id");
    connectorIncoming = counter("sluice_connector_incoming_items",
        "Items that entered a connector from the pipelines it exports for, by their signal.", "component_id", "signal");
    connectorOutgoing = counter("sluice_connector_outgoing_items",
        "Items a connector passed on to the pipelines it receives for, by their signal.", "component_id", "signal");
    registerProcessMetrics();
  }

  /** A gauge of what exporters' queues hold; a queue with no such figure (negative) has no sample. */
  private void queueContentsGauge(String name, String help, Unit unit, ToLongFunction<QueueContents> value) {
    GaugeWithCallback.Builder b = GaugeWithCallback.builder().name(name).help(help).labelNames("component_id")
        .callback(cb -> queues.forEach(q -> {
          long v = q.contents() == null ? -1 : value.applyAsLong(q.contents());
          if (v >= 0) {
            cb.call(v, q.componentId());
          }
        }));
    if (unit != null) {
      b.unit(unit);
    }
    b.register(registry);
  }

  private Counter counter(String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).withoutExemplars().register(registry);
  }

  private void registerProcessMetrics() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      CounterWithCallback.builder()
          .name("process_cpu_seconds")
          .help("CPU time the gateway's process has used, user and system.")
          .unit(Unit.SECONDS)
          .callback(cb -> cb.call(sun.getProcessCpuTime() / 1e9))
          .register(registry);
    }
    Path status = Path.of("/proc/self/status");
    if (Files.isReadable(status)) {
      GaugeWithCallback.builder()
          .name("process_resident_memory_bytes")
          .help("Resident set size of the gateway's process.")
          .unit(Unit.BYTES)
          .callback(cb -> {
            long rss = ProcessStats.residentBytes();
            if (rss >= 0) {
              cb.call(rss);
            }
          })
          .register(registry);
    }
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    GaugeWithCallback.builder()
        .name("sluice_process_heap_used_bytes")
        .help("Java heap in use.")
        .unit(Unit.BYTES)
        .callback(cb -> cb.call(mem.getHeapMemoryUsage().getUsed()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("sluice_process_heap_max_bytes")
        .help("The most Java heap the gateway may use.")
        .unit(Unit.BYTES)
        .callback(cb -> cb.call(mem.getHeapMemoryUsage().getMax()))
        .register(registry);
  }

  /**
   * A counter that the components of one type share, such as
   * {@code sluice_extension_storage_corrupt_files_total}: registered with the first call and the
   * same counter for every later call with that name. Take label values once, not per item.
   */
  public Counter sharedCounter(String name, String help, String... labelNames) {
    return sharedCounters.computeIfAbsent(name, n -> counter(n, help, labelNames));
  }

  /** A gauge that the components of one type share, as {@link #sharedCounter}. */
  public Gauge sharedGauge(String name, String help, String... labelNames) {
    return sharedGauges.computeIfAbsent(name,
        n -> Gauge.builder().name(n).help(help).labelNames(labelNames).withoutExemplars().register(registry));
  }

  /**
   * A histogram (classic buckets with these upper bounds) that the components of one type share,
   * as {@link #sharedCounter}.
   */
  public Histogram sharedHistogram(String name, String help, double[] upperBounds, String... labelNames) {
    return sharedHistograms.computeIfAbsent(name, n -> Histogram.builder().name(n).help(help).labelNames(labelNames)
        .classicOnly().classicUpperBounds(upperBounds).withoutExemplars().register(registry));
  }

  /**
   * Where a gauge of {@link #gaugeSource} reads one component's samples when the metrics are
   * scraped: {@code sink.set(value, labelValues...)} once per sample, label values in the order of
   * the gauge's label names after {@code component_id}.
   */
  @FunctionalInterface
  public interface GaugeSource {
    void collect(GaugeSink sink);
  }

  /** Takes one sample of a {@link GaugeSource}. */
  @FunctionalInterface
  public interface GaugeSink {
    void set(double value, String... labelValues);
  }

  /**
   * Adds one component's samples to the gauge {@code name} (labels {@code component_id} then
   * {@code labelNames}), read from {@code source} at each scrape: for state that components of one
   * type keep per target, file or partition. The gauge is registered with the first source; a
   * later source for the same component (after a config reload) replaces the earlier one. Read
   * from the scraping thread, so {@code source} reads only state safe to read from any thread.
   */
  public void gaugeSource(String name, String help, List<String> labelNames, ComponentId id, GaugeSource source) {
    gaugeSources.computeIfAbsent(name, n -> {
      Map<String, GaugeSource> sources = new ConcurrentHashMap<>();
      String[] labels = new String[labelNames.size() + 1];
      labels[0] = "component_id";
      for (int i = 0; i < labelNames.size(); i++) {
        labels[i + 1] = labelNames.get(i);
      }
      GaugeWithCallback.builder().name(n).help(help).labelNames(labels)
          .callback(cb -> sources.forEach((component, src) -> src.collect((value, values) -> {
            String[] all = new String[values.length + 1];
            all[0] = component;
            System.arraycopy(values, 0, all, 1, values.length);
            cb.call(value, all);
          })))
          .register(registry);
      return sources;
    }).put(id.toString(), source);
  }

  /** Items every exporter has given up on since the start (the health check's pipeline check). */
  public double exporterSendFailedTotal() {
    double sum = 0;
    for (var dp : exporterSendFailed.collect().getDataPoints()) {
      sum += dp.getValue();
    }
    return sum;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public ReceiverMetrics receiver(ComponentId id, String transport) {
    return new ReceiverMetrics(id.toString(), transport);
  }

  public ExporterMetrics exporter(ComponentId id) {
    return new ExporterMetrics(id.toString());
  }

  public ProcessorMetrics processor(ComponentId id, String pipeline, Signal signal) {
    return new ProcessorMetrics(id.toString(), pipeline, signal);
  }

  /**
   * Reports an exporter's queue as {@code sluice_exporter_queue_size} and {@code _capacity}. A
   * later registration for the same component (after a config reload) replaces the earlier one.
   */
  public synchronized void registerQueue(ComponentId id, LongSupplier size, long capacity) {
    registerQueue(id, size, capacity, null);
  }

  /**
   * Reports an exporter's queue as {@link #registerQueue(ComponentId, LongSupplier, long)} does,
   * and also what it holds in items and bytes ({@code sluice_exporter_queue_size_items},
   * {@code _size_bytes}, {@code _capacity_items}, {@code _capacity_bytes}).
   */
  public synchronized void registerQueue(ComponentId id, LongSupplier size, long capacity, QueueContents contents) {
    String key = id.toString();
    queues.removeIf(q -> q.componentId().equals(key));
    queues.add(new QueueGauge(key, size, capacity, contents));
  }

  /** The counters of one exporter's persistent sending queue. */
  public PersistentQueueMetrics persistentQueue(ComponentId id) {
    return new PersistentQueueMetrics(id.toString());
  }

  /** The counters of one connector instance, from signal {@code from} to signal {@code to}. */
  public ConnectorMetrics connector(ComponentId id, Signal from, Signal to) {
    return new ConnectorMetrics(connectorIncoming.labelValues(id.toString(), from.configName()),
        connectorOutgoing.labelValues(id.toString(), to.configName()));
  }

  /** Items into and out of one connector instance. */
  public static final class ConnectorMetrics {
    private final CounterDataPoint incoming;
    private final CounterDataPoint outgoing;

    private ConnectorMetrics(CounterDataPoint incoming, CounterDataPoint outgoing) {
      this.incoming = incoming;
      this.outgoing = outgoing;
    }

    public void incoming(long items) {
      incoming.inc(items);
    }

    public void outgoing(long items) {
      outgoing.inc(items);
    }
  }

  /** Counts of a persistent sending queue: items written and recovered, records found corrupt. */
  public final class PersistentQueueMetrics {
    private final CounterDataPoint[] persisted = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint[] recovered = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint corrupt;

    private PersistentQueueMetrics(String id) {
      for (Signal s : Signal.values()) {
        persisted[s.ordinal()] = queuePersisted.labelValues(id, s.configName());
        recovered[s.ordinal()] = queueRecovered.labelValues(id, s.configName());
      }
      corrupt = queueCorrupt.labelValues(id);
    }

    public void persisted(Signal signal, long items) {
      persisted[signal.ordinal()].inc(items);
    }

    public void recovered(Signal signal, long items) {
      recovered[signal.ordinal()].inc(items);
    }

    public void corrupt(long records) {
      corrupt.inc(records);
    }
  }

  /** Counts for one receiver on one transport (grpc, http, scrape). */
  public final class ReceiverMetrics {
    private final CounterDataPoint[] accepted = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint[] refused = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint[] refusedRequests = new CounterDataPoint[Signal.values().length];

    private ReceiverMetrics(String id, String transport) {
      for (Signal s : Signal.values()) {
        accepted[s.ordinal()] = receiverAccepted.labelValues(id, s.configName(), transport);
        refused[s.ordinal()] = receiverRefused.labelValues(id, s.configName(), transport);
        refusedRequests[s.ordinal()] = receiverRefusedRequests.labelValues(id, s.configName(), transport);
      }
    }

    /** A request refused unread, for want of room for its bytes; its items are not known. */
    public void refusedUnread(Signal signal) {
      refusedRequests[signal.ordinal()].inc();
    }

    public void accepted(Signal signal, long items) {
      accepted[signal.ordinal()].inc(items);
    }

    public void refused(Signal signal, long items) {
      refused[signal.ordinal()].inc(items);
    }
  }

  /** Counts and timings for one exporter. */
  public final class ExporterMetrics {
    private final CounterDataPoint[] sent = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint[] failed = new CounterDataPoint[Signal.values().length];
    private final CounterDataPoint[] enqueueFailed = new CounterDataPoint[Signal.values().length];
    private final DistributionDataPoint[] latency = new DistributionDataPoint[Signal.values().length];
    private final CounterDataPoint[] retried = new CounterDataPoint[Signal.values().length];
    private final String id;

    private ExporterMetrics(String id) {
      this.id = id;
      for (Signal s : Signal.values()) {
        retried[s.ordinal()] = exporterRetried.labelValues(id, s.configName());
        sent[s.ordinal()] = exporterSent.labelValues(id, s.configName());
        failed[s.ordinal()] = exporterSendFailed.labelValues(id, s.configName());
        enqueueFailed[s.ordinal()] = exporterEnqueueFailed.labelValues(id, s.configName());
        latency[s.ordinal()] = exporterLatency.labelValues(id, s.configName());
      }
    }

    public void sent(Signal signal, long items) {
      sent[signal.ordinal()].inc(items);
    }

    public void sendFailed(Signal signal, long items) {
      failed[signal.ordinal()].inc(items);
    }

    public void enqueueFailed(Signal signal, long items) {
      enqueueFailed[signal.ordinal()].inc(items);
    }

    public void requestDuration(Signal signal, long nanos) {
      latency[signal.ordinal()].observe(nanos / 1e9);
    }

    /** One request is about to be sent again. */
    public void retried(Signal signal) {
      retried[signal.ordinal()].inc();
    }

    /** Items left out on purpose, for a reason such as {@code delta_histogram}; not for hot paths. */
    public void dropped(Signal signal, String reason, long items) {
      exporterDropped.labelValues(id, signal.configName(), reason).inc(items);
    }
  }

  /** Counts for one processor instance in one pipeline. */
  public final class ProcessorMetrics {
    private final CounterDataPoint incoming;
    private final CounterDataPoint outgoing;
    private final CounterDataPoint refused;
    private final CounterDataPoint dropped;
    private final DistributionDataPoint batchSize;
    private final CounterDataPoint timeoutTrigger;
    private final CounterDataPoint sizeTrigger;

    private ProcessorMetrics(String id, String pipeline, Signal signal) {
      incoming = processorIncoming.labelValues(id, pipeline, signal.configName());
      outgoing = processorOutgoing.labelValues(id, pipeline, signal.configName());
      refused = processorRefused.labelValues(id, pipeline, signal.configName());
      dropped = processorDropped.labelValues(id, pipeline, signal.configName());
      batchSize = batchSendSize.labelValues(id, pipeline, signal.configName());
      timeoutTrigger = batchTimeoutTrigger.labelValues(id, pipeline);
      sizeTrigger = batchSizeTrigger.labelValues(id, pipeline);
    }

    public void incoming(long items) {
      incoming.inc(items);
    }

    public void outgoing(long items) {
      outgoing.inc(items);
    }

    public void refused(long items) {
      refused.inc(items);
    }

    public void dropped(long items) {
      dropped.inc(items);
    }

    /** A batch processor sent a batch of {@code items}, because of its size or its timeout. */
    public void batchSent(long items, boolean byTimeout) {
      batchSize.observe(items);
      (byTimeout ? timeoutTrigger : sizeTrigger).inc();
    }
  }
}

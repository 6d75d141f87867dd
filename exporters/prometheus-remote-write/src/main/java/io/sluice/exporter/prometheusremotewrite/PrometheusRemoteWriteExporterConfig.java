package io.sluice.exporter.prometheusremotewrite;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code prometheusremotewrite} exporter's config, with the Collector's key names and
 * defaults plus Sluice's {@code remote_write_version} and {@code compression}.
 *
 * @param endpoint the remote-write URL, such as {@code http://prometheus:9090/api/v1/write}
 * @param headers sent with every request; the four remote-write headers cannot be overridden
 * @param namespace prefix of every metric name
 * @param externalLabels added to every series that has no label of that name
 * @param addMetricSuffixes unit, {@code _total} and {@code _ratio} suffixes on metric names
 * @param resourceToTelemetryConversion copy every resource attribute onto every series
 * @param targetInfo emit {@code target_info} series
 * @param sendMetadata send TYPE, HELP and UNIT of every metric family with remote write 1.0 (2.0
 *     always sends them, per series)
 * @param remoteWriteVersion {@code "1.0"} (default) or {@code "2.0"}; with 2.0 the exporter falls
 *     back to 1.0 for good when the receiver answers 415, or 2xx without the Written headers
 * @param compression {@code snappy} (default, what the spec requires) or {@code zstd}
 * @param timeout how long one request may take; 0 means no limit. A request not answered in time
 *     is abandoned (its connection closed) and retried like a 5xx, so a receiver that was only
 *     slow may get it twice, byte for byte the same
 * @param tls TLS for {@code https} endpoints
 * @param sendingQueue the queue in front of the shards, used when {@code remote_write_queue} is absent:
 *     {@code num_consumers} is the number of shards, {@code queue_size} the batches that may wait
 * @param retryOnFailure retries of one request, at the head of its shard
 * @param maxBatchSizeBytes a batch whose request would be larger (uncompressed) is sent as several
 *     requests of at most this size; 0 sends every batch as one request
 * @param remoteWriteQueue the Collector exporter's own queue section; when set it replaces
 *     {@code sending_queue}. {@code num_consumers} is the number of shards: each series always goes
 *     to the same shard (by a hash of its labels), a shard has one request in flight at a time so
 *     a series' samples arrive in order, and shards send in parallel. {@code queue_size} is how
 *     many accepted batches may be waiting for delivery; with {@code enabled: false} a batch is
 *     acknowledged only once every request of it was delivered (or given up on). It also takes
 *     four keys of Prometheus' {@code queue_config}, meaning what they mean there:
 *     <ul>
 *       <li>{@code max_samples_per_send} (default 0): when above 0, a shard gathers the series of
 *           successive batches into one request until it holds that many samples (a native
 *           histogram counts as a sample), or until {@code batch_send_deadline} has passed since
 *           the oldest of them arrived, and then sends it. A series is never cut, so a single
 *           series with more samples goes alone. 0 sends each batch's share of a shard as it comes,
 *           as the Collector does. {@code max_batch_size_bytes} caps every request either way.
 *       <li>{@code batch_send_deadline} (default 5s): how long a sample may wait for its request
 *           to fill up.
 *       <li>{@code min_shards} (default 1) and {@code max_shards} (not set by default): with
 *           {@code max_shards} above {@code min_shards} the shard count follows the load between
 *           the two, starting at {@code min_shards}, and {@code num_consumers} is not used. Every
 *           10 s the exporter weighs the rate samples arrive at, and the backlog, against how long
 *           sending one sample takes, and reshards when the count it needs differs from the
 *           current one by more than 30 % (not while sending fails). The old shards first deliver
 *           what they hold, so every series stays in order; batches arriving meanwhile wait.
 *           With both equal there are that many shards; without {@code max_shards} there are
 *           {@code num_consumers}. The self-metric {@code sluice_exporter_shards} shows the count.
 *           Set {@code max_samples_per_send} with it: without, each batch goes out as one request
 *           per shard, so more shards only make more, smaller requests.
 *     </ul>
 * @param exportCreatedMetric the {@code <family>_created} series (the point's start time in seconds).
 *     With {@code enabled: true}, as in the Collector, every monotonic sum, histogram and summary
 *     point with a start time gets one; with {@code false} (the default) only data the
 *     {@code prometheus} receiver scraped from {@code _created} samples does, so that what was
 *     scraped is written as Prometheus itself would store it
 * @param deltaToCumulative how delta monotonic sums and delta histograms become cumulative series:
 *     {@code max_stale} and {@code max_streams}, named as in the Collector's
 *     {@code deltatocumulative} processor
 * @param auth {@code authenticator}: the id of a {@code basicauth} or {@code bearertokenauth}
 *     extension, listed in {@code service.extensions}, whose headers go with every request (they
 *     do not replace the four remote-write headers); null (the default) sends no credentials
 *     besides {@code headers}
 * @param disableScopeInfo leave out the {@code otel_scope_*} labels
 * @param maxBatchRequestParallelism accepted as the Collector takes it (at least 1); requests go
 *     out in parallel across shards, so the shard count is what bounds them here
 * @param protobufMessage {@code prometheus.WriteRequest} (remote write 1.0) or
 *     {@code io.prometheus.write.v2.Request} (2.0); when set it decides the version
 * @param wal the Collector's write-ahead log, which Sluice does not have: refused with what to
 *     use instead
 * @param translationStrategy {@code UnderscoreEscapingWithSuffixes} or
 *     {@code UnderscoreEscapingWithoutSuffixes}; when set it decides {@code add_metric_suffixes}
 * @param resourceConstantLabels resource attributes copied onto every series, by name patterns
 *     ({@code included}, {@code excluded}; {@code *} matches any run of characters)
 */
public record PrometheusRemoteWriteExporterConfig(
    String endpoint,
    Map<String, String> headers,
    String namespace,
    Map<String, String> externalLabels,
    boolean addMetricSuffixes,
    ResourceToTelemetryConversion resourceToTelemetryConversion,
    TargetInfo targetInfo,
    boolean sendMetadata,
    String remoteWriteVersion,
    String compression,
    Duration timeout,
    TlsClientSettings tls,
    QueueSettings sendingQueue,
    RetrySettings retryOnFailure,
    long maxBatchSizeBytes,
    RemoteWriteQueue remoteWriteQueue,
    ExportCreatedMetric exportCreatedMetric,
    DeltaToCumulativeConversion deltaToCumulative,
    AuthSettings auth,
    boolean disableScopeInfo,
    Integer maxBatchRequestParallelism,
    String protobufMessage,
    Map<String, Object> wal,
    String translationStrategy,
    ResourceConstantLabels resourceConstantLabels) implements ComponentConfig {

  /** The protobuf messages {@code protobuf_message} names, by remote write version. */
  static final Map<String, String> PROTOBUF_MESSAGES = Map.of(
      "prometheus.WriteRequest", "1.0", "io.prometheus.write.v2.Request", "2.0");

  /** The translation strategies Sluice has, and whether each adds suffixes. */
  static final Map<String, Boolean> TRANSLATION_STRATEGIES = Map.of(
      "UnderscoreEscapingWithSuffixes", true, "UnderscoreEscapingWithoutSuffixes", false);

  /** {@code resource_constant_labels}: which resource attributes become labels. */
  public record ResourceConstantLabels(List<String> included, List<String> excluded) {}

  /** Without the newer Collector keys. */
  public PrometheusRemoteWriteExporterConfig(String endpoint, Map<String, String> headers, String namespace,
      Map<String, String> externalLabels, boolean addMetricSuffixes,
      ResourceToTelemetryConversion resourceToTelemetryConversion, TargetInfo targetInfo, boolean sendMetadata,
      String remoteWriteVersion, String compression, Duration timeout, TlsClientSettings tls,
      QueueSettings sendingQueue, RetrySettings retryOnFailure, long maxBatchSizeBytes,
      RemoteWriteQueue remoteWriteQueue, ExportCreatedMetric exportCreatedMetric,
      DeltaToCumulativeConversion deltaToCumulative, AuthSettings auth) {
    this(endpoint, headers, namespace, externalLabels, addMetricSuffixes, resourceToTelemetryConversion, targetInfo,
        sendMetadata, remoteWriteVersion, compression, timeout, tls, sendingQueue, retryOnFailure, maxBatchSizeBytes,
        remoteWriteQueue, exportCreatedMetric, deltaToCumulative, auth, false, null, null, null, null, null);
  }

  /** The Collector's default {@code max_batch_size_bytes}. */
  static final long DEFAULT_MAX_BATCH_SIZE_BYTES = 3_000_000L;

  /** {@code resource_to_telemetry_conversion}. */
  public record ResourceToTelemetryConversion(boolean enabled) {
  }

  /**
   * {@code remote_write_queue}, as the Collector names its queue, with Prometheus' sending keys
   * added; keys left out take the Collector's defaults (enabled, 10000 batches, 5 consumers) and
   * Prometheus' ({@code batch_send_deadline} 5s), except {@code max_samples_per_send} (0: every
   * batch is sent as it comes) and {@code max_shards} (not set: {@code num_consumers} fixed
   * shards).
   *
   * @param enabled with false a batch is acknowledged only once delivered
   * @param queueSize accepted batches that may wait for delivery
   * @param numConsumers the fixed number of shards when {@code max_shards} is not set
   * @param minShards the fewest shards when the count is dynamic; null when not set (1)
   * @param maxShards the most shards; null when not set, and then {@code num_consumers} is the count
   * @param maxSamplesPerSend samples one request gathers at most; 0 sends each batch as it comes
   * @param batchSendDeadline how long a sample waits for its request to fill up
   */
  public record RemoteWriteQueue(Boolean enabled, Integer queueSize, Integer numConsumers, Integer minShards,
      Integer maxShards, Integer maxSamplesPerSend, Duration batchSendDeadline) {
    static final Duration DEFAULT_BATCH_SEND_DEADLINE = Duration.ofSeconds(5);

    public RemoteWriteQueue {
      enabled = enabled == null ? Boolean.TRUE : enabled;
      queueSize = queueSize == null ? 10_000 : queueSize;
      numConsumers = numConsumers == null ? 5 : numConsumers;
      maxSamplesPerSend = maxSamplesPerSend == null ? 0 : maxSamplesPerSend;
      batchSendDeadline = batchSendDeadline == null ? DEFAULT_BATCH_SEND_DEADLINE : batchSendDeadline;
    }

    /** The Collector's three keys; Prometheus' take their defaults. */
    public RemoteWriteQueue(Boolean enabled, Integer queueSize, Integer numConsumers) {
      this(enabled, queueSize, numConsumers, null, null, null, null);
    }

    int effectiveMinShards() {
      return minShards == null ? 1 : minShards;
    }

    List<ConfigProblem> validate(String prefix) {
      List<ConfigProblem> problems = new ArrayList<>();
      if (minShards != null && minShards < 1) {
        problems.add(new ConfigProblem(prefix + ".min_shards", "must be at least 1, got " + minShards));
      } else if (minShards != null && maxShards == null) {
        problems.add(new ConfigProblem(prefix + ".min_shards", "has no effect without max_shards: set max_shards"
            + " too (the shard count then follows the load between them) or use num_consumers for a fixed count"));
      }
      if (maxShards != null && maxShards < 1) {
        problems.add(new ConfigProblem(prefix + ".max_shards", "must be at least 1, got " + maxShards));
      } else if (maxShards != null && maxShards < effectiveMinShards()) {
        problems.add(new ConfigProblem(prefix + ".max_shards", "must not be below min_shards ("
            + effectiveMinShards() + "), got " + maxShards));
      }
      if (maxSamplesPerSend < 0) {
        problems.add(new ConfigProblem(prefix + ".max_samples_per_send",
            "must not be negative (0 sends each batch as it comes), got " + maxSamplesPerSend));
      }
      if (batchSendDeadline.isNegative() || batchSendDeadline.isZero()) {
        problems.add(new ConfigProblem(prefix + ".batch_send_deadline",
            "must be a positive duration such as \"5s\", got " + batchSendDeadline));
      }
      return problems;
    }
  }

  /**
   * {@code delta_to_cumulative}: the running totals that turn delta points into cumulative ones.
   * A series without a point for {@code max_stale} (default 5m) is forgotten and starts over;
   * while {@code max_streams} series (default 100000; 0 means no limit) are tracked, points of new
   * ones are dropped and counted.
   */
  public record DeltaToCumulativeConversion(Duration maxStale, Long maxStreams) {
    static final Duration DEFAULT_MAX_STALE = Duration.ofMinutes(5);
    static final long DEFAULT_MAX_STREAMS = 100_000;

    public DeltaToCumulativeConversion {
      maxStale = maxStale == null ? DEFAULT_MAX_STALE : maxStale;
      maxStreams = maxStreams == null ? DEFAULT_MAX_STREAMS : maxStreams;
    }

    /** The stream limit as the translation takes it. */
    int streamLimit() {
      return maxStreams == 0 || maxStreams > Integer.MAX_VALUE ? Integer.MAX_VALUE : maxStreams.intValue();
    }
  }

  /**
   * {@code export_created_metric}.
   *
   * @param enabled a {@code _created} series for every counter, histogram and summary point with a
   *     start time; false keeps only those scraped from {@code _created} samples
   */
  public record ExportCreatedMetric(boolean enabled) {
  }

  /** {@code target_info}. */
  public record TargetInfo(boolean enabled) {
  }

  /** Headers the exporter sets itself; user values for them are ignored. */
  static final Set<String> RESERVED_HEADERS = Set.of("content-encoding", "content-type", "user-agent",
      "x-prometheus-remote-write-version");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** Without {@code auth}. */
  public PrometheusRemoteWriteExporterConfig(String endpoint, Map<String, String> headers, String namespace,
      Map<String, String> externalLabels, boolean addMetricSuffixes,
      ResourceToTelemetryConversion resourceToTelemetryConversion, TargetInfo targetInfo, boolean sendMetadata,
      String remoteWriteVersion, String compression, Duration timeout, TlsClientSettings tls,
      QueueSettings sendingQueue, RetrySettings retryOnFailure, long maxBatchSizeBytes,
      RemoteWriteQueue remoteWriteQueue, ExportCreatedMetric exportCreatedMetric,
      DeltaToCumulativeConversion deltaToCumulative) {
    this(endpoint, headers, namespace, externalLabels, addMetricSuffixes, resourceToTelemetryConversion, targetInfo,
        sendMetadata, remoteWriteVersion, compression, timeout, tls, sendingQueue, retryOnFailure, maxBatchSizeBytes,
        remoteWriteQueue, exportCreatedMetric, deltaToCumulative, null);
  }

  public PrometheusRemoteWriteExporterConfig {
    endpoint = endpoint == null ? "" : endpoint.trim();
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    namespace = namespace == null ? "" : namespace.trim();
    externalLabels = externalLabels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(externalLabels));
    resourceToTelemetryConversion = resourceToTelemetryConversion == null
        ? new ResourceToTelemetryConversion(false) : resourceToTelemetryConversion;
    targetInfo = targetInfo == null ? new TargetInfo(true) : targetInfo;
    remoteWriteVersion = remoteWriteVersion == null ? "" : remoteWriteVersion.trim();
    compression = compression == null ? "" : compression.trim().toLowerCase(Locale.ROOT);
    tls = tls == null ? TlsClientSettings.defaults() : tls;
    sendingQueue = sendingQueue == null ? QueueSettings.defaults() : sendingQueue;
    retryOnFailure = retryOnFailure == null ? defaultRetry() : retryOnFailure;
    exportCreatedMetric = exportCreatedMetric == null ? new ExportCreatedMetric(false) : exportCreatedMetric;
    deltaToCumulative = deltaToCumulative == null ? new DeltaToCumulativeConversion(null, null) : deltaToCumulative;
    protobufMessage = protobufMessage == null ? "" : protobufMessage.trim();
    translationStrategy = translationStrategy == null ? "" : translationStrategy.trim();
    if (PROTOBUF_MESSAGES.containsKey(protobufMessage)) {
      remoteWriteVersion = PROTOBUF_MESSAGES.get(protobufMessage);
    }
    if (TRANSLATION_STRATEGIES.containsKey(translationStrategy)) {
      addMetricSuffixes = TRANSLATION_STRATEGIES.get(translationStrategy);
    }
  }

  /**
   * The queue and shard count in use: {@code remote_write_queue} when given, else
   * {@code sending_queue}; {@code num_consumers} is the number of shards.
   */
  QueueSettings effectiveQueue() {
    return remoteWriteQueue == null ? sendingQueue
        : new QueueSettings(remoteWriteQueue.enabled(), remoteWriteQueue.numConsumers(), remoteWriteQueue.queueSize());
  }

  /**
   * How many shards there are and how they cut requests: {@code num_consumers} fixed shards, or
   * between {@code min_shards} and {@code max_shards}; {@code max_samples_per_send},
   * {@code batch_send_deadline} and {@code max_batch_size_bytes}.
   */
  Shards.Settings shardSettings() {
    int fixed = Math.max(1, effectiveQueue().numConsumers());
    if (remoteWriteQueue == null) {
      return new Shards.Settings(fixed, fixed, 0, RemoteWriteQueue.DEFAULT_BATCH_SEND_DEADLINE, maxBatchSizeBytes);
    }
    RemoteWriteQueue r = remoteWriteQueue;
    boolean bounded = r.maxShards() != null && r.maxShards() >= r.effectiveMinShards();
    return new Shards.Settings(bounded ? r.effectiveMinShards() : fixed, bounded ? r.maxShards() : fixed,
        r.maxSamplesPerSend(), r.batchSendDeadline(), maxBatchSizeBytes);
  }

  /** The Collector exporter's retry defaults: 50 ms doubling-ish to 200 ms, for at most a minute. */
  static RetrySettings defaultRetry() {
    return new RetrySettings(true, Duration.ofMillis(50), 0.5, 1.5, Duration.ofMillis(200), Duration.ofMinutes(1));
  }

  /** The defaults; an endpoint must be set. */
  public static PrometheusRemoteWriteExporterConfig defaults() {
    return new PrometheusRemoteWriteExporterConfig("", Map.of(), "", Map.of(), true,
        new ResourceToTelemetryConversion(false), new TargetInfo(true), false, "1.0", "snappy",
        Duration.ofSeconds(5), TlsClientSettings.defaults(), QueueSettings.defaults(), defaultRetry(),
        DEFAULT_MAX_BATCH_SIZE_BYTES, null, new ExportCreatedMetric(false), new DeltaToCumulativeConversion(null, null),
        null);
  }

  /** The same config with another endpoint. */
  public PrometheusRemoteWriteExporterConfig withEndpoint(String newEndpoint) {
    return new PrometheusRemoteWriteExporterConfig(newEndpoint, headers, namespace, externalLabels,
        addMetricSuffixes, resourceToTelemetryConversion, targetInfo, sendMetadata, remoteWriteVersion, compression,
        timeout, tls, sendingQueue, retryOnFailure, maxBatchSizeBytes, remoteWriteQueue, exportCreatedMetric,
        deltaToCumulative, auth, disableScopeInfo, maxBatchRequestParallelism, protobufMessage, wal,
        translationStrategy, resourceConstantLabels);
  }

  /** The same config with {@code auth.authenticator} set to {@code authenticator}. */
  public PrometheusRemoteWriteExporterConfig withAuthenticator(String authenticator) {
    return new PrometheusRemoteWriteExporterConfig(endpoint, headers, namespace, externalLabels,
        addMetricSuffixes, resourceToTelemetryConversion, targetInfo, sendMetadata, remoteWriteVersion, compression,
        timeout, tls, sendingQueue, retryOnFailure, maxBatchSizeBytes, remoteWriteQueue, exportCreatedMetric,
        deltaToCumulative, new AuthSettings(authenticator), disableScopeInfo, maxBatchRequestParallelism,
        protobufMessage, wal, translationStrategy, resourceConstantLabels);
  }

  /** What the translation needs from this config. */
  TranslationOptions translationOptions() {
    return new TranslationOptions(namespace, addMetricSuffixes, resourceToTelemetryConversion.enabled(),
        targetInfo.enabled(), !disableScopeInfo, externalLabels, exportCreatedMetric.enabled()
            ? TranslationOptions.CreatedSeries.ALL : TranslationOptions.CreatedSeries.SCRAPED,
        resourceConstantLabels == null ? null : new TranslationOptions.ResourceLabelFilter(
            resourceConstantLabels.included(), resourceConstantLabels.excluded()));
  }

  @Override
  public List<ConfigProblem> warnings() {
    return maxBatchRequestParallelism == null ? List.of() : List.of(new ConfigProblem(
        "max_batch_request_parallelism", "requests go out in parallel across shards; the shard count"
            + " (remote_write_queue.num_consumers) bounds them"));
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (endpoint.isEmpty()) {
      problems.add(new ConfigProblem("endpoint",
          "is required: the remote-write URL, such as \"http://prometheus:9090/api/v1/write\""));
    } else {
      checkUrl(problems, endpoint);
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey() == null || !TOKEN.matcher(h.getKey()).matches()) {
        problems.add(new ConfigProblem("headers", "\"" + h.getKey() + "\" is not a valid HTTP header name"));
      } else if (h.getValue() == null) {
        problems.add(new ConfigProblem("headers." + h.getKey(), "has no value"));
      } else if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) {
        problems.add(new ConfigProblem("headers." + h.getKey(), "must not contain a line break"));
      }
    }
    for (Map.Entry<String, String> l : externalLabels.entrySet()) {
      String name = l.getKey();
      if (name == null || !LABEL_NAME.matcher(name).matches() || name.startsWith("__")) {
        problems.add(new ConfigProblem("external_labels", "\"" + name
            + "\" is not a valid label name: use [a-zA-Z_][a-zA-Z0-9_]* without a leading \"__\""));
      } else if (l.getValue() == null || l.getValue().isEmpty()) {
        problems.add(new ConfigProblem("external_labels." + name, "has an empty value; give it a value or remove it"));
      }
    }
    if (!remoteWriteVersion.equals("1.0") && !remoteWriteVersion.equals("2.0")) {
      problems.add(new ConfigProblem("remote_write_version", "\"" + remoteWriteVersion
          + "\" is not supported; use \"1.0\" or \"2.0\" (2.0 falls back to 1.0 when the receiver does not take it)"));
    }
    if (!compression.equals("snappy") && !compression.equals("zstd")) {
      problems.add(new ConfigProblem("compression", "\"" + compression
          + "\" is not supported; use \"snappy\" (what remote write requires) or \"zstd\""));
    }
    if (timeout == null || timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"5s\" (0 means no limit)"));
    }
    problems.addAll(tls.validate("tls"));
    problems.addAll(sendingQueue.validate("sending_queue"));
    if (maxBatchRequestParallelism != null && maxBatchRequestParallelism < 1) {
      problems.add(new ConfigProblem("max_batch_request_parallelism", maxBatchRequestParallelism
          + " is not a number of requests; give at least 1"));
    }
    if (!protobufMessage.isEmpty() && !PROTOBUF_MESSAGES.containsKey(protobufMessage)) {
      problems.add(new ConfigProblem("protobuf_message", "\"" + protobufMessage + "\" is not a remote write"
          + " message; use \"prometheus.WriteRequest\" (1.0) or \"io.prometheus.write.v2.Request\" (2.0)"));
    }
    if (wal != null) {
      problems.add(new ConfigProblem("wal", "Sluice's prometheusremotewrite has no write-ahead log; remove wal."
          + " Batches wait in sending_queue (or remote_write_queue), and the pipeline retries what it refuses"));
    }
    if (!translationStrategy.isEmpty() && !TRANSLATION_STRATEGIES.containsKey(translationStrategy)) {
      boolean known = translationStrategy.equals("NoUTF8EscapingWithSuffixes")
          || translationStrategy.equals("NoTranslation");
      problems.add(new ConfigProblem("translation_strategy", "\"" + translationStrategy + "\" "
          + (known ? "is not available in Sluice, which writes names in Prometheus's classic character set"
              : "is not a translation strategy")
          + "; use \"UnderscoreEscapingWithSuffixes\" or \"UnderscoreEscapingWithoutSuffixes\""));
    }
    if (resourceConstantLabels != null) {
      List<String> included = resourceConstantLabels.included() == null ? List.of()
          : resourceConstantLabels.included();
      if (included.isEmpty()) {
        problems.add(new ConfigProblem("resource_constant_labels.included", "is empty; list the resource"
            + " attributes to copy onto every series, such as [\"service.*\", \"deployment.environment\"]"));
      }
      for (int i = 0; i < included.size(); i++) {
        if (included.get(i) == null || included.get(i).isBlank()) {
          problems.add(new ConfigProblem("resource_constant_labels.included[" + i + "]", "is empty; give an"
              + " attribute name, * matching any run of characters"));
        }
      }
    }
    // Remote write keeps its own shards, gathering samples per shard (max_samples_per_send).
    if (!sendingQueue.sizer().equals("requests")) {
      problems.add(new ConfigProblem("sending_queue.sizer", "prometheusremotewrite counts its queue in batches"
          + " only; remove sizer, or size the queue with remote_write_queue.queue_size"));
    }
    if (sendingQueue.batch() != null) {
      problems.add(new ConfigProblem("sending_queue.batch", "prometheusremotewrite gathers samples into requests"
          + " per shard itself; remove batch and use max_batch_size_bytes or remote_write_queue"));
    }
    if (sendingQueue.blockOnOverflow() || sendingQueue.waitForResult()) {
      problems.add(new ConfigProblem("sending_queue." + (sendingQueue.blockOnOverflow() ? "block_on_overflow"
          : "wait_for_result"), "is not supported by prometheusremotewrite's shards; a full queue refuses"
          + " batches and the pipeline retries them"));
    }
    if (sendingQueue.storage() != null) {
      problems.add(new ConfigProblem("sending_queue.storage", "prometheusremotewrite keeps its shards' queues in"
          + " memory only; remove storage (a persistent queue works with the exporters built on the exporter"
          + " helper, such as otlp, otlphttp and loki)"));
    }
    if (remoteWriteQueue != null) {
      problems.addAll(effectiveQueue().validate("remote_write_queue"));
      problems.addAll(remoteWriteQueue.validate("remote_write_queue"));
    }
    if (maxBatchSizeBytes < 0) {
      problems.add(new ConfigProblem("max_batch_size_bytes", "must not be negative (0 sends each batch whole)"));
    }
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    if (deltaToCumulative.maxStale().isNegative() || deltaToCumulative.maxStale().isZero()) {
      problems.add(new ConfigProblem("delta_to_cumulative.max_stale",
          "must be a positive duration such as \"5m\", got " + deltaToCumulative.maxStale()));
    }
    if (deltaToCumulative.maxStreams() < 0) {
      problems.add(new ConfigProblem("delta_to_cumulative.max_streams",
          "must not be negative (0 means no limit), got " + deltaToCumulative.maxStreams()));
    }
    if (auth != null) {
      problems.addAll(auth.validate("auth"));
    }
    return problems;
  }

  private static void checkUrl(List<ConfigProblem> problems, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      problems.add(new ConfigProblem("endpoint", "\"" + url + "\" is not a URL: " + e.getReason()));
      return;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      int i = url.indexOf("://");
      problems.add(new ConfigProblem("endpoint", "\"" + url + "\" has no http or https scheme; did you mean \"http://"
          + (i < 0 ? url : url.substring(i + 3)) + "\"?"));
    } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
      problems.add(new ConfigProblem("endpoint", "\"" + url
          + "\" has no host; write it as \"http://prometheus:9090/api/v1/write\""));
    }
  }
}

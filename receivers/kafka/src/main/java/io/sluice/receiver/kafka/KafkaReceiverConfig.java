package io.sluice.receiver.kafka;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.translation.kafka.KafkaAuth;
import io.sluice.translation.kafka.KafkaClientSettings;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaMetadata;
import io.sluice.translation.kafka.KafkaTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code kafka} receiver's config: the Collector's kafka receiver keys and defaults.
 *
 * <p>The receiver joins the consumer group {@code group_id} and reads each signal's topics
 * ({@code traces.topics}, default {@code otlp_spans}; {@code metrics.topics}, {@code otlp_metrics};
 * {@code logs.topics}, {@code otlp_logs}; also written {@code topic}, and the older top-level
 * {@code topic} for every signal; a topic starting with {@code ^} is a regular expression) in the
 * signal's encoding.
 *
 * <p>Offsets are committed only for records the pipeline acknowledged (at least once), every
 * {@code autocommit.interval} or, with {@code autocommit.enable: false}, as soon as they are
 * acknowledged; {@code message_marking.after} is accepted, and Sluice always marks after the
 * pipeline. A retryable refusal (the pipeline pushing back) pauses the partition and offers the
 * same records again after {@code error_backoff}'s intervals, until they are taken; with
 * {@code message_marking.on_error: true} they are given up instead (logged and counted) once
 * {@code error_backoff.max_elapsed_time} passed, or at once without {@code error_backoff}. A
 * message that cannot be decoded, or that the pipeline refuses as bad data, is counted, logged
 * and skipped, so one bad message never stops its partition.
 *
 * @param brokers the brokers to bootstrap from (default {@code localhost:9092})
 * @param protocolVersion accepted; the Java client negotiates versions with each broker itself
 * @param resolveCanonicalBootstrapServersOnly resolve bootstrap names to their canonical names
 * @param clientId the client id the brokers see (default {@code otel-collector})
 * @param connIdleTimeout close connections idle this long (default 9m)
 * @param rackId fetch from a replica in this rack when the brokers allow it
 * @param useLeaderEpoch accepted; the Java client always uses leader epochs
 * @param topic the older top-level topic for every signal
 * @param encoding the older top-level encoding for every signal
 * @param traces topics and encoding of spans
 * @param metrics topics and encoding of metrics
 * @param logs topics and encoding of logs
 * @param profiles accepted; Sluice carries no profiles
 * @param groupId the consumer group (default {@code otel-collector})
 * @param groupInstanceId a static member id, kept across restarts
 * @param initialOffset where a group with no committed offset starts: {@code latest} (default) or
 *     {@code earliest}
 * @param sessionTimeout how long the group waits for a silent member (default 10s)
 * @param heartbeatInterval how often a member says it is alive (default 3s)
 * @param groupRebalanceStrategy the partition assignment: {@code cooperative-sticky} (default),
 *     {@code sticky}, {@code range} or {@code roundrobin}
 * @param groupRebalanceStrategies the same as a list, in order of preference
 * @param minFetchSize the least bytes a fetch waits for (default 1)
 * @param defaultFetchSize the older name of {@code max_partition_fetch_size}
 * @param maxFetchSize the most bytes one fetch returns (default 1048576)
 * @param maxFetchWait how long a fetch waits for {@code min_fetch_size} (default 250ms)
 * @param maxPartitionFetchSize the most bytes of one partition per fetch (default 1048576)
 * @param tls TLS to the brokers; without the block, plaintext
 * @param auth SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
 * @param metadata cluster metadata refresh
 * @param autocommit how often acknowledged offsets are committed
 * @param messageMarking what happens to records the pipeline did not take
 * @param headerExtraction Kafka headers copied into resource attributes {@code kafka.header.<name>}
 * @param errorBackoff the waits between offers of refused records
 * @param telemetry accepted; the Collector's optional receiver metrics
 */
public record KafkaReceiverConfig(
    List<String> brokers,
    String protocolVersion,
    boolean resolveCanonicalBootstrapServersOnly,
    String clientId,
    Duration connIdleTimeout,
    String rackId,
    Boolean useLeaderEpoch,
    String topic,
    String encoding,
    SignalTopics traces,
    SignalTopics metrics,
    SignalTopics logs,
    Map<String, Object> profiles,
    String groupId,
    String groupInstanceId,
    String initialOffset,
    Duration sessionTimeout,
    Duration heartbeatInterval,
    String groupRebalanceStrategy,
    List<String> groupRebalanceStrategies,
    Integer minFetchSize,
    Integer defaultFetchSize,
    Integer maxFetchSize,
    Duration maxFetchWait,
    Integer maxPartitionFetchSize,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonDeserialize(using = KafkaTls.Deserializer.class)
    TlsClientSettings tls,
    KafkaAuth auth,
    KafkaMetadata metadata,
    Autocommit autocommit,
    MessageMarking messageMarking,
    HeaderExtraction headerExtraction,
    RetrySettings errorBackoff,
    Map<String, Object> telemetry) implements ComponentConfig {

  static final Map<Signal, String> DEFAULT_TOPICS = Map.of(Signal.TRACES, "otlp_spans", Signal.METRICS,
      "otlp_metrics", Signal.LOGS, "otlp_logs");
  static final Map<String, String> STRATEGIES = Map.of(
      "range", "org.apache.kafka.clients.consumer.RangeAssignor",
      "roundrobin", "org.apache.kafka.clients.consumer.RoundRobinAssignor",
      "sticky", "org.apache.kafka.clients.consumer.StickyAssignor",
      "cooperative-sticky", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");

  /**
   * One signal's block.
   *
   * @param topic one topic (the older key)
   * @param topics its topics; one starting with {@code ^} is a regular expression
   * @param encoding its encoding
   * @param excludeTopic the older single {@code exclude_topics}
   * @param excludeTopics regular expressions of topics the {@code ^} patterns leave out
   */
  public record SignalTopics(String topic, List<String> topics, String encoding, String excludeTopic,
      List<String> excludeTopics) {
    public SignalTopics {
      topic = topic == null || topic.isBlank() ? null : topic.trim();
      topics = topics == null ? null : topics.stream().map(t -> t == null ? "" : t.trim()).toList();
      encoding = encoding == null || encoding.isBlank() ? null : encoding.trim();
      excludeTopic = excludeTopic == null || excludeTopic.isBlank() ? null : excludeTopic.trim();
      excludeTopics = excludeTopics == null ? List.of() : excludeTopics.stream().map(String::trim).toList();
    }

    static SignalTopics unset() {
      return new SignalTopics(null, null, null, null, List.of());
    }

    List<String> excludes() {
      List<String> out = new ArrayList<>(excludeTopics);
      if (excludeTopic != null) {
        out.add(excludeTopic);
      }
      return out;
    }
  }

  /** {@code autocommit}: commit acknowledged offsets every {@code interval}, or at once when not {@code enable}d. */
  public record Autocommit(Boolean enable, Duration interval) {
    public Autocommit {
      enable = enable == null || enable;
      interval = interval == null ? Duration.ofSeconds(1) : interval;
    }
  }

  /**
   * {@code message_marking}.
   *
   * @param after accepted; Sluice always marks records after the pipeline took them
   * @param onError give up on records the pipeline keeps refusing with a retryable error (see
   *     {@code error_backoff}) instead of offering them until it takes them
   * @param onPermanentError accepted; records refused as bad data are always skipped
   */
  public record MessageMarking(Boolean after, Boolean onError, Boolean onPermanentError) {
    boolean giveUpOnError() {
      return Boolean.TRUE.equals(onError);
    }
  }

  /** {@code header_extraction}: with {@code extract_headers}, each header named in {@code headers} becomes a resource attribute. */
  public record HeaderExtraction(boolean extractHeaders, List<String> headers) {
    public HeaderExtraction {
      headers = headers == null ? List.of() : List.copyOf(headers);
    }

    boolean enabled() {
      return extractHeaders && !headers.isEmpty();
    }
  }

  public KafkaReceiverConfig {
    brokers = brokers == null ? List.of() : List.copyOf(brokers);
    protocolVersion = protocolVersion == null ? "" : protocolVersion.trim();
    clientId = clientId == null ? "otel-collector" : clientId;
    connIdleTimeout = connIdleTimeout == null ? Duration.ofMinutes(9) : connIdleTimeout;
    rackId = rackId == null ? "" : rackId.trim();
    topic = topic == null || topic.isBlank() ? null : topic.trim();
    encoding = encoding == null || encoding.isBlank() ? null : encoding.trim();
    traces = traces == null ? SignalTopics.unset() : traces;
    metrics = metrics == null ? SignalTopics.unset() : metrics;
    logs = logs == null ? SignalTopics.unset() : logs;
    groupId = groupId == null ? "otel-collector" : groupId.trim();
    groupInstanceId = groupInstanceId == null ? "" : groupInstanceId.trim();
    initialOffset = initialOffset == null ? "latest" : initialOffset.trim().toLowerCase(Locale.ROOT);
    sessionTimeout = sessionTimeout == null ? Duration.ofSeconds(10) : sessionTimeout;
    heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(3) : heartbeatInterval;
    groupRebalanceStrategy = groupRebalanceStrategy == null || groupRebalanceStrategy.isBlank() ? null
        : groupRebalanceStrategy.trim().toLowerCase(Locale.ROOT);
    groupRebalanceStrategies = groupRebalanceStrategies == null ? List.of()
        : groupRebalanceStrategies.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
    minFetchSize = minFetchSize == null ? 1 : minFetchSize;
    maxFetchSize = maxFetchSize == null ? 1_048_576 : maxFetchSize;
    maxFetchWait = maxFetchWait == null ? Duration.ofMillis(250) : maxFetchWait;
    metadata = metadata == null ? KafkaMetadata.defaults() : metadata;
    autocommit = autocommit == null ? new Autocommit(true, Duration.ofSeconds(1)) : autocommit;
    messageMarking = messageMarking == null ? new MessageMarking(null, null, null) : messageMarking;
    headerExtraction = headerExtraction == null ? new HeaderExtraction(false, List.of()) : headerExtraction;
    errorBackoff = errorBackoff == null ? defaultBackoff() : errorBackoff;
  }

  /** The Collector's backoff, off: refused records are offered again after 1 s, growing to 30 s. */
  static RetrySettings defaultBackoff() {
    return new RetrySettings(false, Duration.ofSeconds(1), 0.5, 1.5, Duration.ofSeconds(30), Duration.ofMinutes(5));
  }

  public static KafkaReceiverConfig defaults() {
    return new KafkaReceiverConfig(List.of("localhost:9092"), "", false, "otel-collector", Duration.ofMinutes(9), "",
        null, null, null, SignalTopics.unset(), SignalTopics.unset(), SignalTopics.unset(), null, "otel-collector",
        "", "latest", Duration.ofSeconds(10), Duration.ofSeconds(3), null, List.of(), 1, null, 1_048_576,
        Duration.ofMillis(250), null, null, null, KafkaMetadata.defaults(), new Autocommit(true, Duration.ofSeconds(1)),
        new MessageMarking(null, null, null), new HeaderExtraction(false, List.of()), defaultBackoff(), null);
  }

  /** The connection settings. */
  public KafkaClientSettings client() {
    return new KafkaClientSettings(brokers, clientId, protocolVersion, resolveCanonicalBootstrapServersOnly,
        connIdleTimeout, tls, auth, metadata);
  }

  SignalTopics settings(Signal signal) {
    return switch (signal) {
      case TRACES -> traces;
      case METRICS -> metrics;
      case LOGS -> logs;
    };
  }

  /** A signal's topics: its own list, else its own topic, else the top-level topic, else the default. */
  List<String> topics(Signal signal) {
    SignalTopics s = settings(signal);
    if (s.topics() != null && !s.topics().isEmpty()) {
      return s.topics();
    }
    if (s.topic() != null) {
      return List.of(s.topic());
    }
    return List.of(topic != null ? topic : DEFAULT_TOPICS.get(signal));
  }

  private String encodingName(Signal signal) {
    String e = settings(signal).encoding();
    return e != null ? e : encoding != null ? encoding : "otlp_proto";
  }

  /** A signal's encoding (valid once the config validated). */
  KafkaEncoding encoding(Signal signal) {
    return KafkaEncoding.parse(encodingName(signal), signal, false);
  }

  /** The partition assignment strategies, most preferred first. */
  List<String> strategies() {
    if (!groupRebalanceStrategies.isEmpty()) {
      return groupRebalanceStrategies;
    }
    return List.of(groupRebalanceStrategy == null ? "cooperative-sticky" : groupRebalanceStrategy);
  }

  /** {@code max_partition_fetch_size}, or the older {@code default_fetch_size}, or 1 MiB. */
  int partitionFetchSize() {
    return maxPartitionFetchSize != null ? maxPartitionFetchSize
        : defaultFetchSize != null ? defaultFetchSize : 1_048_576;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    client().validate(problems);
    Map<String, Signal> owner = new HashMap<>();
    for (Signal s : Signal.values()) {
      String key = s.configName();
      SignalTopics st = settings(s);
      KafkaEncoding.validate(problems, s, st.encoding(), encoding, false);
      if (st.topic() != null && st.topics() != null && !st.topics().isEmpty()) {
        problems.add(new ConfigProblem(key + ".topic", "set either " + key + ".topics or the older " + key
            + ".topic, not both"));
      }
      List<String> topics = topics(s);
      boolean anyRegex = false;
      for (int i = 0; i < topics.size(); i++) {
        String t = topics.get(i);
        String at = st.topics() != null && !st.topics().isEmpty() ? key + ".topics[" + i + "]"
            : st.topic() != null ? key + ".topic" : topic != null ? "topic" : key + ".topics";
        if (t.isEmpty()) {
          problems.add(new ConfigProblem(at, "must not be empty"));
          continue;
        }
        if (t.startsWith("^")) {
          anyRegex = true;
          checkRegex(problems, at, t);
        }
        Signal before = owner.putIfAbsent(t, s);
        if (before != null && before != s) {
          problems.add(new ConfigProblem(at, "topic \"" + t + "\" is also read for " + before + "; a topic carries"
              + " one signal, so give each signal its own topic"));
        }
      }
      List<String> excludes = st.excludes();
      for (int i = 0; i < excludes.size(); i++) {
        checkRegex(problems, key + ".exclude_topics[" + i + "]", excludes.get(i));
      }
      if (!excludes.isEmpty() && !anyRegex) {
        problems.add(new ConfigProblem(key + ".exclude_topics", "only applies to topics given as regular"
            + " expressions (starting with ^); none of " + key + "'s topics is one"));
      }
    }
    if (groupId.isEmpty()) {
      problems.add(new ConfigProblem("group_id", "must not be empty: the consumer group to join"));
    }
    if (!initialOffset.equals("latest") && !initialOffset.equals("earliest")) {
      problems.add(new ConfigProblem("initial_offset", "\"" + initialOffset + "\" is not valid; use latest or"
          + " earliest"));
    }
    if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
      problems.add(new ConfigProblem("session_timeout", "must be a positive duration such as \"10s\""));
    }
    if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      problems.add(new ConfigProblem("heartbeat_interval", "must be a positive duration such as \"3s\""));
    } else if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
      problems.add(new ConfigProblem("heartbeat_interval", "must be less than session_timeout ("
          + io.sluice.core.config.GoDurations.format(sessionTimeout) + "), typically a third of it"));
    }
    if (groupRebalanceStrategy != null && !groupRebalanceStrategies.isEmpty()) {
      problems.add(new ConfigProblem("group_rebalance_strategy", "set either group_rebalance_strategies or the"
          + " older group_rebalance_strategy, not both"));
    }
    List<String> strategies = strategies();
    for (int i = 0; i < strategies.size(); i++) {
      if (!STRATEGIES.containsKey(strategies.get(i))) {
        String at = groupRebalanceStrategies.isEmpty() ? "group_rebalance_strategy"
            : "group_rebalance_strategies[" + i + "]";
        problems.add(new ConfigProblem(at, "\"" + strategies.get(i) + "\" is not a strategy Sluice has; use"
            + " cooperative-sticky, sticky, range or roundrobin"));
      }
    }
    if (minFetchSize < 1) {
      problems.add(new ConfigProblem("min_fetch_size", "must be at least 1, got " + minFetchSize));
    }
    if (maxFetchSize < minFetchSize) {
      problems.add(new ConfigProblem("max_fetch_size", maxFetchSize + " is less than min_fetch_size "
          + minFetchSize));
    }
    if (partitionFetchSize() < 1) {
      problems.add(new ConfigProblem(maxPartitionFetchSize != null ? "max_partition_fetch_size"
          : "default_fetch_size", "must be at least 1"));
    }
    if (maxFetchWait.isNegative()) {
      problems.add(new ConfigProblem("max_fetch_wait", "must be a duration such as \"250ms\""));
    }
    if (autocommit.interval().isNegative() || autocommit.interval().isZero()) {
      problems.add(new ConfigProblem("autocommit.interval", "must be a positive duration such as \"1s\""));
    }
    for (int i = 0; i < headerExtraction.headers().size(); i++) {
      String h = headerExtraction.headers().get(i);
      if (h == null || h.isEmpty()) {
        problems.add(new ConfigProblem("header_extraction.headers[" + i + "]", "must not be empty"));
      }
    }
    problems.addAll(errorBackoff.validate("error_backoff"));
    return problems;
  }

  private static void checkRegex(List<ConfigProblem> problems, String key, String regex) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      problems.add(new ConfigProblem(key, "\"" + regex + "\" is not a valid regular expression: "
          + e.getDescription()));
    }
  }

  @Override
  public List<ConfigProblem> warnings() {
    List<ConfigProblem> out = new ArrayList<>();
    client().warnings(out);
    if (profiles != null) {
      out.add(new ConfigProblem("profiles", "Sluice carries no profiles"));
    }
    if (useLeaderEpoch != null) {
      out.add(new ConfigProblem("use_leader_epoch", "the Java Kafka client always uses leader epochs"));
    }
    if (Boolean.FALSE.equals(messageMarking.after())) {
      out.add(new ConfigProblem("message_marking.after", "Sluice marks records only after its pipeline took them,"
          + " so that nothing is lost"));
    }
    if (messageMarking.onPermanentError() != null) {
      out.add(new ConfigProblem("message_marking.on_permanent_error", "records refused as bad data (and messages"
          + " that cannot be decoded) are always counted, logged and skipped, so that they never stop a partition"));
    }
    if (telemetry != null) {
      out.add(new ConfigProblem("telemetry", "Sluice reports its receiver metrics on its own metrics endpoint"));
    }
    return out;
  }
}

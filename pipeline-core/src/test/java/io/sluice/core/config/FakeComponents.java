package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Connector;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small factories with small config records, standing in for real components in config tests. */
public final class FakeComponents {
  private FakeComponents() {}

  static Factories factories() {
    return Factories.of(new OtlpReceiverFactory(), new PromReceiverFactory(), new BatchProcessorFactory(),
        new SpanFilterProcessorFactory(), new OtlpExporterFactory(), new DebugExporterFactory(),
        new CountConnectorFactory(), new HealthCheckExtensionFactory());
  }

  // ---- receivers ----

  /** Like the Collector's otlp receiver: nested protocol sections. */
  record OtlpReceiverConfig(Protocols protocols) implements ComponentConfig {
    record Protocols(Grpc grpc, Http http) {}

    record Grpc(String endpoint, int maxRecvMsgSizeMib, Duration keepalive) {}

    record Http(String endpoint, List<String> corsAllowedOrigins) {}

    @Override
    public List<ConfigProblem> validate() {
      List<ConfigProblem> problems = new ArrayList<>();
      if (protocols.grpc().maxRecvMsgSizeMib() <= 0) {
        problems.add(new ConfigProblem("protocols.grpc.max_recv_msg_size_mib",
            "must be positive, got " + protocols.grpc().maxRecvMsgSizeMib()));
      }
      return problems;
    }
  }

  public static final class OtlpReceiverFactory implements ReceiverFactory<OtlpReceiverConfig> {
    @Override
    public String type() {
      return "otlp";
    }

    @Override
    public Class<OtlpReceiverConfig> configClass() {
      return OtlpReceiverConfig.class;
    }

    @Override
    public OtlpReceiverConfig defaultConfig() {
      return new OtlpReceiverConfig(new OtlpReceiverConfig.Protocols(
          new OtlpReceiverConfig.Grpc("localhost:4317", 4, Duration.ofHours(2)),
          new OtlpReceiverConfig.Http("localhost:4318", List.of())));
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Receiver create(ComponentContext ctx, OtlpReceiverConfig config, Map<Signal, Consumer> next) {
      throw new UnsupportedOperationException();
    }
  }

  /** A metrics-only receiver. */
  record PromConfig(Duration scrapeInterval, List<String> targets) implements ComponentConfig {}

  public static class PromReceiverFactory implements ReceiverFactory<PromConfig> {
    @Override
    public String type() {
      return "prom";
    }

    @Override
    public Class<PromConfig> configClass() {
      return PromConfig.class;
    }

    @Override
    public PromConfig defaultConfig() {
      return new PromConfig(Duration.ofMinutes(1), List.of("localhost:9090"));
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.of(Signal.METRICS);
    }

    @Override
    public Receiver create(ComponentContext ctx, PromConfig config, Map<Signal, Consumer> next) {
      throw new UnsupportedOperationException();
    }
  }

  // ---- processors ----

  record BatchConfig(int sendBatchSize, Duration timeout, List<String> metadataKeys) implements ComponentConfig {
    @Override
    public List<ConfigProblem> validate() {
      return sendBatchSize < 0
          ? List.of(new ConfigProblem("send_batch_size", "must not be negative, got " + sendBatchSize))
          : List.of();
    }
  }

  public static final class BatchProcessorFactory implements ProcessorFactory<BatchConfig> {
    @Override
    public String type() {
      return "batch";
    }

    @Override
    public Class<BatchConfig> configClass() {
      return BatchConfig.class;
    }

    @Override
    public BatchConfig defaultConfig() {
      return new BatchConfig(8192, Duration.ofMillis(200), List.of());
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Processor create(ComponentContext ctx, BatchConfig config, Signal signal, Consumer next) {
      throw new UnsupportedOperationException();
    }
  }

  /** A traces-only processor. */
  record SpanFilterConfig(List<String> names) implements ComponentConfig {}

  public static final class SpanFilterProcessorFactory implements ProcessorFactory<SpanFilterConfig> {
    @Override
    public String type() {
      return "spanfilter";
    }

    @Override
    public Class<SpanFilterConfig> configClass() {
      return SpanFilterConfig.class;
    }

    @Override
    public SpanFilterConfig defaultConfig() {
      return new SpanFilterConfig(List.of());
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.of(Signal.TRACES);
    }

    @Override
    public Processor create(ComponentContext ctx, SpanFilterConfig config, Signal signal, Consumer next) {
      throw new UnsupportedOperationException();
    }
  }

  // ---- exporters ----

  record OtlpExporterConfig(String endpoint, Duration timeout, Map<String, String> headers, boolean insecure,
      SendingQueue sendingQueue) implements ComponentConfig {
    record SendingQueue(boolean enabled, int numConsumers, int queueSize) {}

    @Override
    public List<ConfigProblem> validate() {
      List<ConfigProblem> problems = new ArrayList<>();
      if (endpoint.isEmpty()) {
        problems.add(new ConfigProblem("endpoint", "required; set it to host:port, such as \"collector:4317\""));
      }
      if (sendingQueue.queueSize() <= 0) {
        problems.add(new ConfigProblem("sending_queue.queue_size",
            "must be positive, got " + sendingQueue.queueSize()));
      }
      if (sendingQueue.numConsumers() <= 0) {
        problems.add(new ConfigProblem("sending_queue.num_consumers",
            "must be positive, got " + sendingQueue.numConsumers()));
      }
      return problems;
    }
  }

  public static final class OtlpExporterFactory implements ExporterFactory<OtlpExporterConfig> {
    @Override
    public String type() {
      return "otlp";
    }

    @Override
    public Class<OtlpExporterConfig> configClass() {
      return OtlpExporterConfig.class;
    }

    @Override
    public OtlpExporterConfig defaultConfig() {
      return new OtlpExporterConfig("", Duration.ofSeconds(5), Map.of("user-agent", "sluice"), false,
          new OtlpExporterConfig.SendingQueue(true, 10, 1000));
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Exporter create(ComponentContext ctx, OtlpExporterConfig config) {
      throw new UnsupportedOperationException();
    }
  }

  enum Verbosity {
    BASIC,
    NORMAL,
    DETAILED
  }

  record DebugConfig(Verbosity verbosity, int samplingInitial) implements ComponentConfig {}

  public static final class DebugExporterFactory implements ExporterFactory<DebugConfig> {
    @Override
    public String type() {
      return "debug";
    }

    @Override
    public Class<DebugConfig> configClass() {
      return DebugConfig.class;
    }

    @Override
    public DebugConfig defaultConfig() {
      return new DebugConfig(Verbosity.BASIC, 2);
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Exporter create(ComponentContext ctx, DebugConfig config) {
      throw new UnsupportedOperationException();
    }
  }

  // ---- connectors ----

  /** Counts spans or log records into metrics: traces to metrics and logs to metrics. */
  record CountConfig(Map<String, String> attributes) implements ComponentConfig {}

  public static final class CountConnectorFactory implements ConnectorFactory<CountConfig> {
    @Override
    public String type() {
      return "count";
    }

    @Override
    public Class<CountConfig> configClass() {
      return CountConfig.class;
    }

    @Override
    public CountConfig defaultConfig() {
      return new CountConfig(Map.of());
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.of(Signal.TRACES, Signal.LOGS);
    }

    @Override
    public boolean supports(Signal from, Signal to) {
      return from != Signal.METRICS && to == Signal.METRICS;
    }

    @Override
    public Connector create(ComponentContext ctx, CountConfig config, Signal from, Signal to, Consumer next) {
      throw new UnsupportedOperationException();
    }
  }

  // ---- extensions ----

  record HealthCheckConfig(String endpoint) implements ComponentConfig {}

  public static final class HealthCheckExtensionFactory implements ExtensionFactory<HealthCheckConfig> {
    @Override
    public String type() {
      return "health_check";
    }

    @Override
    public Class<HealthCheckConfig> configClass() {
      return HealthCheckConfig.class;
    }

    @Override
    public HealthCheckConfig defaultConfig() {
      return new HealthCheckConfig("localhost:13133");
    }

    @Override
    public Extension create(ComponentContext ctx, HealthCheckConfig config) {
      throw new UnsupportedOperationException();
    }
  }
}

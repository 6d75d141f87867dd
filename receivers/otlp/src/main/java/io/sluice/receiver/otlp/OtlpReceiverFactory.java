package io.sluice.receiver.otlp;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import java.util.Map;
import java.util.Set;

/**
 * Makes {@code otlp} receivers: OTLP/gRPC (default {@code localhost:4317}) and OTLP/HTTP
 * (default {@code localhost:4318}) for traces, metrics and logs.
 *
 * <p><b>Which protocols are on.</b> As in the Collector, a protocol is on when its key is
 * present under {@code protocols}, with or without settings:
 *
 * <pre>
 * receivers:
 *   otlp:                 # no protocols section: gRPC and HTTP, both with defaults
 *   otlp/grpc_only:
 *     protocols:
 *       grpc:             # on, with defaults; http is not named, so it is off
 *   otlp/custom:
 *     protocols:
 *       grpc: { endpoint: 0.0.0.0:4317 }
 *       http: { endpoint: 0.0.0.0:4318, max_request_body_size: 10485760 }
 * </pre>
 *
 * To make that rule work with defaults merged under the user's keys, {@link #defaultConfig()}
 * leaves {@code protocols} null; a protocol's missing fields are filled in by its record, and a
 * {@code protocols} section that names no protocol is a config error.
 *
 * <p><b>Answers.</b> A request for a signal that no pipeline of this receiver carries gets gRPC
 * {@code UNIMPLEMENTED} / HTTP 404. The pipeline's verdict is mapped as {@link Refusal}
 * describes: overload → {@code RESOURCE_EXHAUSTED} (with RetryInfo) / 429 (with Retry-After),
 * other retryable failures → {@code UNAVAILABLE} / 503, bad data → {@code INVALID_ARGUMENT} / 400,
 * and an unexpected failure → {@code UNAVAILABLE} / 503, because it is most likely transient and
 * the client should keep the data. A request is answered only once its batch is acknowledged.
 */
public final class OtlpReceiverFactory implements ReceiverFactory<OtlpReceiverConfig> {
  public static final String TYPE = "otlp";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Class<OtlpReceiverConfig> configClass() {
    return OtlpReceiverConfig.class;
  }

  /** No {@code protocols} section: both protocols with their defaults. */
  @Override
  public OtlpReceiverConfig defaultConfig() {
    return new OtlpReceiverConfig(null);
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.TRACES, Signal.METRICS, Signal.LOGS);
  }

  @Override
  public Receiver create(ComponentContext ctx, OtlpReceiverConfig config, Map<Signal, Consumer> next) {
    return new OtlpReceiver(ctx, config == null ? defaultConfig() : config, next);
  }
}

package io.sluice.exporter.jaeger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import java.util.List;

/**
 * A benchmark's way into the jaeger exporter's package-private translation, from the perf-tests
 * module (same package name, so it sees what the exporter's own classes see; nothing of the
 * exporter is changed): one {@link JaegerEncoder}, reused as the exporter reuses its own.
 */
public final class JaegerEncoderProbe {
  private final JaegerEncoder encoder = new JaegerEncoder();

  /**
   * Translates the spans of an encoded {@code ExportTraceServiceRequest} as the exporter does a
   * batch an OTLP receiver handed on: the resources are found in the bytes (as the receiver finds
   * them) and translated from there. Returns the {@code PostSpansRequest}.
   */
  public byte[] encode(byte[] otlpRequest) throws InvalidProtocolBufferException {
    return encoder.encode(EncodedResources.scanRequest(Signal.TRACES, otlpRequest, 0, otlpRequest.length)).bytes();
  }

  /**
   * Translates parsed resources as the exporter does a batch a processor rewrote: encoded as OTLP
   * first, then translated. Returns the {@code PostSpansRequest}.
   */
  public byte[] encode(List<ResourceSpans> resources) {
    return encoder.encode(resources).bytes();
  }
}

package io.sluice.exporter.jaeger;

import io.sluice.core.otlp.EncodedResources;
import java.util.List;

/**
 * OTLP spans as Jaeger {@code api_v2} {@code Span} messages, one per span, each carrying its
 * process (the resource): the values of Jaeger's Kafka format, which the kafka exporter writes
 * with {@code encoding: jaeger_proto}. The mapping is the Jaeger exporter's ({@link JaegerEncoder}).
 * Safe to call from any thread: each thread encodes with an encoder of its own.
 */
public final class JaegerSpanMessages {
  private static final ThreadLocal<JaegerEncoder> ENCODERS = ThreadLocal.withInitial(JaegerEncoder::new);

  private JaegerSpanMessages() {}

  /**
   * Encoded spans.
   *
   * @param spans one {@code Span} message per span, in the order the spans came
   * @param invalidSpans spans left out because a trace, span or parent span ID has the wrong length
   */
  public record Encoded(List<byte[]> spans, int invalidSpans) {}

  /**
   * The spans of encoded {@code ResourceSpans} messages as Jaeger {@code Span} messages.
   *
   * @throws IllegalArgumentException when a message is malformed
   */
  public static Encoded encode(EncodedResources resourceSpans) {
    JaegerEncoder.SpanMessages m = ENCODERS.get().encodeSpans(resourceSpans);
    return new Encoded(m.spans(), m.invalidSpans());
  }
}

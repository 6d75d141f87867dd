package io.sluice.core;

import java.util.Map;

/**
 * What travels with a batch besides the data: where it came from, when it arrived and for whom.
 *
 * @param source the receiver (or connector) that produced the batch
 * @param receivedAtNanos {@link System#nanoTime()} when the first byte of it was accepted
 * @param tenant the tenant it belongs to, empty when the gateway is not multi-tenant
 * @param metadata request metadata a receiver chose to keep (client headers), never null
 * @param rejections where components tally items they drop on purpose, for the source's answer
 *     (OTLP {@code partial_success}); {@link Rejections#NONE} when the source asks no count
 */
public record Envelope(ComponentId source, long receivedAtNanos, String tenant, Map<String, String> metadata,
    Rejections rejections) {
  public Envelope {
    tenant = tenant == null ? "" : tenant;
    metadata = metadata == null ? Map.of() : metadata;
    rejections = rejections == null ? Rejections.NONE : rejections;
  }

  /** With no count of rejections. */
  public Envelope(ComponentId source, long receivedAtNanos, String tenant, Map<String, String> metadata) {
    this(source, receivedAtNanos, tenant, metadata, Rejections.NONE);
  }

  public static Envelope of(ComponentId source) {
    return new Envelope(source, System.nanoTime(), "", Map.of());
  }
}

package io.sluice.core;

import java.util.Map;

/**
 * What travels with a batch besides the data: where it came from, when it arrived and for whom.
 *
 * @param source the receiver (or connector) that produced the batch
 * @param receivedAtNanos {@link System#nanoTime()} when the first byte of it was accepted
 * @param tenant the tenant it belongs to, empty when the gateway is not multi-tenant
 * @param metadata request metadata a receiver chose to keep (client headers), never null
 */
public record Envelope(ComponentId source, long receivedAtNanos, String tenant, Map<String, String> metadata) {
  public Envelope {
    tenant = tenant == null ? "" : tenant;
    metadata = metadata == null ? Map.of() : metadata;
  }

  public static Envelope of(ComponentId source) {
    return new Envelope(source, System.nanoTime(), "", Map.of());
  }
}

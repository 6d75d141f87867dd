package io.sluice.processor.tailsampling;

import java.util.Arrays;

/**
 * A resource as it arrived: the fields of a {@code ResourceSpans} message other than its scopes
 * (the {@code Resource} and the schema URL), copied, with the tenant of the batch it came in.
 * Interned per shard, so that spans of one service from many batches share one object and leave
 * in one {@code ResourceSpans}.
 */
final class ResourceRef {
  final String tenant;
  /** The fields other than {@code scope_spans}, encoded as they arrived (tags included). */
  final byte[] header;
  /** Where the {@code Resource} message's bytes are in {@link #header}; -1 when it has none. */
  final int resourceOff;
  final int resourceLen;
  private final int hash;

  ResourceRef(String tenant, byte[] header, int resourceOff, int resourceLen) {
    this.tenant = tenant;
    this.header = header;
    this.resourceOff = resourceOff;
    this.resourceLen = resourceLen;
    this.hash = 31 * tenant.hashCode() + Arrays.hashCode(header);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ResourceRef r && r.hash == hash && r.tenant.equals(tenant) && Arrays.equals(r.header, header);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}

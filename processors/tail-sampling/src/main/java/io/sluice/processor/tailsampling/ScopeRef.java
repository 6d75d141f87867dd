package io.sluice.processor.tailsampling;

import java.util.Arrays;

/**
 * An instrumentation scope as it arrived: the fields of a {@code ScopeSpans} message other than
 * its spans (the {@code InstrumentationScope} and the schema URL), copied, under its (interned)
 * resource. Interned per shard, like {@link ResourceRef}.
 */
final class ScopeRef {
  final ResourceRef resource;
  /** The fields other than {@code spans}, encoded as they arrived (tags included). */
  final byte[] header;
  /** Where the {@code InstrumentationScope} message's bytes are in {@link #header}; -1 when it has none. */
  final int scopeOff;
  final int scopeLen;
  private final int hash;

  ScopeRef(ResourceRef resource, byte[] header, int scopeOff, int scopeLen) {
    this.resource = resource;
    this.header = header;
    this.scopeOff = scopeOff;
    this.scopeLen = scopeLen;
    this.hash = 31 * System.identityHashCode(resource) + Arrays.hashCode(header);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScopeRef s && s.hash == hash && s.resource == resource && Arrays.equals(s.header, header);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}

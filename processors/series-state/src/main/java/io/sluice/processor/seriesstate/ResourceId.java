package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;

/**
 * A resource's identity: its attributes, in key order (the order they arrived in does not make
 * another resource). Keeps the first {@link Resource} message seen to write output under.
 */
public final class ResourceId {
  public static final ResourceId EMPTY = new ResourceId(Resource.getDefaultInstance());

  private final Resource resource;
  private final List<KeyValue> attributes;
  private final int hash;

  public ResourceId(Resource resource) {
    this.resource = resource;
    this.attributes = AttributeSets.sorted(resource.getAttributesList());
    this.hash = attributes.hashCode();
  }

  /** The resource message to write output under. */
  public Resource resource() {
    return resource;
  }

  public List<KeyValue> attributes() {
    return attributes;
  }

  @Override
  public boolean equals(Object o) {
    return o == this || (o instanceof ResourceId r && r.hash == hash && r.attributes.equals(attributes));
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return AttributeSets.describe(attributes);
  }
}

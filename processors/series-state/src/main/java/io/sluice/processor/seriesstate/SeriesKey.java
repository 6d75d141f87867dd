package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.List;
import java.util.Objects;

/**
 * One series: a metric name, its point attributes (in key order), the resource it comes from and
 * its instrumentation scope (name and version). Two points with equal keys belong to one series.
 */
public final class SeriesKey {
  private final ResourceId resource;
  private final String scopeName;
  private final String scopeVersion;
  private final String metric;
  private final List<KeyValue> attributes;
  private final int hash;

  public SeriesKey(ResourceId resource, InstrumentationScope scope, String metric, List<KeyValue> sortedAttributes) {
    this(resource, scope.getName(), scope.getVersion(), metric, sortedAttributes);
  }

  public SeriesKey(ResourceId resource, String scopeName, String scopeVersion, String metric,
      List<KeyValue> sortedAttributes) {
    this.resource = resource;
    this.scopeName = scopeName;
    this.scopeVersion = scopeVersion;
    this.metric = metric;
    this.attributes = sortedAttributes;
    int h = resource.hashCode();
    h = 31 * h + scopeName.hashCode();
    h = 31 * h + scopeVersion.hashCode();
    h = 31 * h + metric.hashCode();
    h = 31 * h + sortedAttributes.hashCode();
    this.hash = h;
  }

  public ResourceId resource() {
    return resource;
  }

  public String scopeName() {
    return scopeName;
  }

  public String scopeVersion() {
    return scopeVersion;
  }

  public String metric() {
    return metric;
  }

  public List<KeyValue> attributes() {
    return attributes;
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    return o instanceof SeriesKey k && k.hash == hash && k.metric.equals(metric) && k.attributes.equals(attributes)
        && k.resource.equals(resource) && k.scopeName.equals(scopeName) && k.scopeVersion.equals(scopeVersion);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return metric + AttributeSets.describe(attributes) + " of resource " + resource
        + (scopeName.isEmpty() ? "" : " scope " + scopeName + (scopeVersion.isEmpty() ? "" : "@" + scopeVersion));
  }

  /** Equal name, resource and scope: the key with other attributes. */
  public SeriesKey withAttributes(List<KeyValue> sortedAttributes) {
    return Objects.equals(sortedAttributes, attributes) ? this
        : new SeriesKey(resource, scopeName, scopeVersion, metric, sortedAttributes);
  }
}

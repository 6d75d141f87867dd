package io.sluice.processor.attributes;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import java.util.List;
import java.util.Map;

/**
 * The {@code resource} processor's batch function: runs the actions over every resource's
 * attributes. Returns the batch's own resource list when nothing changed.
 */
final class ResourceTransform implements BatchTransform {
  private final AttributeActions actions;

  ResourceTransform(ResourceProcessorConfig config) {
    this.actions = AttributeActions.compile(config.attributes());
  }

  @Override
  public List<?> apply(Batch batch) {
    Map<String, String> md = batch.envelope().metadata();
    return switch (batch.signal()) {
      case TRACES -> Rebuild.map(batch.resourceSpans(), rs -> {
        Resource r = resource(rs.getResource(), md);
        return r == rs.getResource() ? rs : rs.toBuilder().setResource(r).build();
      });
      case LOGS -> Rebuild.map(batch.resourceLogs(), rl -> {
        Resource r = resource(rl.getResource(), md);
        return r == rl.getResource() ? rl : rl.toBuilder().setResource(r).build();
      });
      case METRICS -> Rebuild.map(batch.resourceMetrics(), rm -> {
        Resource r = resource(rm.getResource(), md);
        return r == rm.getResource() ? rm : rm.toBuilder().setResource(r).build();
      });
    };
  }

  private Resource resource(Resource r, Map<String, String> md) {
    List<KeyValue> a = actions.apply(r.getAttributesList(), md);
    return a == r.getAttributesList() ? r : r.toBuilder().clearAttributes().addAllAttributes(a).build();
  }
}

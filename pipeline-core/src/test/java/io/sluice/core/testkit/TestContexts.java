package io.sluice.core.testkit;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Host;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Vertx;

/** Builds {@link ComponentContext}s for components run on their own in tests. */
public final class TestContexts {
  private TestContexts() {}

  public static ComponentContext context(Vertx vertx, ComponentKind kind, String id) {
    return new ComponentContext(ComponentId.parse(id), kind, "", vertx, new SelfMetrics(), Host.ALWAYS_READY);
  }

  public static ComponentContext context(Vertx vertx, ComponentKind kind, String id, SelfMetrics metrics) {
    return new ComponentContext(ComponentId.parse(id), kind, "", vertx, metrics, Host.ALWAYS_READY);
  }

  public static ComponentContext processorContext(Vertx vertx, String id, String pipeline, SelfMetrics metrics) {
    return new ComponentContext(
        ComponentId.parse(id), ComponentKind.PROCESSOR, pipeline, vertx, metrics, Host.ALWAYS_READY);
  }
}

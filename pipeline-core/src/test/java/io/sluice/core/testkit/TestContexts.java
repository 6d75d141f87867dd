package io.sluice.core.testkit;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Optional;

/** Builds {@link ComponentContext}s for components run on their own in tests. */
public final class TestContexts {
  private TestContexts() {}

  public static ComponentContext context(Vertx vertx, ComponentKind kind, String id) {
    return new ComponentContext(ComponentId.parse(id), kind, "", vertx, new SelfMetrics(), Host.ALWAYS_READY);
  }

  public static ComponentContext context(Vertx vertx, ComponentKind kind, String id, SelfMetrics metrics) {
    return new ComponentContext(ComponentId.parse(id), kind, "", vertx, metrics, Host.ALWAYS_READY);
  }

  /** A ready host running these extensions (started by the caller), such as authenticators. */
  public static Host hostWith(Map<ComponentId, Extension> extensions) {
    Map<ComponentId, Extension> copy = Map.copyOf(extensions);
    return new Host() {
      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public Optional<Extension> extension(ComponentId id) {
        return Optional.ofNullable(copy.get(id));
      }
    };
  }

  public static ComponentContext processorContext(Vertx vertx, String id, String pipeline, SelfMetrics metrics) {
    return new ComponentContext(
        ComponentId.parse(id), ComponentKind.PROCESSOR, pipeline, vertx, metrics, Host.ALWAYS_READY);
  }
}

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

/** Hosts that hold extensions, for components that look one up in their {@code start()}. */
public final class TestHosts {
  private TestHosts() {}

  /** A ready host whose extensions are these, by id ({@code "basicauth/out"}). */
  public static Host withExtensions(Map<String, ? extends Extension> extensions) {
    return new Host() {
      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public Optional<Extension> extension(ComponentId id) {
        return Optional.ofNullable(extensions.get(id.toString()));
      }
    };
  }

  /** A context for component {@code id} of {@code kind} on a host with these extensions. */
  public static ComponentContext context(Vertx vertx, ComponentKind kind, String id, SelfMetrics metrics,
      Map<String, ? extends Extension> extensions) {
    return new ComponentContext(ComponentId.parse(id), kind, "", vertx, metrics, withExtensions(extensions));
  }
}

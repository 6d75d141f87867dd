package io.sluice.core.health;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;

/** Makes the {@code health_check} extension: HTTP health and readiness of the gateway. */
public final class HealthCheckExtensionFactory implements ExtensionFactory<HealthCheckConfig> {
  @Override
  public String type() {
    return "health_check";
  }

  @Override
  public Class<HealthCheckConfig> configClass() {
    return HealthCheckConfig.class;
  }

  @Override
  public HealthCheckConfig defaultConfig() {
    return new HealthCheckConfig("localhost:13133", "/");
  }

  @Override
  public Extension create(ComponentContext ctx, HealthCheckConfig config) {
    return new HealthCheckExtension(ctx, config);
  }
}

package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;

/** Makes the {@code basicauth} extension: HTTP basic auth for the requests of the components naming it. */
public final class BasicAuthExtensionFactory implements ExtensionFactory<BasicAuthConfig> {
  @Override
  public String type() {
    return "basicauth";
  }

  @Override
  public Class<BasicAuthConfig> configClass() {
    return BasicAuthConfig.class;
  }

  @Override
  public BasicAuthConfig defaultConfig() {
    return new BasicAuthConfig(null);
  }

  @Override
  public Extension create(ComponentContext ctx, BasicAuthConfig config) {
    return new BasicAuthExtension(ctx, config);
  }
}

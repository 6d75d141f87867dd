package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;
import java.util.List;

/** Makes the {@code bearertokenauth} extension: a bearer token on the requests of the components naming it. */
public final class BearerTokenAuthExtensionFactory implements ExtensionFactory<BearerTokenAuthConfig> {
  @Override
  public String type() {
    return "bearertokenauth";
  }

  @Override
  public Class<BearerTokenAuthConfig> configClass() {
    return BearerTokenAuthConfig.class;
  }

  @Override
  public BearerTokenAuthConfig defaultConfig() {
    return new BearerTokenAuthConfig("Bearer", "", "", "Authorization", List.of());
  }

  @Override
  public Extension create(ComponentContext ctx, BearerTokenAuthConfig config) {
    return new BearerTokenAuthExtension(ctx, config);
  }
}

package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;

/** Makes the {@code oidc} extension: receivers accept requests bearing a JWT of the configured issuer. */
public final class OidcAuthExtensionFactory implements ExtensionFactory<OidcAuthConfig> {
  @Override
  public String type() {
    return "oidc";
  }

  @Override
  public Class<OidcAuthConfig> configClass() {
    return OidcAuthConfig.class;
  }

  @Override
  public OidcAuthConfig defaultConfig() {
    return new OidcAuthConfig(null, null, null, null, null, null, null);
  }

  @Override
  public Extension create(ComponentContext ctx, OidcAuthConfig config) {
    return new OidcAuthExtension(ctx, config);
  }
}

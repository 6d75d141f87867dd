package io.sluice.core.auth;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Extension;
import java.util.ArrayList;
import java.util.List;

/**
 * A component's {@code auth} section, as in the Collector: {@code authenticator} is the id of an
 * extension, listed in {@code service.extensions}, that authenticates its requests.
 *
 * @param authenticator the extension id, such as {@code basicauth/client}
 */
public record AuthSettings(String authenticator) {
  public AuthSettings {
    authenticator = authenticator == null ? "" : authenticator.trim();
  }

  /** Problems with this section, with key paths under {@code prefix} (such as {@code auth}). */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    String key = prefix + ".authenticator";
    if (authenticator.isEmpty()) {
      problems.add(new ConfigProblem(key, "is required: the id of an authenticator extension, such as"
          + " \"basicauth/client\" or \"bearertokenauth\", that is also listed in service.extensions"));
    } else {
      try {
        ComponentId.parse(authenticator);
      } catch (IllegalArgumentException e) {
        problems.add(new ConfigProblem(key, e.getMessage()));
      }
    }
    return problems;
  }

  /**
   * The started client authenticator this section names, looked up on {@code ctx}'s host; call
   * it from the component's {@code start()}.
   *
   * @param prefix the key path of this section, such as {@code auth}, for the error message
   * @throws IllegalStateException naming the key when the extension is not listed in
   *     {@code service.extensions} or does not authenticate HTTP requests
   */
  public HttpClientAuth resolve(ComponentContext ctx, String prefix) {
    Extension ext = extension(ctx, prefix);
    if (!(ext instanceof HttpClientAuth auth) || ext instanceof BasicAuthExtension b && !b.hasClientAuth()) {
      throw new IllegalStateException(prefix + ".authenticator: the extension \"" + authenticator + "\" does not"
          + " authenticate outgoing requests; name a basicauth extension with client_auth, or a bearertokenauth one");
    }
    return auth;
  }

  /**
   * The started server authenticator this section names, for a receiver; call it from the
   * receiver's {@code start()}.
   *
   * @param prefix the key path of this section, such as {@code protocols.grpc.auth}
   * @throws IllegalStateException naming the key when the extension is not listed in
   *     {@code service.extensions} or does not check incoming requests
   */
  public ServerAuthenticator resolveServer(ComponentContext ctx, String prefix) {
    Extension ext = extension(ctx, prefix);
    if (!(ext instanceof ServerAuthenticator auth) || ext instanceof BasicAuthExtension b && !b.hasHtpasswd()) {
      throw new IllegalStateException(prefix + ".authenticator: the extension \"" + authenticator + "\" does not"
          + " check incoming requests; name a basicauth extension with htpasswd, or a bearertokenauth or oidc one");
    }
    return auth;
  }

  private Extension extension(ComponentContext ctx, String prefix) {
    String key = prefix + ".authenticator";
    ComponentId id;
    try {
      id = ComponentId.parse(authenticator);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(key + ": " + e.getMessage(), e);
    }
    return ctx.host().extension(id).orElseThrow(() -> new IllegalStateException(key + ": the extension \"" + id
        + "\" is not running; define it under \"extensions\" and list it in service.extensions"));
  }
}

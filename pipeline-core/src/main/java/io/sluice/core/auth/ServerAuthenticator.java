package io.sluice.core.auth;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.Map;

/**
 * An extension that checks the credentials of incoming requests ({@code basicauth} with
 * {@code htpasswd}, {@code bearertokenauth}, {@code oidc}). A receiver names one with
 * {@code auth: {authenticator: <id>}} and answers a request it refuses with gRPC
 * {@code UNAUTHENTICATED} or HTTP 401.
 */
public interface ServerAuthenticator {
  /**
   * Checks one request. Called on the request's event loop, for every request, once the
   * extension has started; never blocks (slow checks, such as bcrypt, run on a worker).
   *
   * @param headers the HTTP headers or gRPC metadata of the request; names are case-insensitive
   * @return succeeds with what is known about the client, such as {@code username} or
   *     {@code subject} (possibly empty); fails with an {@link AuthenticationException} whose
   *     message can be sent to the client and logged, as it never holds the credential
   */
  Future<Map<String, String>> authenticate(MultiMap headers);
}

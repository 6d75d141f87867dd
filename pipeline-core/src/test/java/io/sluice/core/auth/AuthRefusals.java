package io.sluice.core.auth;

import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** For tests of server authenticators. */
final class AuthRefusals {
  private AuthRefusals() {}

  /** Why the request was refused, or null when it was accepted. */
  static String refusal(Future<Map<String, String>> f) throws Exception {
    try {
      f.await(10, TimeUnit.SECONDS);
      return null;
    } catch (AuthenticationException e) {
      return e.getMessage();
    }
  }
}

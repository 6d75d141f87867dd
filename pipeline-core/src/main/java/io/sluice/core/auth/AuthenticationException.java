package io.sluice.core.auth;

/**
 * A request's credentials were missing or not accepted. The message says why without quoting
 * the credential, so it may be sent to the client and logged.
 */
public final class AuthenticationException extends RuntimeException {
  public AuthenticationException(String message) {
    super(message, null, false, false);
  }
}

package io.sluice.core;

/** The data is bad and will never be accepted: the sender must not retry it. */
public class PermanentException extends RuntimeException {
  public PermanentException(String message) {
    super(message);
  }

  public PermanentException(String message, Throwable cause) {
    super(message, cause);
  }

  /** True when {@code t}, or its cause chain, says the failure is permanent. */
  public static boolean isPermanent(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof PermanentException) {
        return true;
      }
      if (c instanceof RetryableException) {
        return false;
      }
    }
    return false;
  }
}

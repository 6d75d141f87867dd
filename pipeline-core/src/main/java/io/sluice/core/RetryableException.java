package io.sluice.core;

import java.time.Duration;

/**
 * A batch was not taken now but may be later: a queue is full, a backend is down. The sender
 * should try again, after {@link #retryAfter()} when it is known.
 */
public class RetryableException extends RuntimeException {
  private final Duration retryAfter;

  public RetryableException(String message) {
    this(message, null, null);
  }

  public RetryableException(String message, Throwable cause) {
    this(message, null, cause);
  }

  public RetryableException(String message, Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.retryAfter = retryAfter;
  }

  /** How long the peer asked us to wait, or null when it did not say. */
  public Duration retryAfter() {
    return retryAfter;
  }
}

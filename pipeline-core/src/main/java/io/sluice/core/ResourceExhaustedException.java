package io.sluice.core;

import java.time.Duration;

/**
 * The gateway is overloaded (memory limit, full sending queue): a retryable refusal that
 * receivers answer with gRPC {@code RESOURCE_EXHAUSTED} or HTTP 429 and a retry delay.
 */
public class ResourceExhaustedException extends RetryableException {
  public ResourceExhaustedException(String message, Duration retryAfter) {
    super(message, retryAfter, null);
  }
}

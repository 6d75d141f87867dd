package io.sluice.receiver.otlp;

import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import java.time.Duration;

/**
 * How a failed hand-over to the pipeline is answered on each transport.
 *
 * <ul>
 *   <li>{@link ResourceExhaustedException} (the gateway is overloaded): gRPC
 *       {@code RESOURCE_EXHAUSTED} with a {@code RetryInfo} when the delay is known, HTTP 429 with
 *       {@code Retry-After}. Without a known delay gRPC answers {@code UNAVAILABLE} instead,
 *       because OTLP clients retry {@code RESOURCE_EXHAUSTED} only when it carries a RetryInfo.
 *   <li>Any other {@link RetryableException}: {@code UNAVAILABLE} / 503, with the delay when known.
 *   <li>{@link PermanentException} (bad data): {@code INVALID_ARGUMENT} / 400.
 *   <li>Anything else (a bug or an unexpected failure downstream): {@code UNAVAILABLE} / 503, so
 *       the client keeps the data and retries; such failures are most likely transient, and
 *       telling the client the data is bad would lose it for good.
 * </ul>
 *
 * The first of these found along the cause chain decides.
 *
 * @param grpcCode the gRPC status code
 * @param httpStatus the HTTP status code
 * @param message what to tell the client
 * @param retryAfter how long the client should wait, or null when unknown
 * @param unexpected true when the failure was none of the known kinds
 */
record Refusal(int grpcCode, int httpStatus, String message, Duration retryAfter, boolean unexpected) {
  static final int INVALID_ARGUMENT = 3;
  static final int NOT_FOUND = 5;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;
  static final int UNAUTHENTICATED = 16;

  static Refusal of(Throwable failure) {
    for (Throwable c = failure; c != null; c = c.getCause()) {
      if (c instanceof PermanentException) {
        return new Refusal(INVALID_ARGUMENT, 400, message(c), null, false);
      }
      if (c instanceof ResourceExhaustedException re) {
        Duration after = re.retryAfter();
        return new Refusal(after != null ? RESOURCE_EXHAUSTED : UNAVAILABLE, 429, message(c), after, false);
      }
      if (c instanceof RetryableException re) {
        return new Refusal(UNAVAILABLE, 503, message(c), re.retryAfter(), false);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return new Refusal(UNAVAILABLE, 503, "the pipeline failed unexpectedly: " + message(failure), null, true);
  }

  /** {@code Retry-After} in whole seconds, rounded up; null when no delay is known. */
  static String retryAfterSeconds(Duration retryAfter) {
    if (retryAfter == null) {
      return null;
    }
    long ms = Math.max(0, retryAfter.toMillis());
    return Long.toString((ms + 999) / 1000);
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}

package io.sluice.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Items a component dropped on purpose from a batch it accepted (a filter, invalid items inside
 * a valid request), tallied for the receiver that took the request in: an OTLP receiver answers
 * with {@code partial_success} carrying the count and the first reason. Travels in the batch's
 * {@link Envelope}; safe from any thread.
 */
public final class Rejections {
  /** For batches whose source asks no count: adding to it does nothing. */
  public static final Rejections NONE = new Rejections(false);

  private final boolean counting;
  private final AtomicLong count = new AtomicLong();
  private final AtomicReference<String> firstReason = new AtomicReference<>();

  private Rejections(boolean counting) {
    this.counting = counting;
  }

  /** A new, empty tally, for one request. */
  public static Rejections counting() {
    return new Rejections(true);
  }

  /**
   * Records that {@code items} were dropped and why.
   *
   * @param reason said to the client, so it names no credential and no user data beyond counts
   */
  public void add(long items, String reason) {
    if (!counting || items <= 0) {
      return;
    }
    count.addAndGet(items);
    firstReason.compareAndSet(null, reason);
  }

  /** Items dropped so far. */
  public long count() {
    return count.get();
  }

  /** The first reason given, or an empty string. */
  public String message() {
    String r = firstReason.get();
    return r == null ? "" : r;
  }

  @Override
  public String toString() {
    return counting ? "Rejections[" + count() + "]" : "Rejections.NONE";
  }
}

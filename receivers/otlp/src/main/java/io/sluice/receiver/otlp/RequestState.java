package io.sluice.receiver.otlp;

/**
 * The bookkeeping every OTLP request shares, over gRPC and HTTP alike. A request counts as in
 * flight (shutdown waits for it) from {@link #begin()} until it is answered, or until its client
 * goes away before it was handed to the pipeline; and it is answered at most once. Used on the
 * request's context only.
 */
final class RequestState {
  private final OtlpReceiver receiver;
  private boolean counted;
  private boolean handedOn;
  private boolean done;
  /** Bytes taken from the receiver's budget of bytes in flight, given back when the request ends. */
  private long reserved;

  RequestState(OtlpReceiver receiver) {
    this.receiver = receiver;
  }

  /** Counts the request as in flight until it ends. */
  void begin() {
    if (!counted && !done) {
      counted = true;
      receiver.requestStarted();
    }
  }

  /**
   * Takes {@code bytes} more of the receiver's budget for this request's body.
   *
   * @return false when they do not fit: the request should be refused as overloaded
   */
  boolean reserve(long bytes) {
    if (!receiver.reserveBytes(bytes)) {
      return false;
    }
    reserved += bytes;
    return true;
  }

  /** True once the request was answered or given up: nothing more is to be done with it. */
  boolean done() {
    return done;
  }

  /** The body went to be decoded and handed on; from now on the pipeline's answer is awaited. */
  void handedOn() {
    handedOn = true;
  }

  /** Takes the request's one answer; false when it was answered or given up already. */
  boolean answer() {
    if (done) {
      return false;
    }
    done = true;
    release();
    return true;
  }

  /**
   * The client went away. Before the hand-on nothing more will come, so the request ends here;
   * after it, the pipeline's answer is still awaited and the reply to the gone client fails
   * quietly.
   *
   * @return false when the request had ended already
   */
  boolean abandon() {
    if (done) {
      return false;
    }
    if (!handedOn) {
      done = true;
      release();
    }
    return true;
  }

  private void release() {
    if (reserved > 0) {
      receiver.releaseBytes(reserved);
      reserved = 0;
    }
    if (counted) {
      counted = false;
      receiver.requestFinished();
    }
  }
}

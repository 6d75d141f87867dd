package io.sluice.perf;

/** A benchmark could not produce trustworthy figures; the message says why. */
final class BenchmarkFailed extends Exception {
  private static final long serialVersionUID = 1L;

  BenchmarkFailed(String message) {
    super(message);
  }
}

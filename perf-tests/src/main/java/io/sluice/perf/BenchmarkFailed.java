package io.sluice.perf;

/** A benchmark could not produce trustworthy figures; the message says why. */
final class BenchmarkFailed extends Exception {
  private static final long serialVersionUID = 1L;

  BenchmarkFailed(String message) {
    super(message);
  }

  /** A benchmark's process exit: {@code run}'s code, or 1 (with the reason printed) when it failed. */
  static void exitWith(java.util.concurrent.Callable<Integer> run) throws Exception {
    int code;
    try {
      code = run.call();
    } catch (BenchmarkFailed e) {
      System.err.println();
      System.err.println("BENCHMARK FAILED: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }
}

package io.sluice.core.testkit.fuzz;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;

/**
 * Runs a fuzz target: inputs made from a seeded {@link Random} (mutants of real payloads, or
 * structured inputs made by a generator), each handed to a check that throws
 * {@link AssertionError} when an invariant is broken. The first failing input is minimized
 * (ranges of bytes removed while the same failure remains) and reported with the seed that
 * reproduces the run.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code sluice.fuzz.tries}: inputs per cheap target; the standard run, the one the test
 *       command makes, is {@value #STANDARD}. Each target declares its share of a standard run
 *       ({@link #tries(long)}), so that {@code -Dsluice.fuzz.tries=1000000} makes every target run
 *       ten times as many inputs.
 *   <li>{@code sluice.fuzz.seed}: the run's seed; a fixed one by default, so that the test command
 *       is repeatable; {@code random} draws a new seed per target (printed in the summary and in a
 *       failure).
 *   <li>{@code sluice.fuzz.timeout}: seconds one input may take (see {@link FuzzGuard}).
 * </ul>
 */
public final class Fuzz {
  /** Inputs per cheap target in the standard run. */
  public static final long STANDARD = 100_000;
  /** The seed of the standard run. */
  public static final long DEFAULT_SEED = 20261207L;
  /** How long a failing input is minimized at most. */
  private static final long MINIMIZE_NANOS = 10_000_000_000L;

  private Fuzz() {}

  /** An invariant check of one input; throws {@link AssertionError} when one is broken. */
  @FunctionalInterface
  public interface Check {
    void check(byte[] input) throws Exception;
  }

  /**
   * The number of inputs for a target that runs {@code standard} inputs in the standard run,
   * scaled by {@code -Dsluice.fuzz.tries}.
   */
  public static long tries(long standard) {
    String t = System.getProperty("sluice.fuzz.tries", "").trim().replace("_", "");
    if (t.isEmpty()) {
      return standard;
    }
    long n;
    try {
      n = Long.parseLong(t);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n <= 0) {
      throw new IllegalArgumentException("-Dsluice.fuzz.tries=" + t + " is not a positive number of inputs");
    }
    return Math.max(1, Math.round(standard * (double) n / STANDARD));
  }

  /** The seed for {@code target}: the run's seed mixed with the target's name. */
  public static long seed(String target) {
    String s = System.getProperty("sluice.fuzz.seed", "").trim();
    long base;
    if (s.isEmpty()) {
      base = DEFAULT_SEED;
    } else if (s.equalsIgnoreCase("random")) {
      base = System.nanoTime() ^ new Random().nextLong();
    } else {
      base = Long.parseLong(s);
    }
    return base * 31 + target.hashCode();
  }

  /**
   * Runs {@code tries} inputs made by {@code generator} through {@code check}, under
   * {@code guard}'s name in failures and in the summary line.
   *
   * @throws AssertionError for the first input that breaks an invariant, minimized
   */
  public static void run(FuzzGuard guard, long tries, Function<Random, byte[]> generator, Check check) {
    long seed = seed(guard.target());
    Random random = new Random(seed);
    guard.seed(seed);
    for (long i = 0; i < tries; i++) {
      byte[] input = generator.apply(random);
      AssertionError failure = failure(check, input);
      if (failure != null) {
        byte[] minimal = minimize(check, input, kind(failure));
        AssertionError last = minimal.length == input.length ? failure : failure(check, minimal);
        String file = guard.saved(minimal);
        AssertionError report = new AssertionError(guard.target() + ": input " + (i + 1) + " of " + tries
            + " (seed " + seed + ") broke an invariant; minimized to " + FuzzGuard.describe(minimal)
            + (file == null ? "" : " (saved to " + file + ")") + ":\n"
            + (last == null ? failure : last).getMessage(), last == null ? failure : last);
        throw report;
      }
    }
  }

  private static AssertionError failure(Check check, byte[] input) {
    try {
      check.check(input);
      return null;
    } catch (AssertionError e) {
      return e;
    } catch (Exception e) {
      return new AssertionError("the check threw " + e, e);
    }
  }

  /** What kind of failure, to keep while minimizing: the guard's kind, or the exception type. */
  private static String kind(AssertionError e) {
    if (e instanceof FuzzGuard.Broken b) {
      return b.kind();
    }
    return e.getClass().getName();
  }

  /**
   * Removes ranges of bytes (halves, then quarters, ... then single bytes) while the input still
   * breaks the same invariant; stops after {@link #MINIMIZE_NANOS}.
   */
  static byte[] minimize(Check check, byte[] input, String kind) {
    long deadline = System.nanoTime() + MINIMIZE_NANOS;
    byte[] best = input;
    for (int chunk = Math.max(1, best.length / 2); chunk >= 1; chunk /= 2) {
      boolean progress = true;
      while (progress && System.nanoTime() < deadline) {
        progress = false;
        for (int at = 0; at < best.length && System.nanoTime() < deadline; at += chunk) {
          int len = Math.min(chunk, best.length - at);
          byte[] smaller = new byte[best.length - len];
          System.arraycopy(best, 0, smaller, 0, at);
          System.arraycopy(best, at + len, smaller, at, best.length - at - len);
          AssertionError e = failure(check, smaller);
          if (e != null && kind(e).equals(kind)) {
            best = smaller;
            progress = true;
            at -= chunk;
          }
        }
      }
      if (chunk == 1) {
        break;
      }
    }
    return Arrays.copyOf(best, best.length);
  }
}

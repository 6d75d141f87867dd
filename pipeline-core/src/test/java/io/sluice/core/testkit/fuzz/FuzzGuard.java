package io.sluice.core.testkit.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one fuzz target's inputs one at a time on a thread of its own and checks the invariants
 * every parser must keep whatever it is given:
 *
 * <ul>
 *   <li><b>no hang</b>: each input must finish within {@code -Dsluice.fuzz.timeout} (default
 *       {@value #DEFAULT_TIMEOUT_SECONDS} s); one that does not fails the property, naming the
 *       input and showing where the parser was;
 *   <li><b>bounded allocation</b>: the bytes the parsing thread allocates for an input must stay
 *       under {@code perInputByte * input length + fixed}, so that a length or a size claimed by
 *       the input cannot make the parser allocate it;
 *   <li><b>only the parser's own errors</b>: an exception escapes only if it is one of the types
 *       the target declares (its error type, or those the protocol maps to 400 /
 *       INVALID_ARGUMENT); anything else fails the property with the input.
 * </ul>
 *
 * <p>{@link Fuzz#run} writes the minimized input of a failure to {@code target/fuzz-findings/} as
 * raw bytes, to turn into a regression test. Counts of inputs accepted and rejected (per error
 * type) are printed when the guard is closed, to show how deep the inputs got.
 */
public final class FuzzGuard implements AutoCloseable {
  static final long DEFAULT_TIMEOUT_SECONDS = 10;

  /** Work on one input. */
  @FunctionalInterface
  public interface Body<T> {
    T run() throws Exception;
  }

  private final String target;
  private final List<Class<? extends Throwable>> allowed;
  private final long perInputByte;
  private final long fixed;
  private final Duration timeout;
  private final Map<String, Long> outcomes = new TreeMap<>();
  private ExecutorService worker;
  private final AtomicReference<Thread> workerThread = new AtomicReference<>();
  private long inputs;
  private long seed;
  private long slowestNanos;
  private int slowestLength;
  private long startedNanos = System.nanoTime();

  private FuzzGuard(String target, List<Class<? extends Throwable>> allowed, long perInputByte, long fixed) {
    this.target = target;
    this.allowed = List.copyOf(allowed);
    this.perInputByte = perInputByte;
    this.fixed = fixed;
    this.timeout = Duration.ofMillis(Math.round(1000 * Double.parseDouble(
        System.getProperty("sluice.fuzz.timeout", String.valueOf(DEFAULT_TIMEOUT_SECONDS)))));
    this.worker = newWorker();
  }

  /**
   * A guard for {@code target} whose parser may throw only {@code allowed} (and their subtypes),
   * allocating at most 64 bytes per input byte plus 16 MiB.
   */
  @SafeVarargs
  public static FuzzGuard of(String target, Class<? extends Throwable>... allowed) {
    return new FuzzGuard(target, Arrays.asList(allowed), 64, 16L << 20);
  }

  /** The same guard with another allocation bound: {@code perInputByte * length + fixed} bytes. */
  public FuzzGuard allocating(long perInputByte, long fixed) {
    close();
    return new FuzzGuard(target, allowed, perInputByte, fixed);
  }

  /** What became of one input: its result, or the allowed exception it was rejected with. */
  public record Outcome<T>(T value, Throwable rejected) {
    public boolean accepted() {
      return rejected == null;
    }
  }

  /**
   * Runs {@code body} on {@code input} under the invariants.
   *
   * @param input the bytes given to the parser, for the failure message and the findings file
   * @throws AssertionError naming the input when an invariant is broken
   */
  public <T> Outcome<T> run(byte[] input, Body<T> body) {
    inputs++;
    return run(input, body, true);
  }

  private <T> Outcome<T> run(byte[] input, Body<T> body, boolean first) {
    long[] allocated = {-1};
    long[] took = {0};
    Future<Outcome<T>> f = worker.submit(() -> {
      long started = System.nanoTime();
      long before = allocatedBytes();
      try {
        T v = body.run();
        allocated[0] = allocatedBytes() - before;
        took[0] = System.nanoTime() - started;
        return new Outcome<>(v, null);
      } catch (Throwable t) {
        allocated[0] = allocatedBytes() - before;
        took[0] = System.nanoTime() - started;
        return new Outcome<>(null, t);
      }
    });
    Outcome<T> o;
    try {
      o = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      Thread stuck = workerThread.get();
      StackTraceElement[] where = stuck == null ? new StackTraceElement[0] : stuck.getStackTrace();
      abandonWorker(stuck);
      AssertionError err = new Broken("timeout", target + ": input " + describe(input) + " did not finish within "
          + timeout.toMillis() + " ms");
      Throwable at = new Throwable("where the parser was");
      at.setStackTrace(where);
      err.initCause(at);
      throw err;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    if (took[0] > slowestNanos) {
      slowestNanos = took[0];
      slowestLength = input.length;
    }
    long limit = perInputByte * input.length + fixed;
    if (allocated[0] > limit && first) {
      // Loading and initializing classes on a path's first use allocates too: only an input that
      // allocates as much a second time has broken the bound.
      return run(input, body, false);
    }
    if (allocated[0] > limit) {
      throw new Broken("allocation", target + ": input " + describe(input) + " allocated " + allocated[0]
          + " bytes, over the bound of " + limit + " for an input of " + input.length + " bytes");
    }
    if (o.rejected() != null) {
      Throwable t = o.rejected();
      if (allowed.stream().noneMatch(c -> c.isInstance(t))) {
        AssertionError err = new Broken("threw " + t.getClass().getName(), target + ": input " + describe(input)
            + " threw " + t + ", which is not one of " + allowed.stream().map(Class::getSimpleName).toList());
        err.initCause(t);
        throw err;
      }
      outcomes.merge("rejected " + t.getClass().getSimpleName(), 1L, Long::sum);
    } else {
      outcomes.merge("accepted", 1L, Long::sum);
    }
    return o;
  }

  /** Records a named outcome for the summary, beside those of {@link #run}. */
  public void count(String outcome) {
    outcomes.merge(outcome, 1L, Long::sum);
  }

  /**
   * Records an input that was not run through {@link #run} (one sent over the network, say) and
   * its outcome (such as "HTTP 400"), for the summary.
   */
  public void ran(String outcome) {
    inputs++;
    count(outcome);
  }

  /** A broken invariant; {@link #kind()} is what {@link Fuzz#run} keeps while minimizing. */
  public static final class Broken extends AssertionError {
    private static final long serialVersionUID = 1L;
    private final String kind;

    Broken(String kind, String message) {
      super(message);
      this.kind = kind;
    }

    public String kind() {
      return kind;
    }
  }

  /** A failure of an invariant the caller checks, naming the target and the input. */
  public AssertionError failure(String what, byte[] input) {
    return new Broken(what, target + ": input " + describe(input) + " " + what);
  }

  public String target() {
    return target;
  }

  void seed(long seed) {
    this.seed = seed;
  }

  /** Writes {@code input} to target/fuzz-findings; returns the file, or null when it could not. */
  String saved(byte[] input) {
    try {
      Path dir = Path.of("target", "fuzz-findings");
      Files.createDirectories(dir);
      Path file = dir.resolve(target.replaceAll("[^A-Za-z0-9._-]", "_") + "-"
          + Integer.toHexString(Arrays.hashCode(input)) + ".bin");
      Files.write(file, input);
      return file.toAbsolutePath().toString();
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
  }

  /**
   * The input as a Java string literal when it is mostly text, else in hex; at most 600
   * characters of it, with its length.
   */
  public static String describe(byte[] input) {
    int printable = 0;
    for (byte b : input) {
      if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t' || b == '\r') {
        printable++;
      }
    }
    StringBuilder sb = new StringBuilder().append('(').append(input.length).append(" bytes) ");
    if (input.length == 0 || printable * 10 >= input.length * 9) {
      sb.append('"');
      for (byte b : input) {
        if (sb.length() > 600) {
          sb.append("...");
          break;
        }
        switch (b) {
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          default -> {
            if (b >= 0x20 && b < 0x7f) {
              sb.append((char) b);
            } else {
              sb.append(String.format("\\u%04x", b & 0xff));
            }
          }
        }
      }
      sb.append('"');
    } else {
      sb.append("hex ");
      for (byte b : input) {
        if (sb.length() > 600) {
          sb.append("...");
          break;
        }
        sb.append(String.format("%02x", b & 0xff));
      }
    }
    return sb.toString();
  }

  /** Prints what the inputs came to. */
  @Override
  public void close() {
    if (inputs > 0) {
      System.out.println("fuzz " + target + ": " + inputs + " inputs in "
          + (System.nanoTime() - startedNanos) / 1_000_000 + " ms (seed " + seed + "), " + outcomes
          + (slowestNanos == 0 ? "" : "; slowest input " + slowestNanos / 1_000_000 + " ms (" + slowestLength
          + " bytes)"));
      inputs = 0;
      outcomes.clear();
    }
    worker.shutdownNow();
  }

  private ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fuzz-" + target);
      t.setDaemon(true);
      workerThread.set(t);
      return t;
    });
  }

  /**
   * Gives up on a thread stuck in an input: it is stopped where the JVM still allows that (Java
   * 17), so that it does not keep a core busy while jqwik shrinks the input, and replaced.
   */
  @SuppressWarnings({"removal", "deprecation"})
  private void abandonWorker(Thread stuck) {
    worker.shutdownNow();
    if (stuck != null) {
      try {
        stuck.stop();
      } catch (UnsupportedOperationException e) {
        // newer JVMs: the daemon thread is left to finish on its own
      }
    }
    worker = newWorker();
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  /** The text of an input, for messages: UTF-8 decoded. */
  public static String text(byte[] input) {
    return new String(input, StandardCharsets.UTF_8);
  }
}

package io.sluice.perf;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** {@code sluice-load} with the given arguments on a thread of its own, its output kept. */
final class BackgroundCommand {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Thread thread;
  private volatile int code = -1;
  private volatile Throwable failure;

  BackgroundCommand(String... args) {
    thread = new Thread(() -> {
      try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
          PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
        code = SluiceLoad.run(args, o, e);
      } catch (Throwable t) {
        failure = t;
      }
    }, "sluice-load-" + args[0]);
    thread.start();
  }

  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  String err() {
    return err.toString(StandardCharsets.UTF_8) + (failure == null ? "" : "\nfailed: " + failure);
  }

  /** Interrupts the command, as a stop request ends the standalone sink. */
  void interrupt() {
    thread.interrupt();
  }

  /** Waits up to {@code timeout} for the command to end; its exit code, or -1 while it still runs. */
  int await(Duration timeout) throws InterruptedException {
    thread.join(timeout.toMillis());
    return thread.isAlive() ? -1 : code;
  }
}

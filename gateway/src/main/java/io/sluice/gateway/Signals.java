package io.sluice.gateway;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signals an operator sends the gateway: SIGHUP reloads the config, SIGTERM and SIGINT stop it
 * gracefully. Each runs on its own thread, so signal handling never blocks.
 */
final class Signals {
  private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code reload} on SIGHUP. Without SIGHUP on this platform, or when whoever started the
   * gateway ignores it (as {@code nohup} does, which the JVM then keeps), reload by signal is off,
   * and a warning says so and what to use instead.
   */
  static void onSighup(Runnable reload) {
    Handled h = handle("HUP", "sluice-reload", () -> {
      LOG.info("SIGHUP: reloading the config");
      reload.run();
    });
    if (h == Handled.NO) {
      LOG.warn("This platform has no SIGHUP; config reload by signal is off (--watch-config reloads on a change"
          + " of the config files)");
    } else if (h == Handled.IGNORED) {
      LOG.warn("SIGHUP is ignored by the process that started the gateway (nohup does that), so config reload"
          + " by signal is off; start it without nohup, or with --watch-config to reload on a change of the config"
          + " files");
    }
  }

  /**
   * Runs {@code stop} on SIGTERM or SIGINT instead of the JVM's default, which exits with 143 or
   * 130: a graceful stop that drained everything is a success, and the process exits 0. Where a
   * signal can't be handled, the JVM's shutdown hooks still stop the gateway.
   */
  static void onTerminate(Runnable stop) {
    handle("TERM", "sluice-stop", () -> {
      LOG.info("SIGTERM: stopping");
      stop.run();
    });
    handle("INT", "sluice-stop", () -> {
      LOG.info("SIGINT: stopping");
      stop.run();
    });
  }

  /** Whether a handler was installed. */
  private enum Handled { YES, NO, IGNORED }

  @SuppressWarnings("restriction")
  private static Handled handle(String name, String thread, Runnable action) {
    try {
      sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal(name),
          sig -> new Thread(action, thread).start());
      // The JVM keeps a signal that was ignored when it started ignored, and installs nothing.
      return before == sun.misc.SignalHandler.SIG_IGN ? Handled.IGNORED : Handled.YES;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return Handled.NO;
    }
  }
}

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

  /** Runs {@code reload} on SIGHUP; without SIGHUP on this platform, reload is off. */
  static void onSighup(Runnable reload) {
    if (!handle("HUP", "sluice-reload", () -> {
      LOG.info("SIGHUP: reloading the config");
      reload.run();
    })) {
      LOG.warn("This platform has no SIGHUP; config reload is off");
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

  @SuppressWarnings("restriction")
  private static boolean handle(String name, String thread, Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> new Thread(action, thread).start());
      return true;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return false;
    }
  }
}

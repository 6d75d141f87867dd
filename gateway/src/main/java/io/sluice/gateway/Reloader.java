package io.sluice.gateway;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a reload when the process gets SIGHUP, on its own thread so signal handling never blocks. */
final class Reloader {
  private static final Logger LOG = LoggerFactory.getLogger(Reloader.class);

  private Reloader() {}

  @SuppressWarnings("restriction")
  static void onSighup(Runnable reload) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
        Thread t = new Thread(() -> {
          LOG.info("SIGHUP: reloading the config");
          reload.run();
        }, "sluice-reload");
        t.start();
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      LOG.warn("This platform has no SIGHUP; config reload is off: {}", e.getMessage());
    }
  }
}

package io.sluice.gateway;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --watch-config}: watches the directories of the config files on its own thread and runs
 * the reload once the files' contents changed and then stayed quiet for {@link #DEBOUNCE}, so an
 * editor's save in several writes (or a Kubernetes ConfigMap's swap of its {@code ..data} link)
 * is one reload. Other files in those directories (a log written beside the config) are ignored,
 * and events that leave the contents as they were (a touch) do not reload.
 */
final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

  /** How long the files must stay unchanged after an event before the reload runs. */
  static final Duration DEBOUNCE = Duration.ofMillis(500);

  private final List<Path> files;
  /** The names of the config files in each watched directory. */
  private final java.util.Map<Path, Set<Path>> names = new java.util.HashMap<>();
  private final Runnable reload;
  private final WatchService watcher;
  private final Thread thread;
  private byte[] lastDigest;

  private ConfigWatcher(List<Path> files, Runnable reload) throws IOException {
    this.files = files.stream().map(f -> f.toAbsolutePath().normalize()).toList();
    this.reload = reload;
    this.watcher = FileSystems.getDefault().newWatchService();
    this.files.forEach(f -> names.computeIfAbsent(f.getParent(), d -> new LinkedHashSet<>()).add(f.getFileName()));
    for (Path dir : names.keySet()) {
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    }
    this.lastDigest = digest();
    this.thread = new Thread(this::run, "sluice-config-watch");
    this.thread.setDaemon(true);
  }

  /** Starts watching {@code files}; {@code reload} runs on the watcher's thread. */
  static ConfigWatcher start(List<Path> files, Runnable reload) throws IOException {
    ConfigWatcher w = new ConfigWatcher(files, reload);
    w.thread.start();
    LOG.info("Watching {} for changes; a change reloads the config", w.files);
    return w;
  }

  private void run() {
    try {
      while (true) {
        if (!drain(watcher.take())) {
          continue;
        }
        // Debounce: wait until no event about the config files came for DEBOUNCE.
        long quietUntil = System.nanoTime() + DEBOUNCE.toNanos();
        long left;
        while ((left = quietUntil - System.nanoTime()) > 0) {
          WatchKey more = watcher.poll(left, TimeUnit.NANOSECONDS);
          if (more != null && drain(more)) {
            quietUntil = System.nanoTime() + DEBOUNCE.toNanos();
          }
        }
        byte[] now = digest();
        if (now == null || Arrays.equals(now, lastDigest)) {
          continue; // a file is missing mid-swap (the next event brings it back) or nothing changed
        }
        lastDigest = now;
        LOG.info("A config file changed: reloading the config");
        try {
          reload.run();
        } catch (RuntimeException e) {
          LOG.error("Reloading the changed config failed: {}", e.getMessage(), e);
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: stop watching
    }
  }

  /** Takes the key's events; true when one may concern a config file. */
  private boolean drain(WatchKey key) {
    Set<Path> watched = names.getOrDefault((Path) key.watchable(), Set.of());
    boolean relevant = false;
    for (WatchEvent<?> e : key.pollEvents()) {
      if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
        relevant = true;
      } else if (e.context() instanceof Path name && (watched.contains(name) || name.toString().startsWith(".."))) {
        relevant = true;
      }
    }
    key.reset();
    return relevant;
  }

  /** A digest of every config file's contents, or null when one cannot be read. */
  private byte[] digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        md.update(Files.readAllBytes(f));
        md.update((byte) 0);
      }
      return md.digest();
    } catch (IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      watcher.close();
    } catch (IOException e) {
      LOG.debug("The config watcher did not close cleanly", e);
    }
  }
}

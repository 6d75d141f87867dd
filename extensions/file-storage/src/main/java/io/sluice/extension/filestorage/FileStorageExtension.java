package io.sluice.extension.filestorage;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Signal;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageExtension;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file_storage} extension: one H2 MVStore file per client in {@code directory}. All
 * disk work of the extension runs on one named worker thread, so the operations of every client
 * are serialised there and nothing blocks an event loop.
 */
final class FileStorageExtension implements StorageExtension {
  private static final Logger LOG = LoggerFactory.getLogger(FileStorageExtension.class);
  static final String FILE_SUFFIX = ".mvstore";

  private final ComponentContext ctx;
  private final FileStorageConfig config;
  private final Path directory;
  private final CounterDataPoint corruptFiles;
  // Touched only on the worker thread.
  private final Map<String, FileStorageClient> clients = new LinkedHashMap<>();
  private WorkerExecutor worker;
  private long reboundTimer = -1;
  private volatile boolean running;
  private Future<Void> shutdownFuture;

  FileStorageExtension(ComponentContext ctx, FileStorageConfig config) {
    this.ctx = ctx;
    this.config = config;
    this.directory = Path.of(config.directory()).toAbsolutePath().normalize();
    this.corruptFiles = ctx.metrics().sharedCounter("sluice_extension_storage_corrupt_files",
        "Store files found corrupt or torn when opened; each was moved aside and what could be read was kept.",
        "component_id").labelValues(ctx.id().toString());
  }

  @Override
  public synchronized Future<Void> start() {
    if (worker != null) {
      return Future.succeededFuture();
    }
    worker = ctx.vertx().createSharedWorkerExecutor("sluice-file-storage-" + ctx.id(), 1, 60, TimeUnit.SECONDS);
    return worker.<Void>executeBlocking(() -> {
      prepareDirectory();
      return null;
    }).onSuccess(v -> {
      running = true;
      if (config.compaction().onRebound()) {
        reboundTimer = ctx.vertx().setPeriodic(config.compaction().checkInterval().toMillis(),
            t -> worker.executeBlocking(() -> {
              clients.values().forEach(FileStorageClient::compactOnRebound);
              return null;
            }));
      }
      LOG.info("Extension '{}' keeps state in \"{}\" (fsync {})", ctx.id(), directory,
          config.fsync() ? "on" : "off");
    });
  }

  private void prepareDirectory() throws IOException {
    if (Files.isDirectory(directory)) {
      return;
    }
    if (Files.exists(directory)) {
      throw new IllegalStateException("extensions." + ctx.id() + ".directory: \"" + directory
          + "\" is not a directory");
    }
    if (!config.createDirectory()) {
      throw new IllegalStateException("extensions." + ctx.id() + ".directory: \"" + directory
          + "\" does not exist; create it or set create_directory: true");
    }
    Set<PosixFilePermission> perms = permissions(config.directoryPermissions());
    try {
      Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(perms));
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(directory);
    }
  }

  static Set<PosixFilePermission> permissions(String octal) {
    int bits = Integer.parseInt(octal, 8);
    StringBuilder sb = new StringBuilder();
    String rwx = "rwx";
    for (int i = 8; i >= 0; i--) {
      sb.append((bits & (1 << i)) != 0 ? rwx.charAt((8 - i) % 3) : '-');
    }
    return PosixFilePermissions.fromString(sb.toString());
  }

  /** The store file's name for one client: {@code receiver_filelog_app_logs.mvstore}. */
  static String fileName(ComponentKind kind, ComponentId id, Signal signal) {
    StringBuilder sb = new StringBuilder(kind.noun()).append('_').append(id.type());
    if (!id.name().isEmpty()) {
      sb.append('_').append(id.name());
    }
    if (signal != null) {
      sb.append('_').append(signal.configName());
    }
    return sb.toString().replaceAll("[^A-Za-z0-9_.\\-]", "_") + FILE_SUFFIX;
  }

  @Override
  public Future<StorageClient> client(ComponentKind kind, ComponentId id, Signal signal) {
    if (!running) {
      return Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "' is not running"));
    }
    String name = fileName(kind, id, signal);
    return worker.executeBlocking(() -> {
      FileStorageClient open = clients.get(name);
      if (open != null) {
        return open;
      }
      Path file = directory.resolve(name);
      StoreFile store = StoreFile.open(file, config, ctx.id(), corruptFiles::inc);
      FileStorageClient client = new FileStorageClient(this, name, store, config);
      clients.put(name, client);
      return client;
    });
  }

  boolean running() {
    return running;
  }

  WorkerExecutor worker() {
    return worker;
  }

  ComponentId id() {
    return ctx.id();
  }

  /** Called on the worker when a client closed. */
  void closed(String name) {
    clients.remove(name);
  }

  @Override
  public synchronized Future<Void> shutdown() {
    if (shutdownFuture != null) {
      return shutdownFuture;
    }
    running = false;
    if (worker == null) {
      shutdownFuture = Future.succeededFuture();
      return shutdownFuture;
    }
    if (reboundTimer >= 0) {
      ctx.vertx().cancelTimer(reboundTimer);
    }
    WorkerExecutor w = worker;
    shutdownFuture = w.<Void>executeBlocking(() -> {
      for (FileStorageClient c : new ArrayList<>(clients.values())) {
        c.closeNow();
      }
      clients.clear();
      return null;
    }).eventually(() -> w.close());
    return shutdownFuture;
  }

  List<String> openClientNames() {
    return List.copyOf(clients.keySet());
  }

  /** The open client of that file name; on the worker. */
  FileStorageClient clientForTest(String name) {
    return clients.get(name);
  }
}

package io.sluice.core.storage;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Extension;
import io.sluice.core.Signal;
import io.vertx.core.Future;
import java.util.List;

/**
 * An extension that keeps components' state across restarts ({@code file_storage}). A component
 * names one with {@code storage: <id>} (the Collector's key) and asks it for its own client in
 * {@code start()}; extensions start before every other component and stop after them.
 */
public interface StorageExtension extends Extension {
  /**
   * The client holding the state of one component, opened (created on first use) for
   * {@code kind}, {@code id} and {@code signal}. Two components never share a client.
   *
   * @param signal the signal the state belongs to; null for state of the whole component
   */
  Future<StorageClient> client(ComponentKind kind, ComponentId id, Signal signal);

  /**
   * Problems with a component's {@code storage} value: empty when it is absent or a valid id.
   *
   * @param key the key path, such as {@code storage} or {@code sending_queue.storage}
   */
  static List<ConfigProblem> validateId(String key, String storage) {
    if (storage == null || storage.isBlank()) {
      return List.of();
    }
    try {
      ComponentId.parse(storage);
      return List.of();
    } catch (IllegalArgumentException e) {
      return List.of(new ConfigProblem(key, e.getMessage() + "; name a storage extension such as \"file_storage\""));
    }
  }

  /**
   * The started storage extension that {@code storage} names, looked up on {@code ctx}'s host;
   * call it from the component's {@code start()}.
   *
   * @param key the key path of the setting, for the error message
   * @throws IllegalStateException naming the key when the extension is not running or keeps no
   *     state
   */
  static StorageExtension resolve(ComponentContext ctx, String key, String storage) {
    ComponentId id;
    try {
      id = ComponentId.parse(storage);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(key + ": " + e.getMessage(), e);
    }
    Extension ext = ctx.host().extension(id).orElseThrow(() -> new IllegalStateException(key + ": the extension \""
        + id + "\" is not running; define it under \"extensions\" and list it in service.extensions"));
    if (!(ext instanceof StorageExtension storageExtension)) {
      throw new IllegalStateException(key + ": the extension \"" + id + "\" does not store state;"
          + " name a file_storage extension");
    }
    return storageExtension;
  }
}

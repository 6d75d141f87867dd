package io.sluice.extension.filestorage;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;

/**
 * Makes {@code file_storage} extensions: durable key-value state for the components that name
 * them with {@code storage:}, one H2 MVStore file per component.
 */
public final class FileStorageExtensionFactory implements ExtensionFactory<FileStorageConfig> {
  @Override
  public String type() {
    return "file_storage";
  }

  @Override
  public Class<FileStorageConfig> configClass() {
    return FileStorageConfig.class;
  }

  @Override
  public FileStorageConfig defaultConfig() {
    return FileStorageConfig.defaults();
  }

  @Override
  public boolean providesStorage() {
    return true;
  }

  @Override
  public Extension create(ComponentContext ctx, FileStorageConfig config) {
    return new FileStorageExtension(ctx, config);
  }
}

package io.sluice.receiver.filelog;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * Makes {@code filelog} receivers: they tail files matched by globs and send each line (or
 * multiline entry) as an OTLP log record, checkpointing through a storage extension only what
 * their pipeline acknowledged.
 */
public final class FilelogReceiverFactory implements ReceiverFactory<FilelogReceiverConfig> {
  @Override
  public String type() {
    return "filelog";
  }

  @Override
  public Class<FilelogReceiverConfig> configClass() {
    return FilelogReceiverConfig.class;
  }

  @Override
  public FilelogReceiverConfig defaultConfig() {
    return FilelogReceiverConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.LOGS);
  }

  @Override
  public Receiver create(ComponentContext ctx, FilelogReceiverConfig config, Map<Signal, Consumer> next) {
    return new FilelogReceiver(ctx, config, next.get(Signal.LOGS), System::nanoTime, Clock.systemUTC());
  }
}

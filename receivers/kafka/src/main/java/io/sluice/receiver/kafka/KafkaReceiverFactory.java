package io.sluice.receiver.kafka;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Makes {@code kafka} receivers: members of a consumer group that read traces, metrics and logs
 * from Kafka topics and commit a record's offset only once their pipeline acknowledged it.
 */
public final class KafkaReceiverFactory implements ReceiverFactory<KafkaReceiverConfig> {
  @Override
  public String type() {
    return "kafka";
  }

  @Override
  public Class<KafkaReceiverConfig> configClass() {
    return KafkaReceiverConfig.class;
  }

  @Override
  public KafkaReceiverConfig defaultConfig() {
    return KafkaReceiverConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Receiver create(ComponentContext ctx, KafkaReceiverConfig config, Map<Signal, Consumer> next) {
    return new KafkaReceiver(ctx, config, next);
  }
}

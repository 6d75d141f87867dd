package io.sluice.core;

import java.util.Set;

/**
 * Makes connectors: the exporter of one pipeline ({@code from} signal) that is the receiver of
 * another ({@code to} signal). One instance per pair of signals, as in the Collector.
 */
public interface ConnectorFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  /** True when this connector can take {@code from} in and send {@code to} out. */
  boolean supports(Signal from, Signal to);

  Connector create(ComponentContext ctx, C config, Signal from, Signal to, Consumer next);

  @Override
  default ComponentKind kind() {
    return ComponentKind.CONNECTOR;
  }

  /** The signals it takes in. */
  @Override
  Set<Signal> signals();
}

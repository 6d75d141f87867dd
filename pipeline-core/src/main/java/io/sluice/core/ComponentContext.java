package io.sluice.core;

import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Vertx;

/**
 * What a factory gets to build one component instance.
 *
 * @param id the instance id from the config
 * @param kind what kind of component it is
 * @param pipeline the pipeline a processor is built for ({@code traces/main}); empty for the
 *     kinds that are shared across pipelines
 * @param vertx the gateway's Vert.x instance
 * @param metrics where the component records its self-metrics
 * @param host the running gateway
 */
public record ComponentContext(
    ComponentId id, ComponentKind kind, String pipeline, Vertx vertx, SelfMetrics metrics, Host host) {

  public ComponentContext {
    pipeline = pipeline == null ? "" : pipeline;
  }
}

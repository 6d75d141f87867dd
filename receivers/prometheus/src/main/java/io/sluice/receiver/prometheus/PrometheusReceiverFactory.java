package io.sluice.receiver.prometheus;

import io.sluice.core.ComponentContext;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes {@code prometheus} receivers: scrapers of Prometheus targets configured as the
 * Collector's prometheus receiver is, with a Prometheus configuration under {@code config}
 * ({@code global}, {@code scrape_configs} with static, file-based and HTTP-discovered targets,
 * relabeling, limits, authentication and TLS). Scraped series become OTLP metrics; each target also reports {@code up}
 * and the {@code scrape_*} series, and series that vanish get stale markers
 * ({@code NO_RECORDED_VALUE}), as Prometheus writes them.
 */
public final class PrometheusReceiverFactory implements ReceiverFactory<PrometheusReceiverConfig> {
  private static final Logger log = LoggerFactory.getLogger(PrometheusReceiverFactory.class);
  public static final String TYPE = "prometheus";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Class<PrometheusReceiverConfig> configClass() {
    return PrometheusReceiverConfig.class;
  }

  /** No scrape configs; global scrape_interval 1m and scrape_timeout 10s. */
  @Override
  public PrometheusReceiverConfig defaultConfig() {
    return PrometheusReceiverConfig.of(null);
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.METRICS);
  }

  /** Logs each key of the config that has no effect in Sluice, once, then makes the receiver. */
  @Override
  public Receiver create(ComponentContext ctx, PrometheusReceiverConfig config, Map<Signal, Consumer> next) {
    PrometheusReceiverConfig c = config == null ? defaultConfig() : config;
    for (ConfigProblem w : c.warnings()) {
      log.warn("Receiver '{}': '{}' {}", ctx.id(), w.path(), w.message());
    }
    return new PrometheusReceiver(ctx, c, next);
  }
}

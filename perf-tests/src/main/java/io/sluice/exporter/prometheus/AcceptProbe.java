package io.sluice.exporter.prometheus;

/**
 * The target farm's way into the prometheus exporter's package-private content negotiation, from
 * the perf-tests module (same package name; nothing of the exporter is changed), so the farm's
 * targets choose between Prometheus text and OpenMetrics as Sluice's own {@code /metrics} does.
 */
public final class AcceptProbe {
  private AcceptProbe() {}

  /** Whether a scraper's {@code Accept} header ranks OpenMetrics text at least as high as Prometheus text. */
  public static boolean prefersOpenMetrics(String accept) {
    return Negotiation.prefersOpenMetrics(accept);
  }
}

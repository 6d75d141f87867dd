package io.sluice.translation.prometheus.otlp;

/**
 * TYPE, HELP and UNIT of one metric family.
 *
 * @param type the family's type
 * @param familyName the family name ({@code http_server_duration_milliseconds} for its
 *     {@code _bucket}, {@code _sum} and {@code _count} series; a counter's name ends in {@code _total})
 * @param help the OTLP description, may be empty
 * @param unit the unit in Prometheus words ({@code milliseconds}), may be empty
 */
public record PromMetadata(PromMetricType type, String familyName, String help, String unit) {
}

package io.sluice.gateway;

import io.sluice.core.service.ServiceGraph;
import io.sluice.core.tls.TlsServerSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * A validated config, ready to run.
 *
 * @param files the files it was merged from
 * @param definition the pipelines and their components
 * @param metricsAddress where to serve self-metrics, or null for none
 * @param logLevel the root log level (info, debug, warn, error)
 * @param jsonLogs whether logs are JSON lines instead of plain text
 * @param metricsTls TLS of the self-metrics endpoint, or null for plaintext
 */
public record LoadedConfig(List<Path> files, ServiceGraph.Definition definition, String metricsAddress,
    String logLevel, boolean jsonLogs, TlsServerSettings metricsTls) {
  /** Self-metrics in plaintext. */
  public LoadedConfig(List<Path> files, ServiceGraph.Definition definition, String metricsAddress, String logLevel,
      boolean jsonLogs) {
    this(files, definition, metricsAddress, logLevel, jsonLogs, null);
  }
}

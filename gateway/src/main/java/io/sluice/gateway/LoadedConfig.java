package io.sluice.gateway;

import io.sluice.core.service.ServiceGraph;
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
 */
public record LoadedConfig(List<Path> files, ServiceGraph.Definition definition, String metricsAddress,
    String logLevel, boolean jsonLogs) {}

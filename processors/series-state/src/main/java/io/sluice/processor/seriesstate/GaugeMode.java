package io.sluice.processor.seriesstate;

/**
 * How the gauges of several series that are merged into one become one value: from the latest
 * value of each series, the most recent one ({@code last}), the smallest, the largest, or their
 * arithmetic mean.
 */
public enum GaugeMode {
  LAST,
  MIN,
  MAX,
  MEAN
}

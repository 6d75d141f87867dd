package io.sluice.receiver.prometheus;

import java.util.ArrayList;
import java.util.List;

/**
 * A metric family as parsed: name (without suffixes), type, HELP and UNIT (null when absent or
 * empty) and its samples in exposition order, including {@code _created} samples.
 */
final class MetricFamily {
  private final String name;
  private MetricType type;
  private String help;
  private String unit;
  private final List<Sample> samples = new ArrayList<>();

  MetricFamily(String name, MetricType type) {
    this.name = name;
    this.type = type;
  }

  String name() {
    return name;
  }

  MetricType type() {
    return type;
  }

  /** The HELP text, or null. */
  String help() {
    return help;
  }

  /** The UNIT, or null. */
  String unit() {
    return unit;
  }

  List<Sample> samples() {
    return samples;
  }

  void type(MetricType type) {
    this.type = type;
  }

  void help(String help) {
    this.help = help;
  }

  void unit(String unit) {
    this.unit = unit;
  }

  void add(Sample sample) {
    samples.add(sample);
  }

  @Override
  public String toString() {
    return name + " " + type.openMetricsName() + " " + samples;
  }
}

package io.sluice.core;

/** The kinds of component, named as the top-level sections of the config file. */
public enum ComponentKind {
  RECEIVER("receivers"),
  PROCESSOR("processors"),
  EXPORTER("exporters"),
  CONNECTOR("connectors"),
  EXTENSION("extensions");

  private final String section;

  ComponentKind(String section) {
    this.section = section;
  }

  /** The config section that defines components of this kind. */
  public String section() {
    return section;
  }

  /** Lower-case singular, for messages: "receiver". */
  public String noun() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}

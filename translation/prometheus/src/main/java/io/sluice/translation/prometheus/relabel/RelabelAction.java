package io.sluice.translation.prometheus.relabel;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The relabeling actions, named as in Prometheus' {@code relabel_configs}. */
public enum RelabelAction {
  REPLACE("replace"),
  KEEP("keep"),
  DROP("drop"),
  KEEPEQUAL("keepequal"),
  DROPEQUAL("dropequal"),
  HASHMOD("hashmod"),
  LABELMAP("labelmap"),
  LABELDROP("labeldrop"),
  LABELKEEP("labelkeep"),
  LOWERCASE("lowercase"),
  UPPERCASE("uppercase");

  private final String configName;

  RelabelAction(String configName) {
    this.configName = configName;
  }

  /** The name written in configs ({@code labelmap}). */
  public String configName() {
    return configName;
  }

  /** Parses an action name in any case, as Prometheus does; null when it is not one. */
  public static RelabelAction fromConfigName(String name) {
    if (name == null) {
      return null;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (RelabelAction a : values()) {
      if (a.configName.equals(lower)) {
        return a;
      }
    }
    return null;
  }

  /** All action names, comma-separated, for error messages. */
  public static String validNames() {
    return Arrays.stream(values()).map(RelabelAction::configName).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return configName;
  }
}

package io.sluice.core;

import java.util.regex.Pattern;

/**
 * A component instance id as written in the config: {@code type} or {@code type/name}.
 *
 * @param type the factory's type name, such as {@code otlp}
 * @param name the instance name after the slash, empty when there is none
 */
public record ComponentId(String type, String name) {
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.\\-]+");

  public ComponentId {
    if (type == null || type.isEmpty()) {
      throw new IllegalArgumentException("a component id needs a type");
    }
    name = name == null ? "" : name;
  }

  public static ComponentId of(String type) {
    return new ComponentId(type, "");
  }

  /**
   * Parses {@code type} or {@code type/name}.
   *
   * @throws IllegalArgumentException with a message that says what is wrong with the id
   */
  public static ComponentId parse(String id) {
    String s = id == null ? "" : id.trim();
    int slash = s.indexOf('/');
    String type = slash < 0 ? s : s.substring(0, slash);
    String name = slash < 0 ? "" : s.substring(slash + 1);
    if (type.isEmpty() || !PART.matcher(type).matches()) {
      throw new IllegalArgumentException("\"" + id + "\" is not a component id: the type before the '/' must be"
          + " letters, digits, '_', '-' or '.'");
    }
    if (slash >= 0 && (name.isEmpty() || name.indexOf('/') >= 0)) {
      throw new IllegalArgumentException("\"" + id + "\" is not a component id: write \"type\" or \"type/name\""
          + " with a non-empty name and a single '/'");
    }
    return new ComponentId(type, name);
  }

  @Override
  public String toString() {
    return name.isEmpty() ? type : type + "/" + name;
  }
}

package io.sluice.core.config;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TreeTraversingParser;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.databind.type.CollectionType;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.YamlNode.Entry;
import io.sluice.core.config.YamlNode.ListNode;
import io.sluice.core.config.YamlNode.Location;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Binds one config section (a component's, or {@code service.telemetry}) to its config record:
 * the section, as a Jackson tree, is deep-merged over the tree of the defaults and bound with
 * Jackson. Every unknown key and every value of the wrong type is collected rather than stopping
 * at the first, each error points at the line of the YAML node it concerns, and a config that
 * binds is then checked with its {@code validate()}.
 */
final class ComponentBinder {
  /**
   * The mapper configs bind with: snake_case keys, unknown keys are errors, no silent rounding
   * of 1.5 into an int, enums in any case, durations as Go durations.
   */
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      // Only record components are settings: helper methods such as isLocal() are not keys.
      .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
      .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
      .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
      .addModule(new SimpleModule("sluice-config")
          .addSerializer(Duration.class, new GoDurationSerializer())
          .addDeserializer(Duration.class, new GoDurationDeserializer())
          .setDeserializerModifier(new CommaSeparatedLists()))
      .build();

  private ComponentBinder() {}

  /**
   * Binds {@code section} over {@code defaults}.
   *
   * @param section the user's YAML for the section; null or an empty value means all defaults
   * @param ownLocation where the section's key is written, for errors with no better place
   * @param pathPrefix the full key path of the section ({@code exporters.otlp/upstream})
   * @return the bound and valid config, or null after adding errors to {@code errors}
   */
  static <C extends ComponentConfig> C bind(Class<C> type, C defaults, YamlNode section, Location ownLocation,
      String pathPrefix, List<ConfigError> errors) {
    int errorsBefore = errors.size();
    Target target = new Target(section, ownLocation, pathPrefix);
    ObjectNode user;
    if (section == null || section instanceof Scalar s && s.isNull()) {
      user = JsonNodeFactory.instance.objectNode();
    } else if (section instanceof MapNode m) {
      user = (ObjectNode) toJson(m);
    } else {
      target.error(List.of(), "expected a map of settings (valid keys: " + String.join(", ", validKeys(type))
          + "), got " + section.describe());
      errors.addAll(target.errors);
      return null;
    }
    ObjectNode tree = defaults == null ? JsonNodeFactory.instance.objectNode() : MAPPER.valueToTree(defaults);
    mergeOver(tree, user);

    Recorder recorder = new Recorder(target);
    C config = null;
    try {
      config = MAPPER.readerFor(type).withHandler(recorder).readValue(tree);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      target.error(pathOf(e), String.valueOf(cause.getMessage()));
    } catch (JsonMappingException e) {
      List<Object> path = pathOf(e);
      JavaType wanted = typeOf(e);
      if (wanted != null) {
        target.typeError(path, wanted, null);
      } else {
        target.error(path, "invalid value " + target.found(path) + ": " + firstLine(e.getOriginalMessage()));
      }
    } catch (JsonProcessingException e) {
      List<Object> path = e.getProcessor() instanceof JsonParser p ? pathOf(p) : List.of();
      target.error(path, "invalid value " + target.found(path) + ": " + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      target.error(List.of(), "cannot read the settings: " + e.getMessage());
    }
    if (recorder.typeErrors == 0 && config != null) {
      try {
        for (ConfigProblem problem : config.validate()) {
          target.error(splitPath(problem.path()), problem.message());
        }
      } catch (RuntimeException e) {
        target.error(List.of(), "checking the settings failed: " + e);
      }
    }
    errors.addAll(target.errors);
    return errors.size() == errorsBefore ? config : null;
  }

  /**
   * Adds {@code problems} found in a section bound before, each at the line of the key it names
   * (or the section's own line when the key is not written in it).
   */
  static void report(YamlNode section, Location ownLocation, String pathPrefix, List<ConfigProblem> problems,
      List<ConfigError> errors) {
    Target target = new Target(section, ownLocation, pathPrefix);
    for (ConfigProblem problem : problems) {
      target.error(splitPath(problem.path()), problem.message());
    }
    errors.addAll(target.errors);
  }

  /** The snake_case keys a config record accepts, sorted. */
  static List<String> validKeys(Class<?> type) {
    JavaType t = MAPPER.constructType(type);
    Set<String> keys = new TreeSet<>();
    MAPPER.getDeserializationConfig().introspect(t).findProperties().forEach(p -> keys.add(p.getName()));
    return List.copyOf(keys);
  }

  // ---- YAML to Jackson tree ----

  static JsonNode toJson(YamlNode node) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (node instanceof MapNode m) {
      ObjectNode o = f.objectNode();
      for (Entry e : m.entries().values()) {
        o.set(e.key(), toJson(e.value()));
      }
      return o;
    } else if (node instanceof ListNode l) {
      ArrayNode a = f.arrayNode();
      l.items().forEach(item -> a.add(toJson(item)));
      return a;
    }
    Scalar s = (Scalar) node;
    return switch (s.type()) {
      case NULL -> f.nullNode();
      case BOOL -> f.booleanNode(s.text().equalsIgnoreCase("true"));
      case INT -> {
        BigInteger v = s.integerValue();
        yield v.bitLength() < 32 ? f.numberNode(v.intValue())
            : v.bitLength() < 64 ? f.numberNode(v.longValue()) : f.numberNode(v);
      }
      case FLOAT -> s.floatValue() instanceof BigDecimal d ? f.numberNode(d) : f.numberNode(s.floatValue().doubleValue());
      case STRING -> f.textNode(s.text());
    };
  }

  /**
   * Merges {@code over} into {@code base}: maps key by key, recursively; anything else replaces.
   * A null the user wrote keeps the default, as in the Collector.
   */
  static void mergeOver(ObjectNode base, ObjectNode over) {
    for (Map.Entry<String, JsonNode> e : over.properties()) {
      JsonNode old = base.get(e.getKey());
      JsonNode value = e.getValue();
      if (value.isNull() && old != null) {
        continue;
      }
      if (old instanceof ObjectNode oldObject && value instanceof ObjectNode newObject) {
        mergeOver(oldObject, newObject);
      } else {
        base.set(e.getKey(), value);
      }
    }
  }

  // ---- paths ----

  private static List<Object> pathOf(JsonMappingException e) {
    List<Object> path = new ArrayList<>();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path.add(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path.add(r.getIndex());
      }
    }
    return path;
  }

  /** The key path of the value the parser is on. */
  static List<Object> pathOf(JsonParser p) {
    JsonStreamContext ctx = p.getParsingContext();
    JsonToken t = p.currentToken();
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && ctx != null && ctx.getParent() != null) {
      ctx = ctx.getParent(); // the parser already stepped into the value; its key is one level up
    }
    Deque<Object> path = new ArrayDeque<>();
    for (; ctx != null; ctx = ctx.getParent()) {
      if (ctx.inObject() && ctx.getCurrentName() != null) {
        path.addFirst(ctx.getCurrentName());
      } else if (ctx.inArray() && ctx.getCurrentIndex() >= 0) {
        path.addFirst(ctx.getCurrentIndex());
      }
    }
    return new ArrayList<>(path);
  }

  /** Splits {@code a.b[2].c} (or {@code a.b.2.c}) into keys and list indexes. */
  static List<Object> splitPath(String path) {
    List<Object> out = new ArrayList<>();
    if (path == null || path.isEmpty()) {
      return out;
    }
    for (String part : path.split("\\.")) {
      int bracket = part.indexOf('[');
      String key = bracket < 0 ? part : part.substring(0, bracket);
      if (!key.isEmpty()) {
        out.add(key);
      }
      while (bracket >= 0) {
        int close = part.indexOf(']', bracket);
        if (close < 0) {
          break;
        }
        try {
          out.add(Integer.parseInt(part.substring(bracket + 1, close)));
        } catch (NumberFormatException e) {
          out.add(part.substring(bracket + 1, close));
        }
        bracket = part.indexOf('[', close);
      }
    }
    return out;
  }

  static String renderPath(String prefix, List<Object> path) {
    StringBuilder sb = new StringBuilder(prefix);
    for (Object p : path) {
      if (p instanceof Integer i) {
        sb.append('[').append(i).append(']');
      } else {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(p);
      }
    }
    return sb.toString();
  }

  // ---- messages ----

  private static JavaType typeOf(JsonMappingException e) {
    if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m && m.getTargetType() != null) {
      return MAPPER.constructType(m.getTargetType());
    }
    return null;
  }

  /** "an integer", "a duration such as ...": what a value of {@code type} looks like. */
  static String expected(JavaType type) {
    Class<?> c = type.getRawClass();
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class || c == short.class
        || c == Short.class || c == byte.class || c == Byte.class || c == BigInteger.class) {
      return "an integer";
    } else if (c == double.class || c == Double.class || c == float.class || c == Float.class
        || c == BigDecimal.class || c == Number.class) {
      return "a number";
    } else if (c == boolean.class || c == Boolean.class) {
      return "true or false";
    } else if (c == String.class || c == char.class || c == Character.class) {
      return "a string";
    } else if (c == Duration.class) {
      return "a duration such as \"5s\", \"200ms\" or \"1m30s\"";
    } else if (c.isEnum()) {
      return "one of " + Arrays.stream(c.getEnumConstants())
          .map(v -> ((Enum<?>) v).name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    } else if (type.isCollectionLikeType() || type.isArrayType()) {
      return "a list";
    } else if (type.isMapLikeType()) {
      return "a map";
    }
    List<String> keys = validKeys(c);
    return keys.isEmpty() ? "a map" : "a map of settings (" + String.join(", ", keys) + ")";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static Object placeholder(Class<?> c) {
    if (c == int.class) {
      return 0;
    } else if (c == long.class) {
      return 0L;
    } else if (c == double.class) {
      return 0.0d;
    } else if (c == float.class) {
      return 0.0f;
    } else if (c == boolean.class) {
      return false;
    } else if (c == short.class) {
      return (short) 0;
    } else if (c == byte.class) {
      return (byte) 0;
    } else if (c == char.class) {
      return '\0';
    }
    return null;
  }

  /** The section being bound: finds the YAML node behind a key path, and makes errors. */
  private static final class Target {
    final YamlNode section;
    final Location ownLocation;
    final String prefix;
    final List<ConfigError> errors = new ArrayList<>();

    Target(YamlNode section, Location ownLocation, String prefix) {
      this.section = section;
      this.ownLocation = ownLocation;
      this.prefix = prefix;
    }

    /** The YAML written at {@code path}, or the closest enclosing node the user wrote. */
    record Found(YamlNode node, Location keyLocation, boolean exact) {
      /** The value's own place when the user wrote one, else its key's. */
      Location location() {
        return exact && !(node instanceof Scalar s && s.isNull() && s.text().isEmpty()) ? node.location() : keyLocation;
      }
    }

    Found locate(List<Object> path) {
      YamlNode cur = section;
      Location keyLocation = ownLocation;
      for (Object seg : path) {
        YamlNode next = null;
        Location nextKey = null;
        if (cur instanceof MapNode m) {
          Entry e = m.entries().get(String.valueOf(seg));
          if (e != null) {
            next = e.value();
            nextKey = e.keyLocation();
          }
        } else if (cur instanceof ListNode l) {
          int i = seg instanceof Integer n ? n : parseIndex(String.valueOf(seg));
          if (i >= 0 && i < l.items().size()) {
            next = l.items().get(i);
            nextKey = next.location();
          }
        }
        if (next == null) {
          return new Found(cur, keyLocation, false);
        }
        cur = next;
        keyLocation = nextKey;
      }
      return new Found(cur, keyLocation, cur != null);
    }

    private static int parseIndex(String s) {
      try {
        return Integer.parseInt(s);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    String found(List<Object> path) {
      Found f = locate(path);
      return f.exact() ? f.node().describe() : "nothing";
    }

    void error(List<Object> path, String message) {
      add(locate(path).location(), path, message);
    }

    void unknownKey(List<Object> path, Collection<String> valid) {
      String key = String.valueOf(path.get(path.size() - 1));
      String message;
      if (valid.isEmpty()) {
        message = "unknown key; this section has no settings";
      } else {
        message = "unknown key; " + Suggestions.hint(key, valid, "valid keys: " + String.join(", ", valid));
      }
      add(locate(path).keyLocation(), path, message);
    }

    void typeError(List<Object> path, JavaType type, String detail) {
      Found f = locate(path);
      String got = f.exact() ? f.node().describe() : "an invalid value";
      String message = (type == null ? "invalid value" : "expected " + expected(type)) + ", got " + got;
      if (detail != null && !detail.isEmpty()) {
        message += " (" + detail + ")";
      }
      add(f.location(), path, message);
    }

    private void add(Location at, List<Object> path, String message) {
      Location l = at != null ? at : ownLocation;
      errors.add(new ConfigError(l == null ? "" : l.file(), l == null ? 0 : l.line(), l == null ? 0 : l.column(),
          renderPath(prefix, path), message));
    }
  }

  /**
   * Records unknown keys and values of the wrong type, and lets binding go on so that every such
   * problem of the section is reported at once.
   */
  private static final class Recorder extends DeserializationProblemHandler {
    private final Target target;
    int typeErrors;

    Recorder(Target target) {
      this.target = target;
    }

    @Override
    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
        Object beanOrClass, String propertyName) throws IOException {
      List<Object> path = pathOf(p);
      if (path.isEmpty() || !propertyName.equals(path.get(path.size() - 1))) {
        path.add(propertyName);
      }
      Set<String> valid = new TreeSet<>();
      Collection<Object> known = deserializer.getKnownPropertyNames();
      if (known != null) {
        known.forEach(k -> valid.add(String.valueOf(k)));
      }
      target.unknownKey(path, valid);
      p.skipChildren();
      return true;
    }

    @Override
    public Object handleWeirdStringValue(DeserializationContext ctxt, Class<?> targetType, String valueToConvert,
        String failureMsg) {
      typeError(ctxt.getParser(), ctxt.constructType(targetType), targetType == Duration.class ? failureMsg : null);
      return placeholder(targetType);
    }

    @Override
    public Object handleWeirdNumberValue(DeserializationContext ctxt, Class<?> targetType, Number valueToConvert,
        String failureMsg) {
      typeError(ctxt.getParser(), ctxt.constructType(targetType), null);
      return placeholder(targetType);
    }

    @Override
    public Object handleUnexpectedToken(DeserializationContext ctxt, JavaType targetType, JsonToken t, JsonParser p,
        String failureMsg) throws IOException {
      typeError(p, targetType, null);
      p.skipChildren();
      return placeholder(targetType.getRawClass());
    }

    @Override
    public Object handleMissingInstantiator(DeserializationContext ctxt, Class<?> instClass,
        ValueInstantiator valueInsta, JsonParser p, String msg) throws IOException {
      JsonToken t = p.currentToken();
      if (t == null || t == JsonToken.START_OBJECT || t == JsonToken.FIELD_NAME) {
        return NOT_HANDLED; // a config class Jackson cannot build: a bug, not a user error
      }
      typeError(p, ctxt.constructType(instClass), null);
      p.skipChildren();
      return null;
    }

    private void typeError(JsonParser p, JavaType type, String detail) {
      typeErrors++;
      target.typeError(pathOf(p), type, detail);
    }
  }

  /**
   * As the Collector does, a string where a list of strings is wanted is split at commas:
   * {@code "a,b"} is {@code ["a", "b"]} (handy with {@code ${env:TARGETS}}).
   */
  private static final class CommaSeparatedLists extends BeanDeserializerModifier {
    @Override
    public JsonDeserializer<?> modifyCollectionDeserializer(DeserializationConfig config, CollectionType type,
        BeanDescription beanDesc, JsonDeserializer<?> deserializer) {
      return type.getContentType().getRawClass() == String.class ? new SplitAtCommas(deserializer) : deserializer;
    }
  }

  private static final class SplitAtCommas extends DelegatingDeserializer {
    SplitAtCommas(JsonDeserializer<?> delegate) {
      super(delegate);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
      return new SplitAtCommas(newDelegatee);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.hasToken(JsonToken.VALUE_STRING)) {
        return super.deserialize(p, ctxt);
      }
      ArrayNode parts = JsonNodeFactory.instance.arrayNode();
      String text = p.getText();
      if (!text.isEmpty()) {
        for (String part : text.split(",", -1)) {
          parts.add(part);
        }
      }
      try (JsonParser sub = new TreeTraversingParser(parts, p.getCodec())) {
        sub.nextToken();
        return super.deserialize(sub, ctxt);
      }
    }
  }

  /** Writes durations as Go does: "5s", "1m30s". */
  private static final class GoDurationSerializer extends StdScalarSerializer<Duration> {
    GoDurationSerializer() {
      super(Duration.class);
    }

    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(GoDurations.format(value));
    }
  }

  /** Reads Go durations ("5s", "200ms", "1m30s"), and a bare integer as nanoseconds. */
  private static final class GoDurationDeserializer extends StdScalarDeserializer<Duration> {
    GoDurationDeserializer() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_STRING) {
        String text = p.getText();
        try {
          return GoDurations.parse(text);
        } catch (IllegalArgumentException e) {
          return (Duration) ctxt.handleWeirdStringValue(Duration.class, text, e.getMessage());
        }
      } else if (t == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          return (Duration) ctxt.handleWeirdNumberValue(Duration.class, p.getNumberValue(), "too long");
        }
        return Duration.ofNanos(p.getLongValue());
      }
      return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
    }
  }
}

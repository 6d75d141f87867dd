package io.sluice.receiver.logoperators;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Makes an operator from its settings, by {@code type}: the one place that knows every type. */
final class Operators {
  private Operators() {}

  @FunctionalInterface
  private interface Maker {
    Operator make(Conf c, Clock clock);
  }

  private record Kind(List<String> keys, Maker maker) {}

  private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

  /** Collector operators Sluice does not have (yet): named so that the message can say so. */
  private static final List<String> NOT_IMPLEMENTED = List.of("syslog_parser", "uri_parser",
      "regex_replace", "unquote", "assign_keys", "sanitize_utf8", "strip_ansi_escape_codes", "json_array_parser",
      "headerless_jarray_parser", "scope_name_parser", "key_value_parser_v2", "stdout", "file_output");

  static {
    List<String> t = Operator.TRANSFORMER_KEYS;
    List<String> p = ParserOperator.PARSER_KEYS;
    KINDS.put("regex_parser", new Kind(ParserOperator.keys(p, "regex", "cache"), Operators::regex));
    KINDS.put("json_parser", new Kind(ParserOperator.keys(p, "parse_ints"), Operators::json));
    KINDS.put("key_value_parser", new Kind(ParserOperator.keys(p, "delimiter", "pair_delimiter"),
        Operators::keyValue));
    KINDS.put("csv_parser", new Kind(ParserOperator.keys(p, "header", "header_delimiter", "header_attribute",
        "delimiter", "lazy_quotes", "ignore_quotes"), Operators::csv));
    KINDS.put("container", new Kind(ParserOperator.keys(t, "parse_from", "format", "add_metadata_from_filepath",
        "max_log_size", "severity"), Operators::container));
    KINDS.put("time_parser", new Kind(ParserOperator.keys(t, TimeParser.KEYS.toArray(new String[0])),
        (c, clock) -> {
          TimeParser tp = TimeParser.read(c, clock);
          return tp == null ? null : new SimpleOperators.Step(tp);
        }));
    KINDS.put("severity_parser", new Kind(ParserOperator.keys(t, SeverityParser.KEYS.toArray(new String[0])),
        (c, clock) -> {
          SeverityParser sp = SeverityParser.read(c);
          return sp == null ? null : new SimpleOperators.Step(sp);
        }));
    KINDS.put("trace_parser", new Kind(ParserOperator.keys(t, TraceParser.KEYS.toArray(new String[0])),
        (c, clock) -> {
          TraceParser tp = TraceParser.read(c);
          return tp == null ? null : new SimpleOperators.Step(tp);
        }));
    KINDS.put("move", new Kind(ParserOperator.keys(t, "from", "to"), (c, clock) -> moveOrCopy(c, false)));
    KINDS.put("copy", new Kind(ParserOperator.keys(t, "from", "to"), (c, clock) -> moveOrCopy(c, true)));
    KINDS.put("add", new Kind(ParserOperator.keys(t, "field", "value"), Operators::add));
    KINDS.put("remove", new Kind(ParserOperator.keys(t, "field"), (c, clock) -> {
      Field f = c.requiredField("field");
      return f == null ? null : new FieldOperators.Remove(f);
    }));
    KINDS.put("flatten", new Kind(ParserOperator.keys(t, "field"), (c, clock) -> {
      Field f = c.requiredField("field");
      String bad = f == null ? null : FieldOperators.checkFlattenField(f);
      if (bad != null) {
        c.problem("field", bad);
      }
      return f == null || bad != null ? null : new FieldOperators.Flatten(f);
    }));
    KINDS.put("retain", new Kind(ParserOperator.keys(t, "fields"), Operators::retain));
    KINDS.put("filter", new Kind(ParserOperator.keys(t, "expr", "drop_ratio"), Operators::filter));
    KINDS.put("router", new Kind(List.of("type", "id", "routes", "default"), Operators::router));
    KINDS.put("recombine", new Kind(ParserOperator.keys(t, "combine_field", "combine_with", "is_first_entry",
        "is_last_entry", "max_batch_size", "max_unmatched_batch_size", "max_log_size", "overwrite_with",
        "force_flush_period", "source_identifier", "max_sources"), Operators::recombine));
    KINDS.put("noop", new Kind(Operator.BASE_KEYS, (c, clock) -> new SimpleOperators.Noop()));
  }

  /** The operator types Sluice implements. */
  static List<String> types() {
    return List.copyOf(KINDS.keySet());
  }

  /** Makes the operator for one list item, or returns null after recording its problems. */
  static Operator create(Conf c, Clock clock) {
    if (!c.isMap()) {
      return null;
    }
    int before = c.problemCount();
    String type = c.requiredString("type", "valid: " + String.join(", ", KINDS.keySet()));
    if (type == null) {
      return null;
    }
    Kind kind = KINDS.get(type);
    if (kind == null) {
      c.problem("type", "\"" + type + "\" " + (NOT_IMPLEMENTED.contains(type)
          ? "is a Collector operator that Sluice does not implement; implemented: "
          : "is not an operator type; valid: ") + String.join(", ", KINDS.keySet()));
      return null;
    }
    c.refuseUnknown(kind.keys);
    Operator op = kind.maker.make(c, clock);
    if (op == null || c.problemCount() != before) {
      return null;
    }
    op.type = type;
    if (kind.keys.contains("if")) {
      op.condition = c.condition("if");
      String onError = c.string("on_error", "send");
      op.onError = Operator.OnError.of(onError);
      if (op.onError == null) {
        c.problem("on_error", "\"" + onError + "\" is not an error mode; valid: send, send_quiet, drop, drop_quiet");
      }
    }
    return c.problemCount() == before ? op : null;
  }

  // ---- parsers ----

  private static <P extends ParserOperator> P parser(P op, Conf c, Clock clock) {
    op.readParserKeys(c, clock);
    return op;
  }

  /** Reads every key even when some are wrong, so that all problems are reported at once. */
  private static Operator regex(Conf c, Clock clock) {
    String regex = c.requiredString("regex", "an RE2 regex with named groups such as ^(?P<level>\\w+) (?P<msg>.*)$");
    Conf cache = c.sub("cache");
    if (cache != null) {
      cache.refuseUnknown(List.of("size"));
      if (cache.integer("size", 0) < 0) {
        cache.problem("size", "must not be negative");
      }
    }
    Re2.Compiled compiled = null;
    if (regex != null && !regex.isEmpty()) {
      try {
        compiled = Re2.compile(regex);
        if (!compiled.hasNamedGroups()) {
          c.problem("regex", "\"" + regex + "\" has no named groups; name what to keep, as in (?P<level>\\w+)");
        }
      } catch (IllegalArgumentException e) {
        c.problem("regex", e.getMessage());
      }
    }
    // without a valid regex the operator is never used: create() refuses it for the problems above
    return parser(new RegexParser(compiled == null ? Re2.compile("(?P<unused>)") : compiled, regex), c, clock);
  }

  private static Operator json(Conf c, Clock clock) {
    return parser(new JsonParser(c.bool("parse_ints", false)), c, clock);
  }

  private static Operator keyValue(Conf c, Clock clock) {
    String delimiter = c.string("delimiter", "=");
    String pairDelimiter = c.string("pair_delimiter", null);
    if (delimiter.isEmpty()) {
      c.problem("delimiter", "must not be empty");
    }
    if (pairDelimiter != null && pairDelimiter.isEmpty()) {
      c.problem("pair_delimiter", "must not be empty; leave it out to split pairs at white space");
    }
    if (delimiter.equals(pairDelimiter)) {
      c.problem("pair_delimiter", "\"" + pairDelimiter + "\" is also the delimiter; they must differ");
    }
    return parser(new KeyValueParser(delimiter, pairDelimiter), c, clock);
  }

  private static Operator csv(Conf c, Clock clock) {
    char delimiter = csvChar(c, "delimiter", ',');
    char headerDelimiter = csvChar(c, "header_delimiter", delimiter);
    String header = c.string("header", null);
    String headerAttribute = c.string("header_attribute", null);
    boolean lazy = c.bool("lazy_quotes", false);
    boolean ignore = c.bool("ignore_quotes", false);
    if (lazy && ignore) {
      c.problem("ignore_quotes", "cannot be combined with lazy_quotes; choose one");
    }
    if ((header == null) == (headerAttribute == null)) {
      c.problem(header == null ? "header" : "header_attribute", header == null
          ? "is required unless header_attribute names an attribute that holds the header"
          : "cannot be combined with header; choose one");
    }
    String[] names = null;
    if (header != null) {
      try {
        names = CsvParser.split(header, headerDelimiter, true, false).toArray(new String[0]);
      } catch (EntryException e) {
        c.problem("header", e.getMessage());
      }
    }
    return parser(new CsvParser(delimiter, names, headerAttribute, headerDelimiter, lazy, ignore), c, clock);
  }

  private static char csvChar(Conf c, String key, char def) {
    String s = c.string(key, null);
    if (s == null) {
      return def;
    }
    if (s.length() != 1 || s.charAt(0) == '\r' || s.charAt(0) == '\n' || s.charAt(0) == '"') {
      c.problem(key, "\"" + s + "\" must be one character other than a quote, \\r or \\n, such as \",\" or \"\\t\"");
      return def;
    }
    return s.charAt(0);
  }

  private static Operator container(Conf c, Clock clock) {
    String f = c.string("format", "");
    ContainerParser.Format format = switch (f) {
      case "" -> ContainerParser.Format.AUTO;
      case "docker" -> ContainerParser.Format.DOCKER;
      case "crio" -> ContainerParser.Format.CRIO;
      case "containerd" -> ContainerParser.Format.CONTAINERD;
      default -> {
        c.problem("format", "\"" + f + "\" is not a container format; valid: docker, crio, containerd, "
            + "or leave it out to detect it");
        yield null;
      }
    };
    boolean metadata = c.bool("add_metadata_from_filepath", true);
    long max = byteSize(c, "max_log_size", 1024 * 1024);
    ContainerParser op = new ContainerParser(format == null ? ContainerParser.Format.AUTO : format, metadata, max);
    op.readParserKeys(c, clock);
    return op;
  }

  private static final Pattern BYTE_SIZE = Pattern.compile("(?i)\\s*(\\d+)\\s*(b|kb|kib|mb|mib|gb|gib)?\\s*");

  /** A size as an integer of bytes or a string such as "1MiB", "512KiB", "1MB". */
  static long byteSize(Conf c, String key, long def) {
    Object v = c.raw(key);
    if (v == null) {
      return def;
    } else if (v instanceof Integer || v instanceof Long) {
      long n = ((Number) v).longValue();
      if (n >= 0) {
        return n;
      }
    } else if (v instanceof String s) {
      Matcher m = BYTE_SIZE.matcher(s);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        return n * switch (unit) {
          case "kb" -> 1000L;
          case "kib" -> 1024L;
          case "mb" -> 1000_000L;
          case "mib" -> 1024L * 1024;
          case "gb" -> 1000_000_000L;
          case "gib" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
      }
    }
    c.problem(key, "expected a size such as 1048576, \"1MiB\" or \"512KiB\", got " + Conf.describe(v));
    return def;
  }

  // ---- transformers ----

  private static Operator moveOrCopy(Conf c, boolean copy) {
    Field from = c.requiredField("from");
    Field to = c.requiredField("to");
    return from == null || to == null ? null : new FieldOperators.Move(from, to, copy);
  }

  private static final Pattern EXPR_VALUE = Pattern.compile("^EXPR\\((.*)\\)$", Pattern.DOTALL);

  private static Operator add(Conf c, Clock clock) {
    Field field = c.requiredField("field");
    if (!c.has("value")) {
      c.problem("value", "is required; a string, number, map or list, or EXPR(...) with " + Expr.SUPPORTED);
      return null;
    }
    Object value = c.raw("value");
    Expr expr = null;
    if (value instanceof String s) {
      Matcher m = EXPR_VALUE.matcher(s);
      if (m.matches()) {
        try {
          expr = Expr.parse(m.group(1));
        } catch (IllegalArgumentException e) {
          c.problem("value", e.getMessage());
          return null;
        }
      }
    }
    return field == null ? null : new FieldOperators.Add(field, LogEntry.deepCopy(value), expr);
  }

  private static Operator retain(Conf c, Clock clock) {
    Object raw = c.raw("fields");
    if (!(raw instanceof List<?> l) || l.isEmpty()) {
      c.problem("fields", raw == null ? "is required; a list of fields to keep, such as [attributes.level]"
          : "expected a non-empty list of fields, got " + Conf.describe(raw));
      return null;
    }
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      String at = "fields[" + i + "]";
      if (!(l.get(i) instanceof String s)) {
        c.problem(at, "expected a field such as " + Field.FORMS + ", got " + Conf.describe(l.get(i)));
        continue;
      }
      try {
        fields.add(Field.parse(s));
      } catch (IllegalArgumentException e) {
        c.problem(at, e.getMessage());
      }
    }
    String bad = FieldOperators.checkRetainFields(fields);
    if (bad != null) {
      c.problem("fields", bad);
      return null;
    }
    return new FieldOperators.Retain(fields);
  }

  private static Operator filter(Conf c, Clock clock) {
    double ratio = c.number("drop_ratio", 1.0);
    if (ratio < 0 || ratio > 1) {
      c.problem("drop_ratio", ratio + " must be between 0 and 1");
    }
    if (!c.has("expr")) {
      c.problem("expr", "is required; entries it holds for are dropped, for example body matches \"^DEBUG\"");
      return null;
    }
    Expr expr = c.condition("expr");
    return expr == null ? null : new SimpleOperators.Filter(expr, ratio);
  }

  private static Operator recombine(Conf c, Clock clock) {
    Field field = c.requiredField("combine_field");
    String with = c.string("combine_with", "\n");
    Expr first = c.condition("is_first_entry");
    Expr last = c.condition("is_last_entry");
    if (c.has("is_first_entry") == c.has("is_last_entry")) {
      c.problem(c.has("is_first_entry") ? "is_last_entry" : "is_first_entry", c.has("is_first_entry")
          ? "cannot be combined with is_first_entry; set exactly one"
          : "or is_last_entry is required; for a stack trace, is_first_entry: body matches \"^[^\\\\s]\"");
    }
    long maxBatch = c.integer("max_batch_size", 1000);
    if (maxBatch < 1 || maxBatch > Integer.MAX_VALUE) {
      c.problem("max_batch_size", maxBatch + " must be at least 1");
    }
    long maxUnmatched = c.integer("max_unmatched_batch_size", 100);
    if (maxUnmatched < 0 || maxUnmatched > Integer.MAX_VALUE) {
      c.problem("max_unmatched_batch_size", maxUnmatched + " must be 0 (no limit) or more");
    }
    long maxLogSize = byteSize(c, "max_log_size", 0);
    String overwrite = c.string("overwrite_with", "newest");
    if (!overwrite.equals("newest") && !overwrite.equals("oldest")) {
      c.problem("overwrite_with", "\"" + overwrite + "\" is not valid; valid: newest, oldest");
    }
    long flushMillis = 5000;
    String period = c.string("force_flush_period", null);
    if (period != null) {
      try {
        flushMillis = io.sluice.core.config.GoDurations.parse(period).toMillis();
      } catch (IllegalArgumentException e) {
        c.problem("force_flush_period", "\"" + period + "\" is not a duration such as \"5s\" or \"500ms\"");
      }
    }
    Field source = c.field("source_identifier", Field.attribute("log.file.path"));
    long maxSources = c.integer("max_sources", 1000);
    if (maxSources < 1 || maxSources > Integer.MAX_VALUE) {
      c.problem("max_sources", maxSources + " must be at least 1");
    }
    if (field == null || (first == null && last == null)) {
      return null;
    }
    return new Recombine(field, with, first, last, (int) maxBatch, (int) maxUnmatched, maxLogSize,
        overwrite.equals("newest"), flushMillis, source, (int) maxSources, clock);
  }

  private static Operator router(Conf c, Clock clock) {
    Object raw = c.raw("routes");
    if (!(raw instanceof List<?> l)) {
      c.problem("routes", raw == null ? "is required; a list of {expr, output}"
          : "expected a list of {expr, output}, got " + Conf.describe(raw));
      return null;
    }
    List<Router.Route> routes = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      Conf r = new Conf(l.get(i), c.path("routes[" + i + "]"), c.problems());
      r.refuseUnknown(List.of("expr", "output", "attributes"));
      if (!r.has("expr")) {
        r.problem("expr", "is required; for example attributes.level == \"error\"");
      }
      if (!r.has("output")) {
        r.problem("output", "is required; the id of the operator to send matching entries to");
      }
      Expr expr = r.condition("expr");
      List<String> outputs = r.strings("output");
      Object attrs = r.raw("attributes");
      if (attrs != null && !(attrs instanceof Map)) {
        r.problem("attributes", "expected a map of attributes to add, got " + Conf.describe(attrs));
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> attributes = attrs instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
      routes.add(new Router.Route(expr, outputs, attributes));
    }
    List<String> defaults = c.strings("default");
    return new Router(routes, defaults);
  }
}

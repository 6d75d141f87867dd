package io.sluice.receiver.logoperators;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A complex parser of the Collector ({@code regex_parser}, {@code json_parser}, {@code
 * key_value_parser}, {@code csv_parser}): parses the value at {@code parse_from} (default {@code
 * body}) into a map written to {@code parse_to} (default {@code attributes}, merged into what is
 * there), sets the body from {@code body} if given, then runs the embedded {@code timestamp},
 * {@code severity}, {@code trace} and {@code scope_name} parsers, each independently of the
 * others. When the main parse fails the entry is left exactly as it was.
 */
abstract class ParserOperator extends Operator {
  static final List<String> PARSER_KEYS = List.of("type", "id", "output", "on_error", "if", "parse_from",
      "parse_to", "body", "timestamp", "severity", "trace", "scope_name");

  Field parseFrom = Field.body();
  Field parseTo = Field.attribute();
  private boolean toAttributes = true;
  private Field bodyFrom;
  /** The embedded timestamp, severity and trace parsers that are configured, in that order. */
  private EntryStep[] steps = new EntryStep[0];
  private Field scopeName;

  /** Reads the keys every parser has; the subclass reads its own. */
  void readParserKeys(Conf c, Clock clock) {
    parseFrom = c.field("parse_from", Field.body());
    parseTo = c.field("parse_to", Field.attribute());
    toAttributes = parseTo.root() == Field.Root.ATTRIBUTES && parseTo.isRoot();
    bodyFrom = c.field("body", null);
    if (bodyFrom != null && parseTo.root() == Field.Root.BODY && parseTo.isRoot()) {
      c.problem("body", "cannot be combined with parse_to: body; parse to attributes and pick the body from there");
    }
    List<EntryStep> found = new ArrayList<>();
    Conf t = c.sub("timestamp");
    if (t != null) {
      t.refuseUnknown(TimeParser.KEYS);
      found.add(TimeParser.read(t, clock));
    }
    Conf s = c.sub("severity");
    if (s != null) {
      s.refuseUnknown(SeverityParser.KEYS);
      found.add(SeverityParser.read(s));
    }
    Conf tr = c.sub("trace");
    if (tr != null) {
      tr.refuseUnknown(TraceParser.KEYS);
      found.add(TraceParser.read(tr));
    }
    found.removeIf(java.util.Objects::isNull); // invalid ones were reported
    steps = found.toArray(new EntryStep[0]);
    Conf sn = c.sub("scope_name");
    if (sn != null) {
      sn.refuseUnknown(List.of("parse_from"));
      scopeName = sn.requiredField("parse_from");
    }
  }

  /** Parses the value found at {@code parse_from} into a new map. */
  abstract Map<String, Object> parse(Object value, LogEntry e) throws EntryException;

  @Override
  void transform(LogEntry e) throws EntryException {
    Object v = parseFrom.get(e);
    if (v == null) {
      throw new EntryException("the entry has no " + parseFrom + " to parse");
    }
    Map<String, Object> parsed = parse(v, e);
    if (toAttributes && !e.hasAttributes()) {
      e.attributes(parsed); // the common case: no second map to merge into
    } else {
      parseTo.set(e, parsed);
    }
    embedded(e);
  }

  /**
   * Sets the body from {@code body}, then runs the embedded parsers, each whatever the others
   * did; the first error is thrown after all have run. The order is the Collector's.
   */
  final void embedded(LogEntry e) throws EntryException {
    if (bodyFrom != null) {
      Object v = bodyFrom.get(e);
      if (v != null) {
        e.body(LogEntry.deepCopy(v));
      }
    }
    EntryException first = null;
    for (EntryStep step : steps) {
      try {
        step.apply(e);
      } catch (EntryException x) {
        first = first == null ? x : first;
      }
    }
    if (scopeName != null) {
      Object v = scopeName.get(e);
      if (v instanceof String s) {
        e.scopeName(s);
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** The string to parse, or an error naming the type found. */
  final String text(Object value) throws EntryException {
    if (value instanceof String s) {
      return s;
    } else if (value instanceof byte[] b) {
      return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
    throw new EntryException(type + " cannot parse " + parseFrom + ": it is a " + Expr.typeName(value)
        + ", not a string");
  }

  static List<String> keys(List<String> base, String... own) {
    List<String> all = new ArrayList<>(base);
    all.addAll(List.of(own));
    return all;
  }
}

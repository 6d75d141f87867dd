package io.sluice.processor.tailsampling;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The subset of OTTL boolean conditions that Sluice's {@code ottl_condition} policy evaluates:
 *
 * <ul>
 *   <li>comparisons {@code ==}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=} between
 *       paths and literals (strings, integers, floats, {@code true}/{@code false}, {@code nil}, and
 *       the enums {@code SPAN_KIND_*} and {@code STATUS_CODE_*}), with OTTL's rules: values of
 *       different types are unequal and not ordered; integers and floats compare as numbers;
 *   <li>{@code and}, {@code or}, {@code not} and parentheses; {@code true} and {@code false};
 *   <li>the function {@code IsMatch(value, "regex")} (RE2, unanchored; numbers and booleans are
 *       matched in their string form, nil never matches).
 * </ul>
 *
 * Paths in the {@code span} context (optionally written with a {@code span.} prefix):
 * {@code name}, {@code kind}, {@code status.code}, {@code status.message}, {@code trace_state},
 * {@code start_time_unix_nano}, {@code end_time_unix_nano}, {@code trace_id.string},
 * {@code span_id.string}, {@code parent_span_id.string}, {@code attributes["key"]},
 * {@code resource.attributes["key"]}, {@code instrumentation_scope.name},
 * {@code instrumentation_scope.version}. In the {@code spanevent} context: {@code name},
 * {@code time_unix_nano}, {@code attributes["key"]} (the event's), the span's fields as
 * {@code span.<path>}, and {@code resource.attributes["key"]}, {@code instrumentation_scope.*}.
 *
 * <p>Anything else (other functions and converters, other paths, nested map keys, math) is
 * refused when the config is loaded, with an error naming the part that is not supported.
 */
final class Ottl {
  private Ottl() {}

  /** The value of an attribute that is an array, a map of values or bytes: only nil-compared. */
  static final Object OTHER = new Object() {
    @Override
    public String toString() {
      return "<array or map>";
    }
  };

  enum Context { SPAN, SPANEVENT }

  static final class OttlException extends Exception {
    OttlException(String message) {
      super(message);
    }
  }

  /** What a condition is evaluated on: one span, and for span events one event of it. */
  interface Subject {
    /** The value at a span-level path (a {@link Field}), or null. */
    Object span(Field f, byte[] attrKey);

    /** The value at an event-level path, or null. */
    Object event(Field f, byte[] attrKey);
  }

  /** The fields a path can name. */
  enum Field {
    NAME, KIND, STATUS_CODE, STATUS_MESSAGE, TRACE_STATE, START_TIME, END_TIME, TRACE_ID, SPAN_ID, PARENT_SPAN_ID,
    ATTRIBUTE, RESOURCE_ATTRIBUTE, SCOPE_NAME, SCOPE_VERSION, EVENT_NAME, EVENT_TIME, EVENT_ATTRIBUTE
  }

  /** A compiled condition. */
  interface Condition {
    boolean test(Subject s);
  }

  private interface Value {
    Object get(Subject s);
  }

  private static final Map<String, Long> ENUMS = Map.ofEntries(
      Map.entry("SPAN_KIND_UNSPECIFIED", 0L), Map.entry("SPAN_KIND_INTERNAL", 1L),
      Map.entry("SPAN_KIND_SERVER", 2L), Map.entry("SPAN_KIND_CLIENT", 3L),
      Map.entry("SPAN_KIND_PRODUCER", 4L), Map.entry("SPAN_KIND_CONSUMER", 5L),
      Map.entry("STATUS_CODE_UNSET", 0L), Map.entry("STATUS_CODE_OK", 1L), Map.entry("STATUS_CODE_ERROR", 2L));

  private static final String SUPPORTED = "Sluice evaluates comparisons (==, !=, <, <=, >, >=) of paths and"
      + " literals, and, or, not, parentheses and IsMatch(value, \"regex\")";

  /** Parses and compiles one condition for a context. */
  static Condition parse(String text, Context ctx) throws OttlException {
    if (text == null || text.isBlank()) {
      throw new OttlException("the condition is empty");
    }
    Parser p = new Parser(text, ctx);
    Condition c = p.orExpr();
    if (p.peek().kind != Tok.EOF) {
      throw p.error("unexpected " + p.peek().describe());
    }
    return c;
  }

  // ---- tokens ---------------------------------------------------------------------------------

  private enum Tok { IDENT, STRING, INT, FLOAT, OP, LPAREN, RPAREN, LBRACKET, RBRACKET, COMMA, DOT, EOF }

  private record Token(Tok kind, String text, int pos) {
    String describe() {
      return kind == Tok.EOF ? "end of condition" : "\"" + text + "\" at position " + (pos + 1);
    }
  }

  private static List<Token> lex(String s) throws OttlException {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '"') {
        StringBuilder sb = new StringBuilder();
        int start = i++;
        boolean closed = false;
        while (i < s.length()) {
          char d = s.charAt(i++);
          if (d == '\\' && i < s.length()) {
            char e = s.charAt(i++);
            sb.append(switch (e) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              default -> e;
            });
          } else if (d == '"') {
            closed = true;
            break;
          } else {
            sb.append(d);
          }
        }
        if (!closed) {
          throw new OttlException("a string starting at position " + (start + 1) + " is not closed with \"");
        }
        out.add(new Token(Tok.STRING, sb.toString(), start));
      } else if (Character.isDigit(c) || (c == '-' || c == '+') && i + 1 < s.length()
          && (Character.isDigit(s.charAt(i + 1)) || s.charAt(i + 1) == '.')) {
        int start = i++;
        boolean isFloat = false;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == 'e'
            || s.charAt(i) == 'E' || (s.charAt(i) == '-' || s.charAt(i) == '+')
            && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E'))) {
          isFloat |= s.charAt(i) == '.' || s.charAt(i) == 'e' || s.charAt(i) == 'E';
          i++;
        }
        out.add(new Token(isFloat ? Tok.FLOAT : Tok.INT, s.substring(start, i), start));
      } else if (Character.isLetter(c) || c == '_') {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        out.add(new Token(Tok.IDENT, s.substring(start, i), start));
      } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        int start = i++;
        if (i < s.length() && s.charAt(i) == '=') {
          i++;
        }
        String op = s.substring(start, i);
        if (op.equals("=") || op.equals("!")) {
          throw new OttlException("\"" + op + "\" at position " + (start + 1) + " is not an operator; use == or !=");
        }
        out.add(new Token(Tok.OP, op, start));
      } else {
        Tok k = switch (c) {
          case '(' -> Tok.LPAREN;
          case ')' -> Tok.RPAREN;
          case '[' -> Tok.LBRACKET;
          case ']' -> Tok.RBRACKET;
          case ',' -> Tok.COMMA;
          case '.' -> Tok.DOT;
          default -> null;
        };
        if (k == null) {
          throw new OttlException("\"" + c + "\" at position " + (i + 1) + " is not supported; " + SUPPORTED);
        }
        out.add(new Token(k, String.valueOf(c), i++));
      }
    }
    out.add(new Token(Tok.EOF, "", s.length()));
    return out;
  }

  // ---- parser ---------------------------------------------------------------------------------

  private static final class Parser {
    final List<Token> tokens;
    final Context ctx;
    int at;

    Parser(String text, Context ctx) throws OttlException {
      this.tokens = lex(text);
      this.ctx = ctx;
    }

    Token peek() {
      return tokens.get(at);
    }

    Token next() {
      return tokens.get(at++);
    }

    boolean keyword(String k) {
      Token t = peek();
      if (t.kind == Tok.IDENT && t.text.equals(k)) {
        at++;
        return true;
      }
      return false;
    }

    OttlException error(String what) {
      return new OttlException(what + "; " + SUPPORTED);
    }

    Token expect(Tok kind, String what) throws OttlException {
      Token t = next();
      if (t.kind != kind) {
        throw error("expected " + what + ", got " + t.describe());
      }
      return t;
    }

    Condition orExpr() throws OttlException {
      Condition left = andExpr();
      while (keyword("or")) {
        Condition a = left;
        Condition b = andExpr();
        left = s -> a.test(s) || b.test(s);
      }
      return left;
    }

    Condition andExpr() throws OttlException {
      Condition left = notExpr();
      while (keyword("and")) {
        Condition a = left;
        Condition b = notExpr();
        left = s -> a.test(s) && b.test(s);
      }
      return left;
    }

    Condition notExpr() throws OttlException {
      if (keyword("not")) {
        Condition c = notExpr();
        return s -> !c.test(s);
      }
      return primary();
    }

    Condition primary() throws OttlException {
      Token t = peek();
      if (t.kind == Tok.LPAREN) {
        at++;
        Condition c = orExpr();
        expect(Tok.RPAREN, "\")\"");
        return c;
      }
      if (t.kind == Tok.IDENT && tokens.get(at + 1).kind == Tok.LPAREN) {
        Condition c = function();
        if (peek().kind == Tok.OP) {
          throw error("the result of " + t.text + "(...) cannot be compared at " + peek().describe());
        }
        return c;
      }
      Value left = value();
      Token op = peek();
      if (op.kind != Tok.OP) {
        if (left instanceof Literal l && l.v instanceof Boolean b) {
          return s -> b;
        }
        throw error("expected a comparison operator after " + t.describe() + ", got " + op.describe());
      }
      at++;
      Value right = value();
      Cmp cmp = Cmp.of(op.text);
      return s -> compare(left.get(s), right.get(s), cmp);
    }

    Condition function() throws OttlException {
      Token name = next();
      if (!name.text.equals("IsMatch")) {
        throw new OttlException("the function or converter \"" + name.text + "\" at position " + (name.pos + 1)
            + " is not in Sluice's OTTL subset; the only function is IsMatch(value, \"regex\"); " + SUPPORTED);
      }
      expect(Tok.LPAREN, "\"(\"");
      Value target = value();
      expect(Tok.COMMA, "\",\" between IsMatch's arguments");
      Token pattern = expect(Tok.STRING, "a regular expression in quotes as IsMatch's second argument");
      expect(Tok.RPAREN, "\")\"");
      Pattern re;
      try {
        re = Pattern.compile(pattern.text);
      } catch (PatternSyntaxException e) {
        throw new OttlException("IsMatch: invalid regular expression \"" + pattern.text + "\": " + e.getDescription());
      }
      return s -> {
        String str = matchable(target.get(s));
        return str != null && re.matcher(str).find();
      };
    }

    Value value() throws OttlException {
      Token t = next();
      switch (t.kind) {
        case STRING -> {
          return new Literal(t.text);
        }
        case INT -> {
          try {
            return new Literal(Long.parseLong(t.text.startsWith("+") ? t.text.substring(1) : t.text));
          } catch (NumberFormatException e) {
            throw error("the integer " + t.describe() + " does not fit 64 bits");
          }
        }
        case FLOAT -> {
          try {
            return new Literal(Double.parseDouble(t.text));
          } catch (NumberFormatException e) {
            throw error("the number " + t.describe() + " is not valid");
          }
        }
        case IDENT -> {
          switch (t.text) {
            case "true" -> {
              return new Literal(Boolean.TRUE);
            }
            case "false" -> {
              return new Literal(Boolean.FALSE);
            }
            case "nil" -> {
              return new Literal(null);
            }
            default -> { }
          }
          if (ENUMS.containsKey(t.text)) {
            return new Literal(ENUMS.get(t.text));
          }
          if (peek().kind == Tok.LPAREN) {
            throw new OttlException("the converter \"" + t.text + "\" at position " + (t.pos + 1)
                + " is not in Sluice's OTTL subset; " + SUPPORTED);
          }
          at--;
          return path();
        }
        default -> throw error("expected a value (a path or a literal), got " + t.describe());
      }
    }

    /** {@code a.b.c} and at most one {@code ["key"]}. */
    Value path() throws OttlException {
      Token first = peek();
      StringBuilder sb = new StringBuilder(expect(Tok.IDENT, "a path").text);
      while (peek().kind == Tok.DOT) {
        at++;
        sb.append('.').append(expect(Tok.IDENT, "a path segment after \".\"").text);
      }
      String key = null;
      if (peek().kind == Tok.LBRACKET) {
        at++;
        if (peek().kind != Tok.STRING) {
          throw new OttlException("indexing " + sb + " with " + peek().describe() + " is not in Sluice's OTTL"
              + " subset; only attributes[\"key\"] and resource.attributes[\"key\"] take a key");
        }
        key = expect(Tok.STRING, "a key in quotes inside [ ]").text;
        expect(Tok.RBRACKET, "\"]\"");
        if (peek().kind == Tok.LBRACKET) {
          throw new OttlException("nested keys (" + sb + "[\"" + key + "\"][...]) are not in Sluice's OTTL subset;"
              + " compare a top-level attribute");
        }
      }
      return resolve(sb.toString(), key, first);
    }

    Value resolve(String path, String key, Token at) throws OttlException {
      String p = path;
      boolean event = ctx == Context.SPANEVENT;
      if (!event && p.startsWith("span.")) {
        p = p.substring(5);
      } else if (event && p.startsWith("spanevent.")) {
        p = p.substring(10);
      }
      boolean spanLevel = !event;
      if (event && p.startsWith("span.")) {
        p = p.substring(5);
        spanLevel = true;
      }
      Field f = null;
      if (p.startsWith("resource.") || p.startsWith("instrumentation_scope.")) {
        spanLevel = true;
      }
      if (key != null) {
        if (p.equals("attributes")) {
          f = spanLevel ? Field.ATTRIBUTE : Field.EVENT_ATTRIBUTE;
        } else if (p.equals("resource.attributes")) {
          f = Field.RESOURCE_ATTRIBUTE;
        }
      } else if (spanLevel) {
        f = switch (p) {
          case "name" -> Field.NAME;
          case "kind" -> Field.KIND;
          case "status.code" -> Field.STATUS_CODE;
          case "status.message" -> Field.STATUS_MESSAGE;
          case "trace_state" -> Field.TRACE_STATE;
          case "start_time_unix_nano" -> Field.START_TIME;
          case "end_time_unix_nano" -> Field.END_TIME;
          case "trace_id.string" -> Field.TRACE_ID;
          case "span_id.string" -> Field.SPAN_ID;
          case "parent_span_id.string" -> Field.PARENT_SPAN_ID;
          case "instrumentation_scope.name" -> Field.SCOPE_NAME;
          case "instrumentation_scope.version" -> Field.SCOPE_VERSION;
          default -> null;
        };
      } else {
        f = switch (p) {
          case "name" -> Field.EVENT_NAME;
          case "time_unix_nano" -> Field.EVENT_TIME;
          default -> null;
        };
      }
      if (f == null) {
        String written = key == null ? path : path + "[\"" + key + "\"]";
        throw new OttlException("the path \"" + written + "\" at position " + (at.pos + 1)
            + " is not in Sluice's OTTL subset for the " + ctx.name().toLowerCase() + " context; supported: "
            + (event ? "name, time_unix_nano, attributes[\"key\"], span.<a span path>, " : "")
            + "name, kind, status.code, status.message, trace_state, start_time_unix_nano, end_time_unix_nano,"
            + " trace_id.string, span_id.string, parent_span_id.string, attributes[\"key\"],"
            + " resource.attributes[\"key\"], instrumentation_scope.name, instrumentation_scope.version");
      }
      Field field = f;
      byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
      boolean eventField = f == Field.EVENT_NAME || f == Field.EVENT_TIME || f == Field.EVENT_ATTRIBUTE;
      return eventField ? s -> s.event(field, k) : s -> s.span(field, k);
    }
  }

  private record Literal(Object v) implements Value {
    @Override
    public Object get(Subject s) {
      return v;
    }
  }

  private enum Cmp {
    EQ, NE, LT, LE, GT, GE;

    static Cmp of(String op) {
      return switch (op) {
        case "==" -> EQ;
        case "!=" -> NE;
        case "<" -> LT;
        case "<=" -> LE;
        case ">" -> GT;
        default -> GE;
      };
    }
  }

  /** OTTL's comparison rules. */
  static boolean compare(Object a, Object b, String op) {
    return compare(a, b, Cmp.of(op));
  }

  private static boolean compare(Object a, Object b, Cmp op) {
    if (a == null || b == null) {
      boolean same = a == b;
      return op == Cmp.EQ ? same : op == Cmp.NE ? !same : false;
    }
    if (a instanceof Number x && b instanceof Number y) {
      int c = (x instanceof Long l && y instanceof Long m) ? Long.compare(l, m)
          : Double.compare(x.doubleValue(), y.doubleValue());
      if ((x instanceof Double d && d.isNaN()) || (y instanceof Double e && e.isNaN())) {
        return op == Cmp.NE;
      }
      return ordered(c, op);
    }
    if (a instanceof String x && b instanceof String y) {
      return ordered(x.compareTo(y), op);
    }
    if (a instanceof Boolean x && b instanceof Boolean y) {
      return op == Cmp.EQ ? x.equals(y) : op == Cmp.NE && !x.equals(y);
    }
    // Different types, or values that only compare to nil.
    return op == Cmp.NE;
  }

  private static boolean ordered(int c, Cmp op) {
    return switch (op) {
      case EQ -> c == 0;
      case NE -> c != 0;
      case LT -> c < 0;
      case LE -> c <= 0;
      case GT -> c > 0;
      case GE -> c >= 0;
    };
  }

  /** The string IsMatch matches a value as: strings as they are, numbers and booleans in their string form. */
  private static String matchable(Object v) {
    if (v instanceof String s) {
      return s;
    } else if (v instanceof Long || v instanceof Boolean) {
      return v.toString();
    } else if (v instanceof Double d) {
      return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e21
          ? Long.toString(d.longValue()) : d.toString();
    }
    return null;
  }

  /** Lower-case hex of bytes, as OTTL's {@code .string} of IDs. */
  static String hex(byte[] b, int off, int len) {
    return HexFormat.of().formatHex(b, off, off + len);
  }
}

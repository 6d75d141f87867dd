package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;

/**
 * The part of the Collector's expression language (expr-lang, as used by {@code if}, {@code
 * filter}, {@code router} and {@code EXPR(...)}) that Sluice implements; anything else is
 * refused when the config loads, listing {@link #SUPPORTED}.
 *
 * <p>Compiled once to a tree of nodes; evaluating allocates nothing except for string
 * concatenation. Regexes after {@code matches} must be string literals and are compiled once.
 */
abstract class Expr {
  static final String SUPPORTED = "fields (body, body.key, attributes.key, attributes[\"dotted.key\"], "
      + "resource.key), string, number, true/false and nil literals, ==, !=, <, <=, >, >=, matches \"regex\", "
      + "in [list of literals], "
      + "contains, startsWith, endsWith, and (&&), or (||), not (!), + on strings and numbers, env(\"NAME\") "
      + "and parentheses";

  /** The value of the expression for an entry: a String, Long, Double, Boolean, map, list or null. */
  abstract Object eval(LogEntry e);

  /** True only when the expression's value is the boolean true. */
  final boolean test(LogEntry e) {
    return Boolean.TRUE.equals(eval(e));
  }

  /** True when the value is certainly a boolean (a comparison, logic or a boolean literal). */
  boolean isBoolean() {
    return false;
  }

  /**
   * Compiles an expression.
   *
   * @throws IllegalArgumentException saying what is not supported and what is
   */
  static Expr parse(String source) {
    Parser p = new Parser(source);
    Expr e = p.or();
    if (p.tok.kind != Kind.END) {
      throw p.error("unexpected " + p.tok.describe());
    }
    return e;
  }

  /** Compiles an expression that must give true or false ({@code if}, {@code filter}, routes). */
  static Expr parseCondition(String source) {
    Expr e = parse(source);
    if (!e.isBoolean() && !(e instanceof FieldRef)) {
      throw new IllegalArgumentException("\"" + source + "\" does not give true or false; write a comparison "
          + "such as attributes.level == \"error\"");
    }
    return e;
  }

  // ---- nodes ----

  private static final class Literal extends Expr {
    final Object value;

    Literal(Object value) {
      this.value = value;
    }

    @Override
    Object eval(LogEntry e) {
      return value;
    }

    @Override
    boolean isBoolean() {
      return value instanceof Boolean;
    }
  }

  static final class FieldRef extends Expr {
    final Field field;

    FieldRef(Field field) {
      this.field = field;
    }

    @Override
    Object eval(LogEntry e) {
      return field.get(e);
    }
  }

  private static final class Not extends Expr {
    final Expr inner;

    Not(Expr inner) {
      this.inner = inner;
    }

    @Override
    Object eval(LogEntry e) {
      return !inner.test(e);
    }

    @Override
    boolean isBoolean() {
      return true;
    }
  }

  private static final class Logic extends Expr {
    final Expr left;
    final Expr right;
    final boolean and;

    Logic(Expr left, Expr right, boolean and) {
      this.left = left;
      this.right = right;
      this.and = and;
    }

    @Override
    Object eval(LogEntry e) {
      return and ? left.test(e) && right.test(e) : left.test(e) || right.test(e);
    }

    @Override
    boolean isBoolean() {
      return true;
    }
  }

  private static final class Matches extends Expr {
    final Expr left;
    final Matcher matcher;

    Matches(Expr left, Re2.Compiled regex) {
      this.left = left;
      this.matcher = regex.pattern().matcher("");
    }

    @Override
    Object eval(LogEntry e) {
      Object v = left.eval(e);
      return v instanceof String s && matcher.reset(s).find();
    }

    @Override
    boolean isBoolean() {
      return true;
    }
  }

  private enum Op {
    EQ, NE, LT, LE, GT, GE, CONTAINS, STARTS_WITH, ENDS_WITH
  }

  private static final class Compare extends Expr {
    final Expr left;
    final Expr right;
    final Op op;

    Compare(Expr left, Expr right, Op op) {
      this.left = left;
      this.right = right;
      this.op = op;
    }

    @Override
    Object eval(LogEntry e) {
      Object a = left.eval(e);
      Object b = right.eval(e);
      switch (op) {
        case EQ:
          return same(a, b);
        case NE:
          return !same(a, b);
        case CONTAINS:
          return a instanceof String s && b instanceof String t && s.contains(t);
        case STARTS_WITH:
          return a instanceof String s && b instanceof String t && s.startsWith(t);
        case ENDS_WITH:
          return a instanceof String s && b instanceof String t && s.endsWith(t);
        default:
          int c;
          if (a instanceof Number x && b instanceof Number y) {
            c = Double.compare(x.doubleValue(), y.doubleValue());
          } else if (a instanceof String s && b instanceof String t) {
            c = s.compareTo(t);
          } else {
            return false;
          }
          return switch (op) {
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            default -> c >= 0;
          };
      }
    }

    private static boolean same(Object a, Object b) {
      if (a instanceof Number x && b instanceof Number y) {
        return x.doubleValue() == y.doubleValue();
      }
      return Objects.equals(a, b);
    }

    @Override
    boolean isBoolean() {
      return true;
    }
  }

  private static final class In extends Expr {
    final Expr left;
    final Object[] values;

    In(Expr left, List<Object> values) {
      this.left = left;
      this.values = values.toArray();
    }

    @Override
    Object eval(LogEntry e) {
      Object v = left.eval(e);
      for (Object x : values) {
        if (Compare.same(v, x)) {
          return true;
        }
      }
      return false;
    }

    @Override
    boolean isBoolean() {
      return true;
    }
  }

  private static final class Plus extends Expr {
    final Expr left;
    final Expr right;

    Plus(Expr left, Expr right) {
      this.left = left;
      this.right = right;
    }

    @Override
    Object eval(LogEntry e) {
      Object a = left.eval(e);
      Object b = right.eval(e);
      if (a instanceof Long x && b instanceof Long y) {
        return x + y;
      } else if (a instanceof Number x && b instanceof Number y) {
        return x.doubleValue() + y.doubleValue();
      }
      return String.valueOf(a == null ? "" : a) + (b == null ? "" : b);
    }
  }

  // ---- parsing ----

  private enum Kind {
    STRING, NUMBER, IDENT, OP, LPAREN, RPAREN, LBRACKET, RBRACKET, DOT, COMMA, END
  }

  private record Token(Kind kind, String text, Object value, int at) {
    String describe() {
      return kind == Kind.END ? "end of expression" : "\"" + text + "\" at " + (at + 1);
    }
  }

  private static final class Parser {
    final String src;
    final List<Token> tokens;
    int pos;
    Token tok;

    Parser(String src) {
      this.src = src;
      this.tokens = lex(src);
      this.tok = tokens.get(0);
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("expression \"" + src + "\": " + what + "; supported: " + SUPPORTED);
    }

    void next() {
      tok = tokens.get(++pos);
    }

    boolean word(String... words) {
      if (tok.kind == Kind.IDENT || tok.kind == Kind.OP) {
        for (String w : words) {
          if (tok.text.equals(w)) {
            return true;
          }
        }
      }
      return false;
    }

    Expr or() {
      Expr left = and();
      while (word("or", "||")) {
        next();
        left = new Logic(left, and(), false);
      }
      return left;
    }

    Expr and() {
      Expr left = unary();
      while (word("and", "&&")) {
        next();
        left = new Logic(left, unary(), true);
      }
      return left;
    }

    Expr unary() {
      if (word("not", "!")) {
        next();
        return new Not(unary());
      }
      return comparison();
    }

    Expr comparison() {
      Expr left = additive();
      if (word("matches")) {
        next();
        if (tok.kind != Kind.STRING) {
          throw error("the right side of matches must be a string literal, got " + tok.describe());
        }
        String regex = (String) tok.value;
        next();
        try {
          return new Matches(left, Re2.compile(regex));
        } catch (IllegalArgumentException e) {
          throw error(e.getMessage());
        }
      }
      if (word("in")) {
        next();
        return new In(left, literalList());
      }
      Op op = null;
      if (tok.kind == Kind.OP) {
        op = switch (tok.text) {
          case "==" -> Op.EQ;
          case "!=" -> Op.NE;
          case "<" -> Op.LT;
          case "<=" -> Op.LE;
          case ">" -> Op.GT;
          case ">=" -> Op.GE;
          default -> null;
        };
      } else if (tok.kind == Kind.IDENT) {
        op = switch (tok.text) {
          case "contains" -> Op.CONTAINS;
          case "startsWith" -> Op.STARTS_WITH;
          case "endsWith" -> Op.ENDS_WITH;
          default -> null;
        };
        if (op == null && !word("and", "or", "in")) {
          throw error("unsupported operator " + tok.describe());
        }
      }
      if (op == null) {
        return left;
      }
      next();
      return new Compare(left, additive(), op);
    }

    /** {@code ["a", "b", 3]}: the right side of {@code in}, literals only. */
    List<Object> literalList() {
      if (tok.kind != Kind.LBRACKET) {
        throw error("in takes a list of literals such as [\"error\", \"fatal\"], got " + tok.describe());
      }
      next();
      List<Object> values = new ArrayList<>();
      while (tok.kind != Kind.RBRACKET) {
        if (tok.kind == Kind.STRING || tok.kind == Kind.NUMBER) {
          values.add(tok.value);
        } else if (word("true", "false")) {
          values.add(Boolean.valueOf(tok.text));
        } else {
          throw error("in takes a list of literals, got " + tok.describe());
        }
        next();
        if (tok.kind == Kind.COMMA) {
          next();
        } else if (tok.kind != Kind.RBRACKET) {
          throw error("expected \",\" or \"]\" in the list, got " + tok.describe());
        }
      }
      next();
      return values;
    }

    Expr additive() {
      Expr left = primary();
      while (tok.kind == Kind.OP && tok.text.equals("+")) {
        next();
        left = new Plus(left, primary());
      }
      if (tok.kind == Kind.OP && (tok.text.equals("-") || tok.text.equals("*") || tok.text.equals("/")
          || tok.text.equals("%"))) {
        throw error("unsupported operator " + tok.describe());
      }
      return left;
    }

    Expr primary() {
      Token t = tok;
      switch (t.kind) {
        case STRING, NUMBER -> {
          next();
          return new Literal(t.value);
        }
        case LPAREN -> {
          next();
          Expr inner = or();
          if (tok.kind != Kind.RPAREN) {
            throw error("expected \")\", got " + tok.describe());
          }
          next();
          return inner;
        }
        case IDENT -> {
          switch (t.text) {
            case "true", "false" -> {
              next();
              return new Literal(Boolean.valueOf(t.text));
            }
            case "nil" -> {
              next();
              return new Literal(null);
            }
            case "body", "attributes", "resource" -> {
              return fieldRef();
            }
            case "env" -> {
              return env();
            }
            default -> throw error("unsupported name " + t.describe()
                + (peekIs(Kind.LPAREN) ? " (function calls are not supported)" : ""));
          }
        }
        default -> throw error("unexpected " + t.describe());
      }
    }

    /** {@code env("NAME")}: read once, when the config loads; unset is "" as in Go. */
    Expr env() {
      next();
      if (tok.kind != Kind.LPAREN) {
        throw error("env must be called as env(\"NAME\")");
      }
      next();
      if (tok.kind != Kind.STRING) {
        throw error("env takes the variable's name as a string literal, got " + tok.describe());
      }
      String name = (String) tok.value;
      next();
      if (tok.kind != Kind.RPAREN) {
        throw error("expected \")\" after env's argument, got " + tok.describe());
      }
      next();
      String value = System.getenv(name);
      return new Literal(value == null ? "" : value);
    }

    boolean peekIs(Kind k) {
      return pos + 1 < tokens.size() && tokens.get(pos + 1).kind == k;
    }

    Expr fieldRef() {
      List<String> keys = new ArrayList<>();
      String root = tok.text;
      next();
      while (true) {
        if (tok.kind == Kind.DOT) {
          next();
          if (tok.kind != Kind.IDENT) {
            throw error("expected a key after \".\", got " + tok.describe());
          }
          keys.add(tok.text);
          next();
        } else if (tok.kind == Kind.LBRACKET) {
          next();
          if (tok.kind != Kind.STRING) {
            throw error("expected a quoted key in [ ], got " + tok.describe());
          }
          keys.add((String) tok.value);
          next();
          if (tok.kind != Kind.RBRACKET) {
            throw error("expected \"]\", got " + tok.describe());
          }
          next();
        } else {
          break;
        }
      }
      String[] k = keys.toArray(new String[0]);
      Field f = switch (root) {
        case "body" -> Field.body(k);
        case "attributes" -> Field.attribute(k);
        default -> Field.resource(k);
      };
      return new FieldRef(f);
    }

    private List<Token> lex(String s) {
      List<Token> out = new ArrayList<>();
      int i = 0;
      int n = s.length();
      while (i < n) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '"' || c == '\'') {
          StringBuilder sb = new StringBuilder();
          int j = i + 1;
          while (j < n && s.charAt(j) != c) {
            char d = s.charAt(j);
            if (d == '\\' && j + 1 < n) {
              char x = s.charAt(j + 1);
              switch (x) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\', '"', '\'' -> sb.append(x);
                default -> sb.append('\\').append(x); // e.g. \d in a regex literal
              }
              j += 2;
            } else {
              sb.append(d);
              j++;
            }
          }
          if (j >= n) {
            throw new IllegalArgumentException("expression \"" + s + "\": a string starting at " + (i + 1)
                + " is not closed; supported: " + SUPPORTED);
          }
          out.add(new Token(Kind.STRING, s.substring(i, j + 1), sb.toString(), i));
          i = j + 1;
        } else if (Character.isDigit(c)) {
          int j = i;
          while (j < n && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '.' || s.charAt(j) == '_')) {
            j++;
          }
          String text = s.substring(i, j).replace("_", "");
          Object v;
          try {
            v = text.contains(".") ? (Object) Double.valueOf(text) : (Object) Long.valueOf(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expression \"" + s + "\": bad number \"" + text + "\"");
          }
          out.add(new Token(Kind.NUMBER, text, v, i));
          i = j;
        } else if (Character.isLetter(c) || c == '_' || c == '$') {
          int j = i;
          while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == '$')) {
            j++;
          }
          out.add(new Token(Kind.IDENT, s.substring(i, j), null, i));
          i = j;
        } else {
          Kind k = switch (c) {
            case '(' -> Kind.LPAREN;
            case ')' -> Kind.RPAREN;
            case '[' -> Kind.LBRACKET;
            case ']' -> Kind.RBRACKET;
            case '.' -> Kind.DOT;
            case ',' -> Kind.COMMA;
            default -> Kind.OP;
          };
          int len = 1;
          if (k == Kind.OP && i + 1 < n) {
            String two = s.substring(i, i + 2);
            if (two.equals("==") || two.equals("!=") || two.equals("<=") || two.equals(">=") || two.equals("&&")
                || two.equals("||")) {
              len = 2;
            }
          }
          String text = s.substring(i, i + len);
          if (k == Kind.OP && !text.matches("==|!=|<=|>=|&&|\\|\\||<|>|!|\\+|-|\\*|/|%")) {
            throw new IllegalArgumentException("expression \"" + s + "\": unexpected \"" + text + "\" at " + (i + 1)
                + "; supported: " + SUPPORTED);
          }
          out.add(new Token(k, text, null, i));
          i += len;
        }
      }
      out.add(new Token(Kind.END, "", null, n));
      return out;
    }
  }

  /** For tests and messages: the map-free description of a value's type. */
  static String typeName(Object v) {
    if (v == null) {
      return "nil";
    } else if (v instanceof Map) {
      return "map";
    } else if (v instanceof List) {
      return "list";
    }
    return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }
}

package io.sluice.translation.prometheus.relabel;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import io.sluice.core.ConfigProblem;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A compiled list of relabeling steps, applied to label sets with Prometheus'
 * {@code relabel_configs} semantics. Immutable and safe to share between threads.
 *
 * <pre>{@code
 * Relabeler r = Relabeler.compile(config.metricRelabelConfigs());
 * LabelSet out = r.apply(labels); // null: the series is dropped
 * }</pre>
 */
public final class Relabeler {
  private static final Relabeler NONE = new Relabeler(new Step[0]);
  private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no MD5", e);
    }
  });

  private final Step[] steps;

  private Relabeler(Step[] steps) {
    this.steps = steps;
  }

  /**
   * Compiles the steps, which should have passed {@link RelabelConfig#validate}.
   *
   * @throws IllegalArgumentException listing every problem when a step is invalid
   */
  public static Relabeler compile(List<RelabelConfig> configs) {
    if (configs == null || configs.isEmpty()) {
      return NONE;
    }
    List<ConfigProblem> problems = RelabelConfig.validateAll("relabel_configs", configs);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid relabel configs: " + problems.stream()
          .map(p -> p.path() + ": " + p.message()).collect(Collectors.joining("; ")));
    }
    Step[] steps = new Step[configs.size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = new Step(configs.get(i));
    }
    return new Relabeler(steps);
  }

  /** Whether there are no steps, so that {@link #apply} returns its input. */
  public boolean isEmpty() {
    return steps.length == 0;
  }

  /**
   * Runs every step over {@code in}.
   *
   * @return the relabeled set; {@code in} itself when nothing changed; null when a step dropped
   *     the series
   */
  public LabelSet apply(LabelSet in) {
    if (steps.length == 0) {
      return in;
    }
    LabelSet.Builder b = in.toBuilder();
    for (Step s : steps) {
      if (!s.apply(b)) {
        return null;
      }
    }
    return b.modified() ? b.build() : in;
  }

  /**
   * The value {@code hashmod} writes for a joined source value: the last 8 bytes of its MD5 as an
   * unsigned big-endian number, modulo {@code modulus} (unsigned).
   */
  public static long hashMod(String value, long modulus) {
    MessageDigest md = MD5.get();
    byte[] h = md.digest(value.getBytes(StandardCharsets.UTF_8));
    long x = 0;
    for (int i = 8; i < 16; i++) {
      x = (x << 8) | (h[i] & 0xff);
    }
    return Long.remainderUnsigned(x, modulus);
  }

  /** One compiled step. */
  private static final class Step {
    private final RelabelAction action;
    private final String[] sources;
    private final String separator;
    private final Pattern pattern;
    private final String target;
    private final Template targetTemplate;
    private final Template replacement;
    private final long modulus;

    Step(RelabelConfig c) {
      this.action = c.parsedAction();
      this.sources = c.sourceLabels().toArray(new String[0]);
      this.separator = c.separator();
      this.pattern = c.compiledRegex();
      this.target = c.targetLabel();
      this.targetTemplate = Template.parse(c.targetLabel(), pattern);
      this.replacement = Template.parse(c.replacement(), pattern);
      this.modulus = c.modulus();
    }

    /** Applies the step; false when the series is dropped. */
    boolean apply(LabelSet.Builder b) {
      switch (action) {
        case LABELMAP -> {
          int n = b.size();
          String[] names = new String[n];
          String[] values = new String[n];
          for (int i = 0; i < n; i++) {
            names[i] = b.name(i);
            values[i] = b.value(i);
          }
          for (int i = 0; i < n; i++) {
            Matcher m = pattern.matcher(names[i]);
            if (m.matches()) {
              String name = replacement.expand(m);
              if (!name.isEmpty()) {
                b.set(name, values[i]);
              }
            }
          }
          return true;
        }
        case LABELDROP, LABELKEEP -> {
          boolean dropMatching = action == RelabelAction.LABELDROP;
          // Backwards: removal moves the last label into the hole, and that one was already seen.
          for (int i = b.size() - 1; i >= 0; i--) {
            if (pattern.matcher(b.name(i)).matches() == dropMatching) {
              b.removeAt(i);
            }
          }
          return true;
        }
        default -> {
          return applyToValue(b, joined(b));
        }
      }
    }

    private boolean applyToValue(LabelSet.Builder b, String value) {
      switch (action) {
        case REPLACE -> {
          Matcher m = pattern.matcher(value);
          if (!m.matches()) {
            return true;
          }
          String t = targetTemplate.literal() != null ? target : targetTemplate.expand(m);
          if (!LabelNames.isValid(t)) {
            return true;
          }
          b.set(t, replacement.expand(m));
          return true;
        }
        case KEEP -> {
          return pattern.matcher(value).matches();
        }
        case DROP -> {
          return !pattern.matcher(value).matches();
        }
        case KEEPEQUAL -> {
          return value.equals(current(b));
        }
        case DROPEQUAL -> {
          return !value.equals(current(b));
        }
        case HASHMOD -> {
          b.set(target, Long.toUnsignedString(hashMod(value, modulus)));
          return true;
        }
        case LOWERCASE -> {
          b.set(target, value.toLowerCase(Locale.ROOT));
          return true;
        }
        case UPPERCASE -> {
          b.set(target, value.toUpperCase(Locale.ROOT));
          return true;
        }
        default -> throw new IllegalStateException("unexpected relabel action " + action);
      }
    }

    private String current(LabelSet.Builder b) {
      String v = b.get(target);
      return v == null ? "" : v;
    }

    private String joined(LabelSet.Builder b) {
      if (sources.length == 1) {
        String v = b.get(sources[0]);
        return v == null ? "" : v;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < sources.length; i++) {
        if (i > 0) {
          sb.append(separator);
        }
        String v = b.get(sources[i]);
        if (v != null) {
          sb.append(v);
        }
      }
      return sb.toString();
    }
  }
}

package io.sluice.processor.tailsampling;

import com.google.re2j.Pattern;
import io.sluice.processor.tailsampling.PolicyConfig.CompositeConfig;
import io.sluice.processor.tailsampling.PolicyConfig.RateAllocationConfig;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The sampling policies, built from their configs. Each shard builds its own instances (they keep
 * per-shard caches); limits that are shared by the whole processor ({@code rate_limiting},
 * {@code bytes_limiting}, {@code composite}) keep their counters in {@link Shared} state, updated
 * with compare-and-set.
 */
final class Policies {
  private Policies() {}

  /** Evaluates one trace. */
  interface Policy {
    Decision evaluate(Trace t, Eval e);
  }

  /** Scratch for evaluations on one shard. */
  static final class Eval {
    final Val val = new Val();
    /** When a composite policy sampled: the name of its sub-policy that did. */
    String compositeSub;
    final LongSupplier nanoClock;

    Eval(LongSupplier nanoClock) {
      this.nanoClock = nanoClock;
    }
  }

  /** State of the processor-wide limits, by the policy's path in the config. */
  static final class Shared {
    private final Map<String, Object> state = new ConcurrentHashMap<>();

    @SuppressWarnings("unchecked")
    <T> T get(String path, java.util.function.Supplier<T> make) {
      return (T) state.computeIfAbsent(path, p -> make.get());
    }
  }

  /** One shard's instance of a top-level policy. */
  record Named(String name, String type, Policy policy) {}

  static List<Named> build(List<PolicyConfig> configs, Shared shared) {
    List<Named> drops = new ArrayList<>();
    List<Named> others = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      PolicyConfig c = configs.get(i);
      Named n = new Named(c.name(), c.typeName(), build(c, "policies[" + i + "]", shared));
      (c.typeName().equals("drop") ? drops : others).add(n);
    }
    // A drop decision overrides every other, so drop policies are evaluated first.
    drops.addAll(others);
    return drops;
  }

  static Policy build(PolicyConfig c, String path, Shared shared) {
    return switch (c.typeName()) {
      case "always_sample" -> (t, e) -> Decision.SAMPLED;
      case "latency" -> latency(c.latency() == null ? 0 : c.latency().thresholdMs(),
          c.latency() == null ? 0 : c.latency().upperThresholdMs());
      case "status_code" -> statusCode(c.statusCode().statusCodes());
      case "numeric_attribute" -> numeric(c.numericAttribute());
      case "string_attribute" -> string(c.stringAttribute());
      case "boolean_attribute" -> bool(c.booleanAttribute());
      case "probabilistic" -> probabilistic(c.probabilistic().hashSalt(), c.probabilistic().samplingPercentage());
      case "rate_limiting" -> rateLimiting(c.rateLimiting().spansPerSecond(),
          shared.get(path, () -> new AtomicLong(Long.MIN_VALUE)));
      case "bytes_limiting" -> {
        long rate = c.bytesLimiting().bytesPerSecond();
        long burst = c.bytesLimiting().burstCapacity() > 0 ? c.bytesLimiting().burstCapacity() : 2 * rate;
        yield bytesLimiting(rate, burst, shared.get(path, () -> new AtomicLong(Long.MIN_VALUE)));
      }
      case "span_count" -> {
        long min = c.spanCount() == null ? 0 : c.spanCount().minSpans();
        long max = c.spanCount() == null ? 0 : c.spanCount().maxSpans();
        yield (t, e) -> (max == 0 ? t.spans >= min : t.spans >= min && t.spans <= max)
            ? Decision.SAMPLED : Decision.NOT_SAMPLED;
      }
      case "trace_state" -> traceState(c.traceState().key(), c.traceState().values());
      case "trace_flags" -> (t, e) -> t.sampledFlag ? Decision.SAMPLED : Decision.NOT_SAMPLED;
      case "ottl_condition" -> ottl(c.ottlCondition());
      case "and" -> {
        List<Policy> subs = subs(c.and().andSubPolicy(), path + ".and.and_sub_policy", shared);
        yield (t, e) -> allSample(subs, t, e, Decision.SAMPLED);
      }
      case "drop" -> {
        List<Policy> subs = subs(c.drop().dropSubPolicy(), path + ".drop.drop_sub_policy", shared);
        yield (t, e) -> allSample(subs, t, e, Decision.DROPPED);
      }
      case "not" -> {
        Policy sub = build(c.not().notSubPolicy(), path + ".not.not_sub_policy", shared);
        yield (t, e) -> {
          Decision d = sub.evaluate(t, e);
          return d == Decision.SAMPLED ? Decision.NOT_SAMPLED : d == Decision.NOT_SAMPLED ? Decision.SAMPLED : d;
        };
      }
      case "composite" -> composite(c.composite(), path, shared);
      default -> throw new IllegalArgumentException("unknown policy type \"" + c.type() + "\"");
    };
  }

  private static List<Policy> subs(List<PolicyConfig> configs, String path, Shared shared) {
    List<Policy> out = new ArrayList<>(configs.size());
    for (int i = 0; i < configs.size(); i++) {
      out.add(build(configs.get(i), path + "[" + i + "]", shared));
    }
    return out;
  }

  /** {@code and} and {@code drop}: {@code ifAll} when no sub-policy says not sampled. */
  private static Decision allSample(List<Policy> subs, Trace t, Eval e, Decision ifAll) {
    for (Policy p : subs) {
      Decision d = p.evaluate(t, e);
      if (d == Decision.ERROR) {
        return Decision.ERROR;
      }
      if (d == Decision.NOT_SAMPLED || d == Decision.INVERT_NOT_SAMPLED) {
        return Decision.NOT_SAMPLED;
      }
    }
    return ifAll;
  }

  // ---- trace summary policies ----------------------------------------------------------------

  static Policy latency(long thresholdMs, long upperMs) {
    return (t, e) -> {
      if (t.spans == 0 || t.minStart == Long.MAX_VALUE) {
        return Decision.NOT_SAMPLED;
      }
      long ms = (t.maxEnd - t.minStart) / 1_000_000; // truncated toward zero, as Go's Duration.Milliseconds
      boolean hit = upperMs == 0 ? ms >= thresholdMs : thresholdMs < ms && ms <= upperMs;
      return hit ? Decision.SAMPLED : Decision.NOT_SAMPLED;
    };
  }

  static Policy statusCode(List<String> codes) {
    int mask = 0;
    for (String c : codes) {
      mask |= 1 << switch (c) {
        case "UNSET" -> 0;
        case "OK" -> 1;
        default -> 2;
      };
    }
    int m = mask;
    return (t, e) -> (t.statusBits & m) != 0 ? Decision.SAMPLED : Decision.NOT_SAMPLED;
  }

  // ---- attribute policies --------------------------------------------------------------------

  /** Tells whether an attribute value matches; {@code resource} says whether it is a resource's. */
  private interface ValueTest {
    boolean test(Val v, boolean resource);
  }

  /**
   * The Collector's rule for the attribute policies: sampled when the resource or any span has a
   * matching value; with {@code invert_match} the inverted decisions, "not sampled" when one has.
   */
  private static Policy anyAttribute(String key, boolean invert, ValueTest test) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return (t, e) -> {
      Val v = e.val;
      boolean hit = false;
      ResourceRef checked = null;
      Trace.Cursor c = new Trace.Cursor(t);
      while (!hit && c.next()) {
        ResourceRef r = c.scope.resource;
        if (r != checked) {
          checked = r;
          if (r.resourceOff >= 0 && v.find(r.header, r.resourceOff, r.resourceLen, 1, k) && test.test(v, true)) {
            hit = true;
            break;
          }
        }
        hit = v.find(c.data, c.off, c.len, 9, k) && test.test(v, false);
      }
      if (invert) {
        return hit ? Decision.INVERT_NOT_SAMPLED : Decision.INVERT_SAMPLED;
      }
      return hit ? Decision.SAMPLED : Decision.NOT_SAMPLED;
    };
  }

  static Policy numeric(PolicyConfig.NumericAttributeConfig c) {
    long min = c.minValue() != 0 ? c.minValue() : Long.MIN_VALUE;
    long max = c.maxValue() != 0 ? c.maxValue() : Long.MAX_VALUE;
    // A value that is not an integer reads as 0, as the Collector's Int() gives.
    return anyAttribute(c.key(), c.invertMatch(), (v, res) -> v.asInt() >= min && v.asInt() <= max);
  }

  static Policy bool(PolicyConfig.BooleanAttributeConfig c) {
    boolean want = c.value();
    return anyAttribute(c.key(), c.invertMatch(), (v, res) -> v.asBool() == want);
  }

  static Policy string(PolicyConfig.StringAttributeConfig c) {
    StringMatcher m;
    if (c.enabledRegexMatching()) {
      List<Pattern> patterns = new ArrayList<>();
      for (String s : c.values()) {
        patterns.add(Pattern.compile(s));
      }
      int size = c.cacheMaxSize() > 0 ? c.cacheMaxSize() : 128;
      Map<String, Boolean> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > size;
        }
      };
      m = s -> {
        Boolean hit = cache.get(s);
        if (hit == null) {
          hit = false;
          for (Pattern p : patterns) {
            if (p.matcher(s).find()) {
              hit = true;
              break;
            }
          }
          cache.put(s, hit);
        }
        return hit;
      };
    } else {
      List<byte[]> values = new ArrayList<>();
      for (String s : c.values()) {
        if (s != null && !s.isEmpty()) {
          values.add(s.getBytes(StandardCharsets.UTF_8));
        }
      }
      byte[][] vs = values.toArray(new byte[0][]);
      return anyAttribute(c.key(), c.invertMatch(), (v, res) -> {
        if (v.type != Val.STRING || !res && v.len == 0) {
          return false; // "" (and, for the resource, any non-string value) is never among the values
        }
        for (byte[] want : vs) {
          if (Wire.equalsBytes(v.b, v.off, v.len, want)) {
            return true;
          }
        }
        return false;
      });
    }
    StringMatcher matcher = m;
    // The resource's value is matched as its string form ("" for other types); a span's only when
    // it is a non-empty string, as in the Collector.
    return anyAttribute(c.key(), c.invertMatch(),
        (v, res) -> res ? matcher.matches(v.str()) : v.type == Val.STRING && v.len > 0 && matcher.matches(v.str()));
  }

  private interface StringMatcher {
    boolean matches(String s);
  }

  // ---- per-span policies ---------------------------------------------------------------------

  static Policy traceState(String key, List<String> values) {
    List<String> vs = new ArrayList<>();
    for (String v : values) {
      if (v != null && !v.isEmpty() && key.length() + v.length() < 256) {
        vs.add(v);
      }
    }
    return (t, e) -> {
      Trace.Cursor c = new Trace.Cursor(t);
      while (c.next()) {
        String ts = SpanFields.string(c.data, c.off, c.len, 3);
        if (!ts.isEmpty()) {
          String v = TraceStates.get(ts, key);
          if (v != null && vs.contains(v)) {
            return Decision.SAMPLED;
          }
        }
      }
      return Decision.NOT_SAMPLED;
    };
  }

  static Policy ottl(PolicyConfig.OttlConditionConfig c) {
    List<Ottl.Condition> span = new ArrayList<>();
    List<Ottl.Condition> events = new ArrayList<>();
    try {
      for (String s : c.span() == null ? List.<String>of() : c.span()) {
        span.add(Ottl.parse(s, Ottl.Context.SPAN));
      }
      for (String s : c.spanevent() == null ? List.<String>of() : c.spanevent()) {
        events.add(Ottl.parse(s, Ottl.Context.SPANEVENT));
      }
    } catch (Ottl.OttlException ex) {
      throw new IllegalArgumentException(ex.getMessage(), ex); // validated before: does not happen
    }
    return (t, e) -> {
      SpanFields.Subject subject = new SpanFields.Subject(e.val);
      Trace.Cursor cur = new Trace.Cursor(t);
      while (cur.next()) {
        subject.span(cur.data, cur.off, cur.len, cur.scope);
        for (Ottl.Condition cond : span) {
          if (cond.test(subject)) {
            return Decision.SAMPLED;
          }
        }
        if (!events.isEmpty() && subject.anyEvent(events)) {
          return Decision.SAMPLED;
        }
      }
      return Decision.NOT_SAMPLED;
    };
  }

  // ---- probabilistic -------------------------------------------------------------------------

  static final String DEFAULT_HASH_SALT = "default-hash-seed";

  static Policy probabilistic(String salt, double percentage) {
    byte[] s = (salt == null || salt.isEmpty() ? DEFAULT_HASH_SALT : salt).getBytes(StandardCharsets.UTF_8);
    long threshold = threshold(percentage / 100);
    return (t, e) -> Long.compareUnsigned(hash(s, t.hi, t.lo), threshold) <= 0
        ? Decision.SAMPLED : Decision.NOT_SAMPLED;
  }

  /** 64-bit FNV-1a over the salt's bytes and then the 16 trace ID bytes. */
  static long hash(byte[] salt, long hi, long lo) {
    long h = 0xcbf29ce484222325L;
    for (byte b : salt) {
      h ^= b & 0xFF;
      h *= 0x100000001b3L;
    }
    for (int i = 56; i >= 0; i -= 8) {
      h ^= (hi >>> i) & 0xFF;
      h *= 0x100000001b3L;
    }
    for (int i = 56; i >= 0; i -= 8) {
      h ^= (lo >>> i) & 0xFF;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /**
   * {@code ratio × (2^64 − 1)} as the Collector computes it: the product rounded to a 64-bit
   * mantissa (to nearest, ties to even), then truncated to an unsigned 64-bit integer, clamped to
   * {@code [0, 2^64 − 1]}. Returned as the bits of that unsigned value.
   */
  static long threshold(double ratio) {
    if (!(ratio > 0)) {
      return 0;
    }
    BigInteger max = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    if (Double.isInfinite(ratio)) {
      return -1L;
    }
    long bits = Double.doubleToLongBits(ratio);
    int exp = (int) ((bits >>> 52) & 0x7FF);
    long mantissa = bits & 0xFFFFFFFFFFFFFL;
    if (exp == 0) {
      exp = 1; // subnormal
    } else {
      mantissa |= 1L << 52;
    }
    int shift = exp - 1075; // ratio = mantissa * 2^shift
    BigInteger n = max.multiply(BigInteger.valueOf(mantissa));
    int extra = n.bitLength() - 64;
    if (extra > 0) {
      BigInteger unit = BigInteger.ONE.shiftLeft(extra);
      BigInteger[] qr = n.divideAndRemainder(unit);
      int cmp = qr[1].shiftLeft(1).compareTo(unit);
      BigInteger q = qr[0];
      if (cmp > 0 || cmp == 0 && q.testBit(0)) {
        q = q.add(BigInteger.ONE);
      }
      n = q.shiftLeft(extra);
    }
    BigInteger v = shift >= 0 ? n.shiftLeft(shift) : n.shiftRight(-shift);
    if (v.compareTo(max) > 0) {
      return -1L;
    }
    return v.longValue();
  }

  // ---- processor-wide limits -----------------------------------------------------------------

  /** Packs a second and a count into one long: the second in the high 32 bits. */
  private static long pack(long second, long count) {
    return (second << 32) | (count & 0xFFFFFFFFL);
  }

  /**
   * Adds {@code n} to the count of the current second in {@code cell} when the result stays below
   * {@code limit} ({@code strict}) or at most {@code limit}; a new second starts from 0.
   */
  static boolean reserve(AtomicLong cell, long second, long n, long limit, boolean strict) {
    while (true) {
      long cur = cell.get();
      long count = (cur >>> 32) == (second & 0xFFFFFFFFL) && cur != Long.MIN_VALUE ? cur & 0xFFFFFFFFL : 0;
      long after = count + n;
      if (strict ? after >= limit : after > limit) {
        return false;
      }
      if (cell.compareAndSet(cur, pack(second, after))) {
        return true;
      }
    }
  }

  /** Gives back {@code n} reserved in {@code second} (when that second is still current). */
  static void release(AtomicLong cell, long second, long n) {
    while (true) {
      long cur = cell.get();
      if ((cur >>> 32) != (second & 0xFFFFFFFFL) || cur == Long.MIN_VALUE) {
        return;
      }
      long count = Math.max(0, (cur & 0xFFFFFFFFL) - n);
      if (cell.compareAndSet(cur, pack(second, count))) {
        return;
      }
    }
  }

  static Policy rateLimiting(long spansPerSecond, AtomicLong cell) {
    // As the Collector: sampled while this second's spans, with the trace's, stay below the limit.
    return (t, e) -> reserve(cell, e.nanoClock.getAsLong() / 1_000_000_000L, t.spans, spansPerSecond, true)
        ? Decision.SAMPLED : Decision.NOT_SAMPLED;
  }

  /**
   * A token bucket of {@code burst} bytes refilled at {@code rate} bytes per second, kept as the
   * time at which the bucket would next be full (the generic cell rate algorithm: one long,
   * updated with compare-and-set). A trace larger than the burst never passes.
   */
  static Policy bytesLimiting(long rate, long burst, AtomicLong fullAt) {
    double nanosPerByte = 1e9 / rate;
    long tolerance = (long) (burst * nanosPerByte);
    return (t, e) -> {
      long size = t.encodedSize();
      if (size > burst) {
        return Decision.NOT_SAMPLED;
      }
      long cost = (long) Math.ceil(size * nanosPerByte);
      long now = e.nanoClock.getAsLong();
      while (true) {
        long tat = fullAt.get();
        long base = tat == Long.MIN_VALUE || tat - now < 0 ? now : tat;
        long next = base + cost;
        if (next - now > tolerance) {
          return Decision.NOT_SAMPLED;
        }
        if (fullAt.compareAndSet(tat, next)) {
          return Decision.SAMPLED;
        }
      }
    };
  }

  static Policy composite(CompositeConfig c, String path, Shared shared) {
    List<PolicyConfig> subs = c.compositeSubPolicy();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < subs.size(); i++) {
      index.putIfAbsent(subs.get(i).name(), i);
    }
    List<Integer> order = new ArrayList<>();
    for (String name : c.policyOrder() == null ? List.<String>of() : c.policyOrder()) {
      Integer i = index.get(name);
      if (i != null && !order.contains(i)) {
        order.add(i);
      }
    }
    for (int i = 0; i < subs.size(); i++) {
      if (!order.contains(i)) {
        order.add(i);
      }
    }
    long total = c.maxTotalSpansPerSecond();
    Map<String, Long> allocated = new HashMap<>();
    long allocatedSum = 0;
    for (RateAllocationConfig a : c.rateAllocation() == null ? List.<RateAllocationConfig>of() : c.rateAllocation()) {
      long sps = a.percent() > 0 ? (long) (a.percent() / 100.0 * total) : total / Math.max(1, subs.size());
      allocated.put(a.policy(), sps);
      allocatedSum += sps;
    }
    long pool = Math.max(0, total - allocatedSum);
    String base = path + ".composite";
    AtomicLong totalCell = shared.get(base + "#total", () -> new AtomicLong(Long.MIN_VALUE));
    AtomicLong poolCell = shared.get(base + "#pool", () -> new AtomicLong(Long.MIN_VALUE));
    int n = order.size();
    Policy[] policies = new Policy[n];
    AtomicLong[] cells = new AtomicLong[n];
    long[] limits = new long[n];
    String[] names = new String[n];
    for (int k = 0; k < n; k++) {
      int i = order.get(k);
      PolicyConfig sub = subs.get(i);
      policies[k] = build(sub, base + ".composite_sub_policy[" + i + "]", shared);
      names[k] = sub.name();
      Long alloc = allocated.get(sub.name());
      cells[k] = alloc == null ? poolCell : shared.get(base + "#" + i, () -> new AtomicLong(Long.MIN_VALUE));
      limits[k] = alloc == null ? pool : alloc;
    }
    return (t, e) -> {
      long second = e.nanoClock.getAsLong() / 1_000_000_000L;
      for (int k = 0; k < n; k++) {
        Decision d = policies[k].evaluate(t, e);
        if (d == Decision.ERROR) {
          return Decision.ERROR;
        }
        if (d == Decision.SAMPLED || d == Decision.INVERT_SAMPLED) {
          // The first sub-policy that samples decides: within its share it samples, past it not.
          if (!reserve(cells[k], second, t.spans, limits[k], false)) {
            return Decision.NOT_SAMPLED;
          }
          if (!reserve(totalCell, second, t.spans, total, false)) {
            release(cells[k], second, t.spans);
            return Decision.NOT_SAMPLED;
          }
          e.compositeSub = names[k];
          return Decision.SAMPLED;
        }
      }
      return Decision.NOT_SAMPLED;
    };
  }
}

package io.sluice.receiver.kafka;

import io.sluice.core.Signal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which topics the receiver reads and which signal each carries: the topics of the signals its
 * pipelines take, named or (starting with {@code ^}) matched by regular expression, less the
 * {@code exclude_topics} of that signal.
 */
final class TopicSignals {
  private final Map<String, Signal> named = new LinkedHashMap<>();
  private final Map<Signal, List<Pattern>> patterns = new LinkedHashMap<>();
  private final Map<Signal, List<Pattern>> excludes = new LinkedHashMap<>();
  private final Map<String, Signal> resolved = new HashMap<>();

  TopicSignals(KafkaReceiverConfig config, Set<Signal> signals) {
    for (Signal s : Signal.values()) {
      if (!signals.contains(s)) {
        continue;
      }
      for (String t : config.topics(s)) {
        if (t.startsWith("^")) {
          patterns.computeIfAbsent(s, x -> new ArrayList<>()).add(Pattern.compile(t));
        } else {
          named.putIfAbsent(t, s);
        }
      }
      List<Pattern> ex = new ArrayList<>();
      for (String e : config.settings(s).excludes()) {
        ex.add(Pattern.compile(e));
      }
      excludes.put(s, ex);
    }
  }

  /** True when some topic is a regular expression, so the subscription is by pattern. */
  boolean byPattern() {
    return !patterns.isEmpty();
  }

  /** The named topics. */
  Set<String> names() {
    return new LinkedHashSet<>(named.keySet());
  }

  /** One pattern matching every topic read: the named ones, and the regular expressions less their exclusions. */
  Pattern pattern() {
    List<String> parts = new ArrayList<>();
    for (String t : named.keySet()) {
      parts.add(Pattern.quote(t));
    }
    patterns.forEach((s, ps) -> {
      String ex = excludes.get(s).stream().map(Pattern::pattern).reduce((a, b) -> a + "|" + b).orElse(null);
      for (Pattern p : ps) {
        parts.add(ex == null ? "(?:" + p.pattern() + ")" : "(?!.*?(?:" + ex + "))(?:" + p.pattern() + ")");
      }
    });
    return Pattern.compile(String.join("|", parts));
  }

  /** The signal a topic carries, or null when it is none of the receiver's. */
  Signal signalOf(String topic) {
    Signal s = named.get(topic);
    if (s != null) {
      return s;
    }
    if (resolved.containsKey(topic)) {
      return resolved.get(topic);
    }
    Signal found = null;
    for (Map.Entry<Signal, List<Pattern>> e : patterns.entrySet()) {
      boolean excluded = excludes.get(e.getKey()).stream().anyMatch(p -> p.matcher(topic).find());
      if (!excluded && e.getValue().stream().anyMatch(p -> p.matcher(topic).matches())) {
        found = e.getKey();
        break;
      }
    }
    resolved.put(topic, found);
    return found;
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    Map<Signal, List<String>> bySignal = new LinkedHashMap<>();
    named.forEach((t, s) -> bySignal.computeIfAbsent(s, x -> new ArrayList<>()).add(t));
    patterns.forEach((s, ps) -> ps.forEach(p -> bySignal.computeIfAbsent(s, x -> new ArrayList<>()).add(p.pattern())));
    bySignal.forEach((s, ts) -> parts.add(s + " from " + ts));
    return String.join(", ", parts);
  }
}

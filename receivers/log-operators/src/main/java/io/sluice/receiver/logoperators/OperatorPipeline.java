package io.sluice.receiver.logoperators;

import io.sluice.core.ConfigProblem;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@code operators:} list of a log receiver, built into a graph of operators with the
 * Collector's semantics: each operator's {@code output} defaults to the next one, the last one's
 * entries leave the pipeline, a {@code router} sends entries to named operators, and an entry can
 * be dropped ({@code filter}, {@code on_error: drop}) or held back ({@code container} partial
 * lines, until their last part or {@link #flush}).
 *
 * <p>Build once from the config ({@link #build}); {@link #validate} returns the same problems
 * without building. An instance is <b>not thread-safe</b> (it reuses regex matchers and holds
 * partial lines): give each reading thread its own, built from the same list.
 */
public final class OperatorPipeline {

  /** Told about every entry an operator failed on. Called on the processing thread. */
  @FunctionalInterface
  public interface ErrorListener {
    /**
     * @param operatorId the failing operator's id
     * @param message what went wrong with the entry
     * @param quiet true for {@code send_quiet} and {@code drop_quiet}: log at DEBUG at most
     * @param dropped true when the entry was dropped ({@code drop}, {@code drop_quiet})
     */
    void onError(String operatorId, String message, boolean quiet, boolean dropped);
  }

  /**
   * How a pipeline is built.
   *
   * @param clock the time source (the year of syslog-style timestamps without one)
   * @param errors told about every failed entry
   */
  public record Options(Clock clock, ErrorListener errors) {
    public Options {
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(errors, "errors");
    }

    /** The system clock, errors logged (rate-limited) as coming from {@code componentId}. */
    public static Options defaults(String componentId) {
      return new Options(Clock.systemUTC(), new ErrorLog(componentId));
    }
  }

  private final Operator[] operators;
  private final Operator[] entry;
  private final ErrorListener errors;
  private long errorCount;
  private long droppedCount;

  private OperatorPipeline(List<Operator> operators, ErrorListener errors) {
    this.operators = operators.toArray(new Operator[0]);
    this.entry = this.operators.length == 0 ? new Operator[0] : new Operator[] {this.operators[0]};
    this.errors = errors;
    for (Operator o : this.operators) {
      o.pipeline = this;
    }
  }

  /**
   * Every problem with an {@code operators} list, each with its path under {@code path}
   * ({@code operators[2].regex}); empty when it builds.
   *
   * @param operators the list as bound from YAML: maps of settings, with String, Boolean,
   *     Integer/Long, Double, List and Map values (null is taken as an empty list)
   * @param path the key of the list relative to the component, usually {@code "operators"}
   */
  public static List<ConfigProblem> validate(List<?> operators, String path) {
    List<ConfigProblem> problems = new ArrayList<>();
    assemble(operators, path, Clock.systemUTC(), problems);
    return problems;
  }

  /** Builds with {@link Options#defaults} for an unnamed component. */
  public static OperatorPipeline build(List<?> operators, String path) throws OperatorConfigException {
    return build(operators, path, Options.defaults(""));
  }

  /**
   * Builds a pipeline.
   *
   * @throws OperatorConfigException with every problem found, as {@link #validate} lists them
   */
  public static OperatorPipeline build(List<?> operators, String path, Options options)
      throws OperatorConfigException {
    List<ConfigProblem> problems = new ArrayList<>();
    List<Operator> ops = assemble(operators, path, options.clock(), problems);
    if (!problems.isEmpty()) {
      throw new OperatorConfigException(problems);
    }
    return new OperatorPipeline(ops, options.errors());
  }

  /**
   * Runs one entry through the operators; every entry that leaves the pipeline (none when it is
   * dropped or held back, several after a fan-out or when a held-back line completes) is given
   * to {@code out}, on this thread, before this returns.
   */
  public void process(LogEntry e, Consumer<LogEntry> out) {
    Operator.forward(entry, e, out);
  }

  /** {@link #process(LogEntry, Consumer)} collecting the output in a list. */
  public List<LogEntry> process(LogEntry e) {
    List<LogEntry> out = new ArrayList<>(1);
    process(e, out::add);
    return out;
  }

  /**
   * Sends on what operators hold back (partial container lines waiting for their last part):
   * call when a file ends or on the receiver's {@code force_flush_period}.
   */
  public void flush(Consumer<LogEntry> out) {
    for (Operator o : operators) {
      o.flush(out);
    }
  }

  /**
   * Sends on what operators have held back longer than their {@code force_flush_period}
   * ({@code recombine}): call now and then, for example on every poll of the files.
   */
  public void flushExpired(Consumer<LogEntry> out) {
    for (Operator o : operators) {
      o.flushExpired(out);
    }
  }

  /** True when the list was empty: entries pass through unchanged. */
  public boolean isEmpty() {
    return operators.length == 0;
  }

  /** The operators' ids, in list order. */
  public List<String> operatorIds() {
    List<String> ids = new ArrayList<>();
    for (Operator o : operators) {
      ids.add(o.id);
    }
    return ids;
  }

  /** Entries an operator failed on, so far (read from another thread it may lag). */
  public long errorCount() {
    return errorCount;
  }

  /** Entries dropped so far: by {@code filter}, by {@code on_error: drop*}, by a router with no match. */
  public long droppedCount() {
    return droppedCount;
  }

  void reportError(Operator op, String message, boolean quiet, boolean dropped) {
    errorCount++;
    if (dropped) {
      droppedCount++;
    }
    errors.onError(op.id, message, quiet, dropped);
  }

  void countDropped() {
    droppedCount++;
  }

  // ---- building ----

  private static List<Operator> assemble(List<?> items, String path, Clock clock, List<ConfigProblem> problems) {
    List<Operator> ops = new ArrayList<>();
    if (items == null) {
      return ops;
    }
    Map<String, Integer> idIndex = new HashMap<>();
    List<List<String>> outputs = new ArrayList<>();
    List<Boolean> explicitOutput = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String at = path + "[" + i + "]";
      Conf c = new Conf(items.get(i), at, problems);
      Operator op = Operators.create(c, clock);
      if (op == null) {
        ops.add(null);
        outputs.add(List.of());
        explicitOutput.add(false);
        continue;
      }
      String defaultId = op.type;
      for (int k = 1; !c.has("id") && idIndex.containsKey(defaultId); k++) {
        defaultId = op.type + k;
      }
      op.id = c.string("id", defaultId);
      if (op.id.isEmpty()) {
        c.problem("id", "must not be empty; leave it out to use the type");
      }
      Integer other = idIndex.putIfAbsent(op.id, i);
      if (other != null) {
        c.problem("id", "\"" + op.id + "\" is already the id of " + path + "[" + other + "]; ids must be unique");
      }
      outputs.add(c.has("output") ? c.strings("output") : List.of());
      explicitOutput.add(c.has("output"));
      ops.add(op);
    }
    if (!problems.isEmpty()) {
      return ops;
    }
    Map<String, Operator> byId = new LinkedHashMap<>();
    for (Operator o : ops) {
      byId.put(o.id, o);
    }
    for (int i = 0; i < ops.size(); i++) {
      Operator o = ops.get(i);
      List<String> want = explicitOutput.get(i) ? outputs.get(i)
          : i + 1 < ops.size() ? List.of(ops.get(i + 1).id) : List.of();
      List<Operator> resolved = new ArrayList<>();
      for (String id : want) {
        Operator target = byId.get(id);
        if (target == null) {
          problems.add(new ConfigProblem(path + "[" + i + "].output", unknownId(id, byId)));
        } else {
          resolved.add(target);
        }
      }
      o.outputs = resolved.toArray(new Operator[0]);
      for (Map.Entry<String, String> out : o.extraOutputIds()) {
        if (!byId.containsKey(out.getValue())) {
          problems.add(new ConfigProblem(path + "[" + i + "]." + out.getKey(), unknownId(out.getValue(), byId)));
        }
      }
    }
    if (!problems.isEmpty()) {
      return ops;
    }
    for (Operator o : ops) {
      o.resolveExtraOutputs(byId);
    }
    findLoops(ops, path, problems);
    return ops;
  }

  private static String unknownId(String id, Map<String, Operator> byId) {
    return "no operator has the id \"" + id + "\"; ids: " + String.join(", ", byId.keySet());
  }

  /** Operators must form a DAG, as in the Collector: a loop would send an entry round forever. */
  private static void findLoops(List<Operator> ops, String path, List<ConfigProblem> problems) {
    Map<Operator, Integer> state = new HashMap<>(); // 1 = on the stack, 2 = done
    for (int i = 0; i < ops.size(); i++) {
      List<String> trail = new ArrayList<>();
      if (loopFrom(ops.get(i), state, trail)) {
        problems.add(new ConfigProblem(path + "[" + i + "].output", "the operators form a loop ("
            + String.join(" -> ", trail) + "); an entry must not come back to an operator it passed"));
        return;
      }
    }
  }

  private static boolean loopFrom(Operator o, Map<Operator, Integer> state, List<String> trail) {
    Integer s = state.get(o);
    if (s != null) {
      if (s == 1) {
        trail.add(o.id);
        return true;
      }
      return false;
    }
    state.put(o, 1);
    trail.add(o.id);
    List<Operator> next = new ArrayList<>(List.of(o.outputs));
    if (o instanceof Router r) {
      next.addAll(r.allTargets());
    }
    for (Operator n : next) {
      if (loopFrom(n, state, trail)) {
        return true;
      }
    }
    trail.remove(trail.size() - 1);
    state.put(o, 2);
    return false;
  }
}

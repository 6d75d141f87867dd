package io.sluice.receiver.logoperators;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One operator of a pipeline. The default flow is the Collector's transformer: when the {@code
 * if} condition holds, {@link #transform} the entry; then hand it to the outputs (all but the
 * last get a copy). On an {@link EntryException} the {@code on_error} mode decides: {@code send}
 * forwards the entry as it was, {@code drop} drops it; both report the error to the pipeline
 * (the {@code _quiet} modes as quiet).
 *
 * <p>Not thread-safe: a pipeline instance runs entries one at a time.
 */
abstract class Operator {
  /** The keys every operator but {@code router} takes. */
  static final List<String> BASE_KEYS = List.of("type", "id", "output");
  static final List<String> TRANSFORMER_KEYS = List.of("type", "id", "output", "on_error", "if");

  private static final Operator[] NONE = new Operator[0];

  /** What to do with an entry an operator failed on. */
  enum OnError {
    SEND("send", false, false),
    SEND_QUIET("send_quiet", false, true),
    DROP("drop", true, false),
    DROP_QUIET("drop_quiet", true, true);

    final String text;
    final boolean drop;
    final boolean quiet;

    OnError(String text, boolean drop, boolean quiet) {
      this.text = text;
      this.drop = drop;
      this.quiet = quiet;
    }

    static OnError of(String s) {
      for (OnError o : values()) {
        if (o.text.equals(s)) {
          return o;
        }
      }
      return null;
    }
  }

  String id;
  String type;
  Expr condition;
  OnError onError = OnError.SEND;
  /** Where entries go next; empty when they leave the pipeline. */
  Operator[] outputs = NONE;
  OperatorPipeline pipeline;

  /** Takes one entry: checks {@code if}, transforms, handles errors, forwards. */
  void consume(LogEntry e, Consumer<LogEntry> out) {
    if (condition != null && !condition.test(e)) {
      forward(e, out);
      return;
    }
    try {
      transform(e);
    } catch (EntryException x) {
      if (failed(e, x)) {
        return;
      }
    }
    forward(e, out);
  }

  /** Changes the entry in place; throws, leaving it unchanged, when it cannot. */
  void transform(LogEntry e) throws EntryException {}

  /** Reports an error; true when the entry is to be dropped. */
  final boolean failed(LogEntry e, EntryException x) {
    pipeline.reportError(this, x.getMessage(), onError.quiet, onError.drop);
    return onError.drop;
  }

  final void forward(LogEntry e, Consumer<LogEntry> out) {
    forward(outputs, e, out);
  }

  static void forward(Operator[] to, LogEntry e, Consumer<LogEntry> out) {
    int n = to.length;
    if (n == 0) {
      out.accept(e);
      return;
    }
    for (int i = 0; i < n - 1; i++) {
      to[i].consume(e.copy(), out);
    }
    to[n - 1].consume(e, out);
  }

  /** Emits what a stateful operator holds back (partial lines); nothing by default. */
  void flush(Consumer<LogEntry> out) {}

  /** Emits what a stateful operator has held back longer than it may; nothing by default. */
  void flushExpired(Consumer<LogEntry> out) {}

  /**
   * The ids this operator may send to besides {@code output} (a router's routes and default),
   * each with the key path it is written at ({@code routes[1].output}).
   */
  List<Map.Entry<String, String>> extraOutputIds() {
    return List.of();
  }

  /** Resolves {@link #extraOutputIds()} to operators; called once at build, every id known. */
  void resolveExtraOutputs(Map<String, Operator> byId) {}
}

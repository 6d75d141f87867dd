package io.sluice.receiver.logoperators;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/** The operators with little to them: noop, filter and the standalone time, severity and trace parsers. */
final class SimpleOperators {
  private SimpleOperators() {}

  /** {@code noop}: passes entries on; a join point at the end of a non-linear sequence. */
  static final class Noop extends Operator {}

  /**
   * {@code filter}: drops the entries its {@code expr} holds for (each with probability {@code
   * drop_ratio}, default 1), passes the others on.
   */
  static final class Filter extends Operator {
    private final Expr expr;
    private final double dropRatio;
    private final SplittableRandom random = new SplittableRandom();

    Filter(Expr expr, double dropRatio) {
      this.expr = expr;
      this.dropRatio = dropRatio;
    }

    @Override
    void consume(LogEntry e, Consumer<LogEntry> out) {
      if ((condition == null || condition.test(e)) && expr.test(e)
          && (dropRatio >= 1.0 || random.nextDouble() < dropRatio)) {
        pipeline.countDropped();
        return;
      }
      forward(e, out);
    }
  }

  /** {@code time_parser}, {@code severity_parser} and {@code trace_parser}: one step as an operator. */
  static final class Step extends Operator {
    private final EntryStep step;

    Step(EntryStep step) {
      this.step = step;
    }

    @Override
    void transform(LogEntry e) throws EntryException {
      step.apply(e);
    }
  }
}

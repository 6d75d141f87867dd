package io.sluice.receiver.filelog;

import io.sluice.receiver.logoperators.OperatorConfigException;
import io.sluice.receiver.logoperators.OperatorPipeline;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The {@code operators} of a {@code filelog} receiver, run by the log-operators module: entries
 * are handed over as that module's entries and come back as the receiver's.
 */
public final class Operators implements LogEntryPipeline {
  private final OperatorPipeline pipeline;

  private Operators(OperatorPipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** Found through {@code META-INF/services}. */
  public static final class Provider implements LogEntryPipeline.Provider {
    @Override
    public LogEntryPipeline create(List<Map<String, Object>> operators, String keyPath) {
      String componentId = keyPath.replaceFirst("^receivers\\.", "").replaceFirst("\\.operators$", "");
      try {
        return new Operators(OperatorPipeline.build(operators, keyPath,
            OperatorPipeline.Options.defaults(componentId)));
      } catch (OperatorConfigException e) {
        throw new IllegalArgumentException(e.problems().stream().map(p -> p.path() + ": " + p.message())
            .collect(Collectors.joining("; ")), e);
      }
    }
  }

  @Override
  public void process(LogEntry entry, Consumer<LogEntry> out) {
    pipeline.process(toOperators(entry), e -> out.accept(fromOperators(e)));
  }

  @Override
  public void flushExpired(Consumer<LogEntry> out) {
    pipeline.flushExpired(e -> out.accept(fromOperators(e)));
  }

  private static io.sluice.receiver.logoperators.LogEntry toOperators(LogEntry e) {
    return new io.sluice.receiver.logoperators.LogEntry(e.body())
        .attributes(e.attributes())
        .resource(e.resource())
        .timestamp(e.timestampNanos())
        .observedTimestamp(e.observedTimestampNanos())
        .severityNumber(e.severityNumber())
        .severityText(e.severityText())
        .traceId(e.traceId())
        .spanId(e.spanId())
        .traceFlags(e.traceFlags());
  }

  private static LogEntry fromOperators(io.sluice.receiver.logoperators.LogEntry e) {
    return new LogEntry(e.body(), e.attributes(), e.resource(), e.timestamp(), e.observedTimestamp(),
        e.severityNumber(), e.severityText(), e.traceId(), e.spanId(), e.traceFlags());
  }
}

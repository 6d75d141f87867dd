package io.sluice.receiver.prometheus;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Collects what one class logs, safe to read while event loops log. */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  /** One logged line. */
  record Line(Level level, String message) {}

  private final Logger logger;
  private final List<Line> lines = new CopyOnWriteArrayList<>();

  private LogCapture(Class<?> source) {
    this.logger = (Logger) LoggerFactory.getLogger(source);
  }

  static LogCapture of(Class<?> source) {
    LogCapture capture = new LogCapture(source);
    capture.start();
    capture.logger.addAppender(capture);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    lines.add(new Line(event.getLevel(), event.getFormattedMessage()));
  }

  List<Line> lines() {
    return List.copyOf(lines);
  }

  /** The messages logged at {@code level}. */
  List<String> at(Level level) {
    return lines.stream().filter(l -> l.level() == level).map(Line::message).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    stop();
  }
}

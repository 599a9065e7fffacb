package dev.workqueue.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** Captures what one logger writes at INFO and above, MDC included, for tests to read. */
public final class CapturedLog {
  private CapturedLog() {}

  /** Starts capturing {@code loggerName}'s events, which then no longer reach the console. */
  public static ListAppender<ILoggingEvent> of(String loggerName) {
    Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    ListAppender<ILoggingEvent> appender = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent event) {
        // Logback reads the MDC lazily; capture it now, on the thread that logged.
        event.prepareForDeferredProcessing();
        super.append(event);
      }
    };
    appender.start();
    logger.addAppender(appender);
    return appender;
  }
}

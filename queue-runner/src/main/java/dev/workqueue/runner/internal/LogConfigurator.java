package dev.workqueue.runner.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The runner's Logback set-up, found by Logback through {@code META-INF/services} so that it reads
 * no configuration file: one appender on stderr (stdout carries command output such as
 * {@code admin stats --json}), in the format of {@code log.format} at the level of
 * {@code log.level}. Until the configuration is loaded the log is text at INFO.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  /** The MDC keys the consumer and the tracing interceptor set while a job runs, in line order. */
  private static final List<String> JOB_KEYS = List.of("job_id", "queue", "attempt", "trace_id", "span_id");
  // Each key shows as " key=value" after the message; %replace drops it whole when the MDC lacks it.
  private static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} [%thread] %-5level "
      + "%logger{0} - %msg"
      + JOB_KEYS.stream().map(key -> "%replace( " + key + "=%X{" + key + "}){'^ " + key + "=$', ''}")
          .collect(Collectors.joining())
      + "%n";

  // Whether the appender installed last writes JSON; read by the command line's final error report.
  private static volatile boolean writesJson;

  /** Called by Logback's service loader. */
  public LogConfigurator() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    // The OpenTelemetry SDK's exporters log through java.util.logging: routed here, their lines
    // come out in the runner's format (a JSON log stays one object per line), and the propagator
    // keeps java.util.logging's levels equal to Logback's, so what is dropped costs nothing.
    LevelChangePropagator propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    propagator.start();
    context.addListener(propagator);
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    install(context, "info", "text");
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * Logs from now on in {@code format} ({@code text} or {@code json}) at {@code level} (a
   * {@code log.level} value). Does nothing when SLF4J is bound to another provider, as it may be
   * when a host runs {@code Main} on a class path of its own.
   */
  public static void apply(String level, String format) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      install(context, level, format);
    }
  }

  /**
   * Whether the log is JSON now: a line written outside it to stderr, where the log goes, would be
   * the one line of the stream that does not parse.
   */
  public static boolean writesJson() {
    return writesJson;
  }

  private static void install(LoggerContext context, String level, String format) {
    Encoder<ILoggingEvent> encoder = format.equals("json") ? jsonEncoder() : textEncoder();
    encoder.setContext(context);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("stderr");
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    root.setLevel(Level.toLevel(level));
    writesJson = format.equals("json");
  }

  private static Encoder<ILoggingEvent> textEncoder() {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setPattern(TEXT_PATTERN);
    return encoder;
  }

  /**
   * The MDC as an object {@code mdc} and the message with its arguments filled in; not the
   * message template and its arguments apart, which say the same twice.
   */
  private static Encoder<ILoggingEvent> jsonEncoder() {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    return encoder;
  }
}

package io.ccotel.gateway.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Everything logged while it is open (the gateway's own loggers at DEBUG, the rest at their
 * configured level), messages and exceptions, as one text to search.
 */
public final class CapturedLogs implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger gateway = (Logger) LoggerFactory.getLogger("io.ccotel");
  private final Level gatewayLevel;

  public CapturedLogs() {
    appender.start();
    root.addAppender(appender);
    gatewayLevel = gateway.getLevel();
    gateway.setLevel(Level.DEBUG);
  }

  public String text() {
    return appender.list.stream().map(CapturedLogs::describe).collect(Collectors.joining("\n"));
  }

  public int size() {
    return appender.list.size();
  }

  private static String describe(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage());
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      sb.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
    }
    return sb.toString();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    gateway.setLevel(gatewayLevel);
  }
}

package io.ccotel.gateway.core.model;

import java.util.Objects;

/**
 * One OTLP log record. Claude Code sends its events this way: body {@code claude_code.<name>},
 * attribute {@code event.name}, and no severity. Trace and span ids are lower-case hex, empty when
 * absent. {@code body} is an attribute-style value (see {@link Attributes}) or null.
 */
public record LogRecord(
    Resource resource,
    Scope scope,
    long timeNanos,
    long observedTimeNanos,
    int severityNumber,
    String severityText,
    Object body,
    Attributes attributes,
    String eventName,
    String traceId,
    String spanId,
    int flags,
    int droppedAttributesCount) {
  public LogRecord {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(scope, "scope");
    severityText = severityText == null ? "" : severityText;
    Objects.requireNonNull(attributes, "attributes");
    eventName = eventName == null ? "" : eventName;
    traceId = traceId == null ? "" : traceId;
    spanId = spanId == null ? "" : spanId;
  }

  /**
   * The event's name: the OTLP {@code event_name} field when set, else the {@code event.name}
   * attribute (what Claude Code sends), else empty.
   */
  public String effectiveEventName() {
    if (!eventName.isEmpty()) {
      return eventName;
    }
    Object v = attributes.get("event.name");
    return v == null ? "" : Attributes.valueToString(v);
  }

  /** The time to show for the record: its own time, else the time it was observed. */
  public long effectiveTimeNanos() {
    return timeNanos != 0 ? timeNanos : observedTimeNanos;
  }
}

package io.ccotel.gateway.core.model;

import java.util.List;
import java.util.Objects;

/** One OTLP span; ids are lower-case hex. Traces only reach the console exporter for now. */
public record Span(
    Resource resource,
    Scope scope,
    String traceId,
    String spanId,
    String parentSpanId,
    String name,
    int kind,
    long startTimeNanos,
    long endTimeNanos,
    Attributes attributes,
    List<Event> events,
    int statusCode,
    String statusMessage) {
  public Span {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(scope, "scope");
    traceId = traceId == null ? "" : traceId;
    spanId = spanId == null ? "" : spanId;
    parentSpanId = parentSpanId == null ? "" : parentSpanId;
    name = name == null ? "" : name;
    Objects.requireNonNull(attributes, "attributes");
    events = List.copyOf(events);
    statusMessage = statusMessage == null ? "" : statusMessage;
  }

  public record Event(String name, long timeNanos, Attributes attributes) {}
}

package io.ccotel.gateway.core.model;

import java.util.List;

/** Spans of one request. */
public record TracesBatch(List<Span> spans) implements TelemetryBatch {
  public TracesBatch {
    spans = List.copyOf(spans);
  }

  @Override
  public Signal signal() {
    return Signal.TRACES;
  }

  @Override
  public int itemCount() {
    return spans.size();
  }

  @Override
  public boolean isEmpty() {
    return spans.isEmpty();
  }
}

package io.ccotel.gateway.core.model;

import java.util.List;

/** Log records (Claude Code events) of one request. */
public record LogsBatch(List<LogRecord> records) implements TelemetryBatch {
  public LogsBatch {
    records = List.copyOf(records);
  }

  @Override
  public Signal signal() {
    return Signal.LOGS;
  }

  @Override
  public int itemCount() {
    return records.size();
  }

  @Override
  public boolean isEmpty() {
    return records.isEmpty();
  }
}

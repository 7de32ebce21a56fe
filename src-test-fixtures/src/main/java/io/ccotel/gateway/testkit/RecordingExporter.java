package io.ccotel.gateway.testkit;

import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.Exporter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** An exporter that keeps every batch it is given, for assertions. Thread-safe. */
public final class RecordingExporter implements Exporter {
  private final String id;
  private final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();

  public RecordingExporter(String id) {
    this.id = id;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Set<Signal> supportedSignals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public void export(TelemetryBatch batch) {
    batches.add(batch);
  }

  public List<TelemetryBatch> batches() {
    return List.copyOf(batches);
  }

  public List<LogRecord> logRecords() {
    List<LogRecord> out = new ArrayList<>();
    for (TelemetryBatch b : batches) {
      if (b instanceof LogsBatch l) {
        out.addAll(l.records());
      }
    }
    return out;
  }

  public List<Span> spans() {
    List<Span> out = new ArrayList<>();
    for (TelemetryBatch b : batches) {
      if (b instanceof TracesBatch t) {
        out.addAll(t.spans());
      }
    }
    return out;
  }

  public void clear() {
    batches.clear();
  }
}

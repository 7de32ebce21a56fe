package io.ccotel.gateway.core.model;

import java.util.List;

/** Metrics of one request. Each metric refers to its resource and scope. */
public record MetricsBatch(List<Metric> metrics) implements TelemetryBatch {
  public MetricsBatch {
    metrics = List.copyOf(metrics);
  }

  @Override
  public Signal signal() {
    return Signal.METRICS;
  }

  @Override
  public int itemCount() {
    int n = 0;
    for (Metric m : metrics) {
      n += m.points().size();
    }
    return n;
  }

  @Override
  public boolean isEmpty() {
    return itemCount() == 0;
  }
}

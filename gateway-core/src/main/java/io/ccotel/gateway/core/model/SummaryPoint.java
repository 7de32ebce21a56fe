package io.ccotel.gateway.core.model;

import java.util.List;
import java.util.Objects;

/** A summary point (legacy; OTLP keeps it for Prometheus and StatsD compatibility). */
public record SummaryPoint(
    Attributes attributes,
    long startTimeNanos,
    long timeNanos,
    long count,
    double sum,
    List<Quantile> quantiles,
    int flags)
    implements DataPoint {
  public SummaryPoint {
    Objects.requireNonNull(attributes, "attributes");
    quantiles = List.copyOf(quantiles);
  }

  public record Quantile(double quantile, double value) {}
}

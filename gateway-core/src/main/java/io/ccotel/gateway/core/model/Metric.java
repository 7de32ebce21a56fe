package io.ccotel.gateway.core.model;

import java.util.List;
import java.util.Objects;

/**
 * One OTLP metric with its points. The point type follows {@code kind}: {@link NumberPoint} for
 * GAUGE and SUM, {@link HistogramPoint}, {@link ExponentialHistogramPoint}, {@link SummaryPoint}.
 * {@code monotonic} is meaningful for SUM only; {@code temporality} is UNSPECIFIED for GAUGE and
 * SUMMARY.
 */
public record Metric(
    Resource resource,
    Scope scope,
    String name,
    String description,
    String unit,
    MetricKind kind,
    Temporality temporality,
    boolean monotonic,
    List<? extends DataPoint> points) {
  public Metric {
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    unit = unit == null ? "" : unit;
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(temporality, "temporality");
    points = List.copyOf(points);
    for (DataPoint p : points) {
      boolean fits =
          switch (kind) {
            case GAUGE, SUM -> p instanceof NumberPoint;
            case HISTOGRAM -> p instanceof HistogramPoint;
            case EXPONENTIAL_HISTOGRAM -> p instanceof ExponentialHistogramPoint;
            case SUMMARY -> p instanceof SummaryPoint;
          };
      if (!fits) {
        throw new IllegalArgumentException(
            "metric " + name + " of kind " + kind + " cannot hold " + p.getClass().getSimpleName());
      }
    }
  }

  /** A copy of this metric with other points (same kind). */
  public Metric withPoints(List<? extends DataPoint> newPoints) {
    return new Metric(
        resource, scope, name, description, unit, kind, temporality, monotonic, newPoints);
  }
}

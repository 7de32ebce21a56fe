package io.ccotel.gateway.core.model;

import java.util.List;
import java.util.Objects;

/**
 * An explicit-bucket histogram point. {@code bucketCounts} has {@code explicitBounds.size() + 1}
 * entries (the last one is the +Inf bucket) or is empty. Absent sum/min/max are NaN.
 */
public record HistogramPoint(
    Attributes attributes,
    long startTimeNanos,
    long timeNanos,
    long count,
    double sum,
    List<Double> explicitBounds,
    List<Long> bucketCounts,
    double min,
    double max,
    int flags)
    implements DataPoint {
  public HistogramPoint {
    Objects.requireNonNull(attributes, "attributes");
    explicitBounds = List.copyOf(explicitBounds);
    bucketCounts = List.copyOf(bucketCounts);
  }

  public boolean hasSum() {
    return !Double.isNaN(sum);
  }
}

package io.ccotel.gateway.core.model;

import java.util.List;
import java.util.Objects;

/** An exponential (base-2) histogram point, as OTLP defines it. Absent sum/min/max are NaN. */
public record ExponentialHistogramPoint(
    Attributes attributes,
    long startTimeNanos,
    long timeNanos,
    long count,
    double sum,
    int scale,
    long zeroCount,
    double zeroThreshold,
    int positiveOffset,
    List<Long> positiveBucketCounts,
    int negativeOffset,
    List<Long> negativeBucketCounts,
    double min,
    double max,
    int flags)
    implements DataPoint {
  public ExponentialHistogramPoint {
    Objects.requireNonNull(attributes, "attributes");
    positiveBucketCounts = List.copyOf(positiveBucketCounts);
    negativeBucketCounts = List.copyOf(negativeBucketCounts);
  }
}

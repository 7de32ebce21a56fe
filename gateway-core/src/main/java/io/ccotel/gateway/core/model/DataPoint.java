package io.ccotel.gateway.core.model;

/** What every metric data point has. Times are nanoseconds since the Unix epoch (0 = unset). */
public sealed interface DataPoint
    permits NumberPoint, HistogramPoint, ExponentialHistogramPoint, SummaryPoint {
  Attributes attributes();

  long startTimeNanos();

  long timeNanos();
}

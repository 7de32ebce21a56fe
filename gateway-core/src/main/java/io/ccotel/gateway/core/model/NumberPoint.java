package io.ccotel.gateway.core.model;

import java.util.Objects;

/**
 * A gauge or sum data point. OTLP sends either an int64 or a double; {@code isDouble} says which,
 * and both are kept so that integer values above 2^53 are not rounded.
 */
public record NumberPoint(
    Attributes attributes,
    long startTimeNanos,
    long timeNanos,
    boolean isDouble,
    double doubleValue,
    long longValue,
    int flags)
    implements DataPoint {
  public NumberPoint {
    Objects.requireNonNull(attributes, "attributes");
  }

  public static NumberPoint ofDouble(Attributes attributes, long start, long time, double value) {
    return new NumberPoint(attributes, start, time, true, value, 0L, 0);
  }

  public static NumberPoint ofLong(Attributes attributes, long start, long time, long value) {
    return new NumberPoint(attributes, start, time, false, 0.0, value, 0);
  }

  /** The value as a double, whichever form arrived. */
  public double value() {
    return isDouble ? doubleValue : (double) longValue;
  }

  /** OTLP flag bit 0: "no recorded value"; such a point carries no measurement. */
  public boolean noRecordedValue() {
    return (flags & 1) != 0;
  }
}

package io.ccotel.gateway.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Items per second next to JMH's operations per second: each benchmark adds the data points or
 * log records its operation handled, and JMH reports the sum as a rate (secondary result
 * {@code ·points} / {@code ·records}).
 */
public final class Counters {
  private Counters() {}

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Points {
    public long points;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      points = 0;
    }

    int next(int size) {
      int i = next;
      next = i + 1 == size ? 0 : i + 1;
      return i;
    }
  }

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Records {
    public long records;
    int next;

    @Setup(Level.Iteration)
    public void reset() {
      records = 0;
    }

    int next(int size) {
      int i = next;
      next = i + 1 == size ? 0 : i + 1;
      return i;
    }
  }
}

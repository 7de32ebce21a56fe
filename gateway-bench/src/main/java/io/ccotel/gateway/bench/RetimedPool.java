package io.ccotel.gateway.bench;

import io.ccotel.gateway.exporters.prometheus.PrometheusBenchBridge;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A metrics pool (OTLP protobuf bodies) that can be sent for longer than it lasts without the
 * gateway seeing a repeat: the {@code k}-th pass over the pool sends copies whose start and end
 * times are shifted by {@code k} times the pool's time span (plus 1 ms), written straight into the
 * {@code fixed64} fields of the encoded bodies (no re-encoding). The Prometheus exporter drops a
 * delta point only when name, attributes, times and value all repeat, so every pass is new data.
 * A pass moves the times by a few tens of milliseconds: an hour of sending stays far inside the
 * gateway's {@code max_future_skew}.
 *
 * <p>It also knows, per request body, the total value per Prometheus sample name (e.g. {@code
 * claude_code_cost_usage_USD_total}, names as the gateway's exporter resolves them), so a load run
 * can add up exactly what the gateway acknowledged and compare it with {@code /metrics}.
 *
 * <p>Thread-safe after construction.
 */
final class RetimedPool {
  private final List<Workload.Payload> pool;
  private final int[][] timeOffsets;
  private final double[][] sums;
  private final List<String> names;
  private final long shiftNanos;

  RetimedPool(List<Workload.Payload> pool) {
    this.pool = pool;
    this.timeOffsets = new int[pool.size()][];
    this.sums = new double[pool.size()][];
    Map<String, Integer> nameIndex = new LinkedHashMap<>();
    long minTime = Long.MAX_VALUE;
    long maxTime = Long.MIN_VALUE;
    for (int i = 0; i < pool.size(); i++) {
      Walk w = new Walk(pool.get(i).body(), nameIndex);
      w.request(0, pool.get(i).body().length);
      timeOffsets[i] = w.offsets.stream().mapToInt(Integer::intValue).toArray();
      double[] s = new double[Math.max(nameIndex.size(), 8)];
      for (Map.Entry<Integer, double[]> e : w.sums.entrySet()) {
        if (e.getKey() >= s.length) {
          s = java.util.Arrays.copyOf(s, e.getKey() + 8);
        }
        s[e.getKey()] = e.getValue()[0] + e.getValue()[1];
      }
      sums[i] = s;
      minTime = Math.min(minTime, w.minTime);
      maxTime = Math.max(maxTime, w.maxTime);
    }
    this.names = List.copyOf(nameIndex.keySet());
    for (int i = 0; i < sums.length; i++) {
      if (sums[i].length < names.size()) {
        sums[i] = java.util.Arrays.copyOf(sums[i], names.size());
      }
    }
    // Start times are end - 60 s: shifting both by more than the span of the end times (start
    // times then differ too) keeps every pass's points apart from every other pass's.
    this.shiftNanos = (maxTime < minTime ? 0 : maxTime - minTime) + 1_000_000L;
  }

  int size() {
    return pool.size();
  }

  /** Prometheus sample names, in the order of {@link #sums}. */
  List<String> names() {
    return names;
  }

  /** Total value per name ({@link #names}) of the points in request {@code index % size()}. */
  double[] sums(long index) {
    return sums[(int) (index % pool.size())];
  }

  /** Shift between two passes, in nanoseconds. */
  long shiftNanos() {
    return shiftNanos;
  }

  /** The body for the {@code index}-th request sent: the pool's, re-timed after the first pass. */
  Workload.Payload get(long index) {
    int i = (int) (index % pool.size());
    long pass = index / pool.size();
    Workload.Payload p = pool.get(i);
    if (pass == 0) {
      return p;
    }
    byte[] body = p.body().clone();
    ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    long shift = pass * shiftNanos;
    for (int off : timeOffsets[i]) {
      b.putLong(off, b.getLong(off) + shift);
    }
    return new Workload.Payload(body, p.items());
  }

  /**
   * One pass over an {@code ExportMetricsServiceRequest} in the protobuf wire format: offsets of
   * every NumberDataPoint's {@code start_time_unix_nano} (2) and {@code time_unix_nano} (3), and
   * the sum of its values ({@code as_double} 4, {@code as_int} 6) per metric.
   */
  private static final class Walk {
    final byte[] b;
    final Map<String, Integer> nameIndex;
    final List<Integer> offsets = new ArrayList<>();
    /** name index -> {sum, Kahan compensation}. */
    final Map<Integer, double[]> sums = new LinkedHashMap<>();
    long minTime = Long.MAX_VALUE;
    long maxTime = Long.MIN_VALUE;
    int pos;

    Walk(byte[] b, Map<String, Integer> nameIndex) {
      this.b = b;
      this.nameIndex = nameIndex;
    }

    void request(int from, int to) {
      forEachField(from, to, (field, start, end) -> {
        if (field == 1) {
          forEachField(start, end, (f2, s2, e2) -> { // ResourceMetrics
            if (f2 == 2) {
              forEachField(s2, e2, (f3, s3, e3) -> { // ScopeMetrics
                if (f3 == 2) {
                  metric(s3, e3);
                }
              });
            }
          });
        }
      });
    }

    private void metric(int from, int to) {
      String[] name = {""};
      String[] unit = {""};
      boolean[] monotonicSum = {false};
      List<double[]> values = new ArrayList<>();
      forEachField(from, to, (field, start, end) -> {
        switch (field) {
          case 1 -> name[0] = new String(b, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
          case 3 -> unit[0] = new String(b, start, end - start, java.nio.charset.StandardCharsets.UTF_8);
          case 5, 7 -> {
            if (field == 7) {
              monotonicSum[0] = isMonotonic(start, end);
            }
            forEachField(start, end, (f2, s2, e2) -> {
              if (f2 == 1) {
                values.add(new double[] {point(s2, e2)});
              }
            });
          }
          default -> {}
        }
      });
      if (values.isEmpty()) {
        return;
      }
      String prom = PrometheusBenchBridge.sampleName(name[0], unit[0], monotonicSum[0]);
      int idx = nameIndex.computeIfAbsent(prom, k -> nameIndex.size());
      double[] acc = sums.computeIfAbsent(idx, k -> new double[2]);
      for (double[] v : values) {
        // Kahan summation: the comparison with the gateway's totals is to 1e-9.
        double y = v[0] - acc[1];
        double t = acc[0] + y;
        acc[1] = (t - acc[0]) - y;
        acc[0] = t;
      }
    }

    private boolean isMonotonic(int from, int to) {
      boolean[] m = {false};
      pos = from;
      while (pos < to) {
        long tag = varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (field == 3 && wire == 0) {
          m[0] = varint() != 0;
        } else {
          skip(wire);
        }
      }
      return m[0];
    }

    /** A NumberDataPoint: records the time offsets, returns its value. */
    private double point(int from, int to) {
      double value = 0;
      pos = from;
      while (pos < to) {
        long tag = varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (wire == 1 && (field == 2 || field == 3 || field == 4 || field == 6)) {
          long bits = ByteBuffer.wrap(b, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
          if (field == 2 || field == 3) {
            offsets.add(pos);
            if (field == 3) {
              minTime = Math.min(minTime, bits);
              maxTime = Math.max(maxTime, bits);
            }
          } else if (field == 4) {
            value = Double.longBitsToDouble(bits);
          } else {
            value = bits;
          }
          pos += 8;
        } else {
          skip(wire);
        }
      }
      return value;
    }

    interface FieldVisitor {
      void visit(int field, int start, int end);
    }

    /** Calls {@code v} for each length-delimited field in [from, to). */
    private void forEachField(int from, int to, FieldVisitor v) {
      int p = from;
      while (p < to) {
        pos = p;
        long tag = varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (wire == 2) {
          int len = (int) varint();
          int start = pos;
          v.visit(field, start, start + len);
          p = start + len;
        } else {
          skip(wire);
          p = pos;
        }
      }
    }

    private long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte x = b[pos++];
        result |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint");
    }

    private void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int len = (int) varint();
          pos += len;
        }
        case 5 -> pos += 4;
        default -> throw new IllegalArgumentException("wire type " + wire);
      }
    }
  }
}

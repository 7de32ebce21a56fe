package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.cumulativeCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.deltaCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.exporters.TestClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The two counter rules as properties: whatever the clients' retries, reordering, interleaving,
 * and gateway restarts in between (state saved and restored through the state file format), a
 * delta total is the sum of the distinct deltas and a cumulative total the sum of the writers'
 * increases.
 */
class AccumulatorPropertiesTest {
  private static final long S = 1_000_000_000L;
  private static final String NAME = "claude_code.token.usage";
  private static final String PROM = "claude_code_token_usage_tokens";
  private static final String[] TYPES = {"input", "output"};

  private final TestClock clock = TestClock.at("2026-11-25T12:00:00Z");

  private MetricAccumulator newAccumulator() {
    return new MetricAccumulator("p", MetricAccumulatorTest.base().build(), clock);
  }

  /** A gateway restart: the state goes through the file format into a new accumulator. */
  private MetricAccumulator restart(MetricAccumulator acc) {
    MetricAccumulator next = newAccumulator();
    try {
      next.restoreState(StateFile.decode(StateFile.encode(acc.saveState())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return next;
  }

  /** Applies the points in batches of batchSize, restarting the gateway before point restartAt. */
  private MetricAccumulator deliver(
      List<NumberPoint> points, Function<NumberPoint[], Metric> metric, int batchSize, int restartAt) {
    MetricAccumulator acc = newAccumulator();
    for (int i = 0; i < points.size(); i += batchSize) {
      if (restartAt >= i && restartAt < i + batchSize) {
        acc = restart(acc);
      }
      List<NumberPoint> chunk = points.subList(i, Math.min(points.size(), i + batchSize));
      MetricsBatch b = batch(metric.apply(chunk.toArray(new NumberPoint[0])));
      assertThat(acc.apply(b).total()).as("refused points").isZero();
    }
    return acc;
  }

  private static Map<String, Double> totals(MetricAccumulator acc) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String t : TYPES) {
      if (Points.names(acc).contains(PROM)
          && Points.family(acc, PROM).getDataPoints().stream().anyMatch(p -> p.getLabels().get("type").equals(t))) {
        out.put(t, Points.value(acc, PROM, "type", t));
      }
    }
    return out;
  }

  private static void assertTotals(Map<String, Double> actual, Map<String, Double> expected, boolean exact) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    for (Map.Entry<String, Double> e : expected.entrySet()) {
      double want = e.getValue();
      double got = actual.get(e.getKey());
      if (exact) {
        assertThat(got).as("total of %s", e.getKey()).isEqualTo(want);
      } else {
        assertThat(Math.abs(got - want)).as("total of %s: %s vs %s", e.getKey(), got, want).isLessThanOrEqualTo(1e-9 * Math.abs(want));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Delta sums

  /** One delta point: type and session (a denied label) pick the input series. */
  record Delta(int type, int session, int start, int length, long units) {
    double value(boolean integer) {
      // Integer-valued doubles below 2^53 add up exactly in any order; others only nearly.
      return integer ? units : units / 1024.0 + units * 1e-7;
    }

    NumberPoint point(boolean integer) {
      return Points.point(start * S, (start + length) * S, value(integer), "type", TYPES[type], "session.id", "s" + session);
    }
  }

  @Provide
  Arbitrary<Delta> delta() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 1),
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(0, 40),
            Arbitraries.integers().between(1, 3),
            Arbitraries.oneOf(Arbitraries.longs().between(0, 1_000), Arbitraries.longs().between(0, 1L << 47)))
        .as(Delta::new);
  }

  /** Every distinct point once, then the retries (copies of any of them), shuffled. */
  private static List<NumberPoint> deliveries(List<NumberPoint> distinct, List<Integer> copies, long seed) {
    List<NumberPoint> out = new ArrayList<>(distinct);
    if (!distinct.isEmpty()) {
      for (int c : copies) {
        out.add(distinct.get(c % distinct.size()));
      }
    }
    Collections.shuffle(out, new Random(seed));
    return out;
  }

  private static List<NumberPoint> distinct(List<Delta> deltas, boolean integer) {
    // Identity of a delta point: attributes, start, end, value.
    Map<List<Object>, NumberPoint> byIdentity = new LinkedHashMap<>();
    for (Delta d : deltas) {
      NumberPoint p = d.point(integer);
      byIdentity.putIfAbsent(List.of(p.attributes(), p.startTimeNanos(), p.timeNanos(), p.value()), p);
    }
    return new ArrayList<>(byIdentity.values());
  }

  @Property(tries = 300)
  void deltaTotalsAreTheSumOfTheDistinctDeltasWhateverTheRetriesOrderAndRestarts(
      @ForAll @Size(max = 30) List<@From("delta") Delta> deltas,
      @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 1000) Integer> retries,
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 5) int batchSize,
      @ForAll @IntRange(min = 0, max = 80) int restartAt,
      @ForAll boolean integerValues) {
    List<NumberPoint> distinct = distinct(deltas, integerValues);
    Map<String, Double> expected = new LinkedHashMap<>();
    for (NumberPoint p : distinct) {
      expected.merge(p.attributes().getString("type"), p.value(), Double::sum);
    }

    MetricAccumulator acc = deliver(
        deliveries(distinct, retries, seed), points -> deltaCounter(NAME, points), batchSize, restartAt);

    assertTotals(totals(acc), expected, integerValues);
  }

  @Property(tries = 200)
  void theSameMultisetOfDeltasInAnyOrderGivesTheSameTotals(
      @ForAll @Size(max = 30) List<@From("delta") Delta> deltas,
      @ForAll @Size(max = 20) List<@IntRange(min = 0, max = 1000) Integer> retries,
      @ForAll long seed1,
      @ForAll long seed2,
      @ForAll @IntRange(min = 1, max = 5) int batchSize,
      @ForAll boolean integerValues) {
    List<NumberPoint> distinct = distinct(deltas, integerValues);
    List<NumberPoint> one = deliveries(distinct, retries, seed1);
    List<NumberPoint> other = new ArrayList<>(one);
    Collections.shuffle(other, new Random(seed2));

    Map<String, Double> a = totals(deliver(one, points -> deltaCounter(NAME, points), batchSize, -1));
    Map<String, Double> b = totals(deliver(other, points -> deltaCounter(NAME, points), 1, -1));

    assertTotals(a, b, integerValues);
  }

  // ---------------------------------------------------------------------------------------------
  // Cumulative sums

  /**
   * A run of a writer's counter from zero: the values are the running sums of the increments. A
   * segment after the first either keeps the start time (a restart the gateway sees as a drop) or
   * takes a new one (a new process).
   */
  record Segment(boolean newStart, List<Integer> increments) {}

  record Writer(int type, List<Segment> segments) {}

  @Provide
  Arbitrary<Writer> writer() {
    Arbitrary<Segment> segment = Combinators.combine(
            Arbitraries.of(true, false),
            Arbitraries.integers().between(0, 1000).list().ofMinSize(1).ofMaxSize(4))
        .as(Segment::new);
    return Combinators.combine(Arbitraries.integers().between(0, 1), segment.list().ofMinSize(1).ofMaxSize(4))
        .as(Writer::new);
  }

  @Property(tries = 300)
  void cumulativeTotalsAreTheSumOfEveryWritersIncreasesThroughRestartsRetriesAndInterleaving(
      @ForAll @Size(min = 1, max = 6) List<@From("writer") Writer> writers,
      @ForAll @Size(max = 20) List<@IntRange(min = 0, max = 1000) Integer> retries,
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 4) int batchSize,
      @ForAll @IntRange(min = 0, max = 100) int restartAt) {
    Map<String, Double> expected = new LinkedHashMap<>();
    List<List<NumberPoint>> perWriter = new ArrayList<>();
    long time = 0;
    for (int w = 0; w < writers.size(); w++) {
      Writer spec = writers.get(w);
      String type = TYPES[spec.type];
      List<NumberPoint> points = new ArrayList<>();
      long start = ++time;
      long previousLast = -1;
      for (int s = 0; s < spec.segments.size(); s++) {
        Segment seg = spec.segments.get(s);
        long[] values = new long[seg.increments.size()];
        long running = 0;
        for (int i = 0; i < values.length; i++) {
          running += seg.increments.get(i);
          values[i] = running;
        }
        // Same start time: only a drop below the last value shows a restart; otherwise the
        // process must have started anew, with a new start time.
        if (s > 0 && (seg.newStart || values[0] >= previousLast)) {
          start = ++time;
        }
        for (long v : values) {
          points.add(point(start * S, (++time) * S, v, "type", type, "session.id", "w" + w));
        }
        previousLast = values[values.length - 1];
        expected.merge(type, (double) previousLast, Double::sum); // each run counts from zero
      }
      perWriter.add(points);
    }

    // Interleave the writers (each in its own order), then add retries after their original.
    Random random = new Random(seed);
    List<NumberPoint> sequence = new ArrayList<>();
    int[] next = new int[perWriter.size()];
    int left = perWriter.stream().mapToInt(List::size).sum();
    while (left > 0) {
      int w = random.nextInt(perWriter.size());
      if (next[w] < perWriter.get(w).size()) {
        sequence.add(perWriter.get(w).get(next[w]++));
        left--;
      }
    }
    for (int r : retries) {
      int original = r % sequence.size();
      int at = original + 1 + random.nextInt(sequence.size() - original);
      sequence.add(at, sequence.get(original));
    }

    MetricAccumulator acc = deliver(sequence, points -> cumulativeCounter(NAME, points), batchSize, restartAt);

    assertTotals(totals(acc), expected, true);
  }
}

package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Temporality;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Arrays;
import java.util.List;

/** Builders for OTLP-model metrics and readers for accumulator snapshots. */
final class Points {
  static final Resource RESOURCE =
      Resource.of(Attributes.of("service.name", "claude-code", "service.version", "2.1.328"));
  static final Scope SCOPE = Scope.of("com.anthropic.claude_code", "2.1.328");

  private Points() {}

  static NumberPoint point(long start, long end, double value, Object... attributes) {
    return NumberPoint.ofDouble(Attributes.of(attributes), start, end, value);
  }

  static HistogramPoint histogramPoint(
      long start, long end, List<Double> bounds, List<Long> counts, double sum, Object... attributes) {
    long count = counts.stream().mapToLong(Long::longValue).sum();
    return new HistogramPoint(Attributes.of(attributes), start, end, count, sum, bounds, counts, Double.NaN, Double.NaN, 0);
  }

  static Metric metric(MetricKind kind, Temporality t, boolean monotonic, String name, String unit, DataPoint... points) {
    return metric(RESOURCE, kind, t, monotonic, name, unit, points);
  }

  static Metric metric(
      Resource resource, MetricKind kind, Temporality t, boolean monotonic, String name, String unit, DataPoint... points) {
    return new Metric(resource, SCOPE, name, "help of " + name, unit, kind, t, monotonic, List.of(points));
  }

  static Metric deltaCounter(String name, DataPoint... points) {
    return metric(MetricKind.SUM, Temporality.DELTA, true, name, "", points);
  }

  static Metric cumulativeCounter(String name, DataPoint... points) {
    return metric(MetricKind.SUM, Temporality.CUMULATIVE, true, name, "", points);
  }

  static Metric gauge(String name, DataPoint... points) {
    return metric(MetricKind.GAUGE, Temporality.UNSPECIFIED, false, name, "", points);
  }

  static MetricsBatch batch(Metric... metrics) {
    return new MetricsBatch(List.of(metrics));
  }

  static MetricSnapshot family(MetricAccumulator acc, String name) {
    return acc.snapshot().stream()
        .filter(s -> s.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in " + names(acc)));
  }

  static List<String> names(MetricAccumulator acc) {
    return acc.snapshot().stream().map(s -> s.getMetadata().getName()).toList();
  }

  static DataPointSnapshot dataPoint(MetricAccumulator acc, String name, String... labels) {
    MetricSnapshot s = family(acc, name);
    Labels wanted = Labels.of(labels);
    return s.getDataPoints().stream()
        .filter(p -> p.getLabels().equals(wanted))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no series " + name + wanted + " in " + s.getDataPoints().stream().map(DataPointSnapshot::getLabels).toList()));
  }

  /** The value of a counter or gauge series. */
  static double value(MetricAccumulator acc, String name, String... labels) {
    DataPointSnapshot p = dataPoint(acc, name, labels);
    if (p instanceof CounterSnapshot.CounterDataPointSnapshot c) {
      return c.getValue();
    }
    return ((GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
  }

  static int seriesOf(MetricAccumulator acc, String name) {
    return family(acc, name).getDataPoints().size();
  }

  /** Non-cumulative bucket counts of a histogram series, +Inf last. */
  static long[] buckets(MetricAccumulator acc, String name, String... labels) {
    HistogramSnapshot.HistogramDataPointSnapshot p =
        (HistogramSnapshot.HistogramDataPointSnapshot) dataPoint(acc, name, labels);
    long[] counts = new long[p.getClassicBuckets().size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = p.getClassicBuckets().getCount(i);
    }
    return counts;
  }

  static double histogramSum(MetricAccumulator acc, String name, String... labels) {
    HistogramSnapshot.HistogramDataPointSnapshot p =
        (HistogramSnapshot.HistogramDataPointSnapshot) dataPoint(acc, name, labels);
    assertThat(p.hasSum()).isTrue();
    return p.getSum();
  }

  static String str(long[] a) {
    return Arrays.toString(a);
  }
}

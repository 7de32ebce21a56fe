package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.deltaCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.metric;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.core.pipeline.Fanout;
import io.ccotel.gateway.exporters.TestClock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the client is told when the exporter refuses points: exact messages, counts, counters. */
class PartialSuccessTest {
  private static final long S = 1_000_000_000L;
  private final TestClock clock = TestClock.at("2026-11-25T12:00:00Z");

  private PrometheusExporter exporter(String id, PrometheusExporterConfig.Builder config) {
    return new PrometheusExporter(new ExporterSettings(id, GatewayMetrics.noop(), clock), config.build());
  }

  private static PrometheusExporterConfig.Builder config() {
    return PrometheusExporterTest.local();
  }

  private static Metric exponential(String name) {
    ExponentialHistogramPoint e =
        new ExponentialHistogramPoint(Attributes.empty(), S, 2 * S, 3, 6, 0, 0, 0, 0, List.of(1L, 2L), 0, List.of(), 1, 3, 0);
    return metric(MetricKind.EXPONENTIAL_HISTOGRAM, Temporality.DELTA, true, name, "ms", e);
  }

  @Test
  void anInlineExporterThatAnswersOkWhenEverythingIsTaken() {
    PrometheusExporter e = exporter("prometheus", config());
    MetricsBatch b = batch(deltaCounter("x", point(S, 2 * S, 1, "k", "a")));

    assertThat(e.inline()).isTrue();
    assertThat(e.apply(b)).isEqualTo(ConsumeResult.ok());
    // A retry of an applied batch is accepted (it was applied), not refused.
    assertThat(e.apply(b)).isEqualTo(ConsumeResult.ok());
    assertThat(e.accumulator().duplicatePoints()).isEqualTo(1);
    assertThat(e.apply(new LogsBatch(List.of()))).isEqualTo(ConsumeResult.ok());
  }

  @Test
  void theGlobalCapAndAnUnsupportedTypeInOneBatch() {
    PrometheusExporter e = exporter("prometheus", config().maxSeries(2));

    ConsumeResult r = e.apply(batch(
        deltaCounter("x", point(S, 2 * S, 1, "k", "a"), point(S, 2 * S, 1, "k", "b"), point(S, 2 * S, 1, "k", "c")),
        deltaCounter("y", point(S, 2 * S, 1)),
        exponential("rpc.latency")));

    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(3);
    assertThat(r.message()).isEqualTo(
        "2 data points refused by the prometheus exporter: series limit 2 reached (exporters.prometheus.max_series); "
            + "1 data point refused: exponential histograms are not supported, configure explicit buckets in the client,"
            + " e.g. OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=explicit_bucket_histogram (metric rpc.latency)");
    // Counted as well, by reason.
    String own = e.scrape(null);
    assertThat(own)
        .contains("gateway_prometheus_rejected_points_total{exporter=\"prometheus\",reason=\"series_limit\"} 2.0")
        .contains("gateway_prometheus_rejected_points_total{exporter=\"prometheus\",reason=\"unsupported_type\"} 1.0")
        .contains("gateway_prometheus_rejected_points_total{exporter=\"prometheus\",reason=\"series_limit_per_metric\"} 0.0");
  }

  @Test
  void theCapPerMetricNamesTheMetricAndTheKeyOfANamedExporter() {
    PrometheusExporter e = exporter("prometheus/team", config().maxSeriesPerMetric(1));

    ConsumeResult r = e.apply(batch(
        deltaCounter("claude_code.token.usage", point(S, 2 * S, 1, "type", "input"), point(S, 2 * S, 1, "type", "output")),
        deltaCounter("claude_code.cost.usage", point(S, 2 * S, 1, "model", "a"), point(S, 2 * S, 1, "model", "b"))));

    assertThat(r.rejectedItems()).isEqualTo(2);
    assertThat(r.message()).isEqualTo(
        "2 data points refused by the prometheus/team exporter: series limit 1 per metric reached for"
            + " claude_code.token.usage and claude_code.cost.usage (exporters.prometheus/team.max_series_per_metric)");
    assertThat(e.accumulator().rejectedPoints(RejectReason.SERIES_LIMIT_PER_METRIC)).isEqualTo(2);
  }

  @Test
  void everyOtherReasonHasItsOwnPartInReasonOrder() {
    PrometheusExporter e = exporter("prometheus", config());
    e.apply(batch(
        deltaCounter("jobs", point(S, 2 * S, 1)),
        metric(MetricKind.HISTOGRAM, Temporality.DELTA, true, "h", "", histogramPoint(S, 2 * S, List.of(1.0), List.of(1L, 0L), 1))));

    ConsumeResult r = e.apply(batch(
        Points.gauge("jobs_total", point(S, 2 * S, 4)),
        metric(MetricKind.HISTOGRAM, Temporality.DELTA, true, "h", "", histogramPoint(S, 3 * S, List.of(2.0), List.of(1L, 0L), 1)),
        deltaCounter("a", point(S, 2 * S, -1)),
        deltaCounter("b", point(S, 2 * S, Double.NaN)),
        deltaCounter("c", point(S, 2 * S, Double.POSITIVE_INFINITY)),
        deltaCounter("d", point(S, 2 * S, -2)),
        metric(MetricKind.SUM, Temporality.UNSPECIFIED, true, "u", "", point(S, 2 * S, 1))));

    assertThat(r.rejectedItems()).isEqualTo(7);
    assertThat(r.message()).isEqualTo(
        "1 data point refused by the prometheus exporter: the Prometheus name is already taken by a metric of another"
            + " type, rename one of them (metric jobs_total); "
            + "1 data point refused: histogram bucket bounds differ from those of the existing series, keep one layout"
            + " per series (the old one expires after exporters.prometheus.series_idle_timeout without points) (metric h); "
            + "4 data points refused: invalid values: NaN or infinite, a negative increment of a monotonic sum, bucket"
            + " counts that do not match the bounds, or a quantile outside [0, 1] (metrics a, b, c and others); "
            + "1 data point refused: aggregation temporality unspecified, send DELTA or CUMULATIVE (metric u)");
  }

  @Test
  void existingSeriesKeepWorkingPastTheCap() {
    PrometheusExporter e = exporter("prometheus", config().maxSeries(1).targetInfo(false));
    assertThat(e.apply(batch(deltaCounter("x", point(S, 2 * S, 1))))).isEqualTo(ConsumeResult.ok());
    assertThat(e.apply(batch(deltaCounter("y", point(S, 2 * S, 1)))).rejectedItems()).isEqualTo(1);

    assertThat(e.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 2))))).isEqualTo(ConsumeResult.ok());
    assertThat(e.scrape(null)).contains("x_total 3.0").doesNotContain("y_total");
  }

  @Test
  void theFanoutPassesTheRefusalsOnAsThePartialSuccessOfTheRequest() {
    PrometheusExporter e = exporter("prometheus", config().maxSeries(1).targetInfo(false));
    Fanout fanout = new Fanout(List.of(e), List.of(), GatewayMetrics.noop(), java.time.Duration.ofSeconds(1));

    ConsumeResult r = fanout.consume(batch(deltaCounter("x", point(S, 2 * S, 1, "k", "a"), point(S, 2 * S, 1, "k", "b"))));

    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(1);
    assertThat(r.message()).isEqualTo(
        "1 data point refused by the prometheus exporter: series limit 1 reached (exporters.prometheus.max_series)");
  }
}

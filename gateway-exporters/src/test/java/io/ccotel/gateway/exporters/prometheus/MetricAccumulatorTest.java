package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.buckets;
import static io.ccotel.gateway.exporters.prometheus.Points.cumulativeCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.dataPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.deltaCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.family;
import static io.ccotel.gateway.exporters.prometheus.Points.gauge;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramSum;
import static io.ccotel.gateway.exporters.prometheus.Points.metric;
import static io.ccotel.gateway.exporters.prometheus.Points.names;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static io.ccotel.gateway.exporters.prometheus.Points.seriesOf;
import static io.ccotel.gateway.exporters.prometheus.Points.value;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.exporters.TestClock;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class MetricAccumulatorTest {
  private static final String TOKENS = "claude_code.token.usage";
  private static final String TOKENS_PROM = "claude_code_token_usage_tokens";
  private static final long S = 1_000_000_000L;

  private final TestClock clock = TestClock.at("2026-11-25T12:00:00Z");
  // target_info has its own tests (TargetInfoAndScope); here it would add a series to every count.
  private MetricAccumulator acc = new MetricAccumulator("prometheus", base().build(), clock);

  static PrometheusExporterConfig.Builder base() {
    return PrometheusExporterConfig.builder().endpoint(HostPort.of("127.0.0.1", 0)).stateFile("").targetInfo(false);
  }

  private static PrometheusExporterConfig config(int maxSeries, Duration idle) {
    return base().maxSeries(maxSeries).seriesIdleTimeout(idle).build();
  }

  @Nested
  class DeltaSums {
    @Test
    void everyDeltaIsAddedWhateverItsStartTimeWithGapsAndOutOfOrderStarts() {
      acc.apply(batch(deltaCounter(TOKENS, point(10 * S, 11 * S, 100, "type", "input"))));
      // A gap: the series was absent for a while and restarts its start time (sparse series).
      acc.apply(batch(deltaCounter(TOKENS, point(40 * S, 41 * S, 20, "type", "input"))));
      // An older start time arriving late (out of order): still added.
      acc.apply(batch(deltaCounter(TOKENS, point(20 * S, 21 * S, 3, "type", "input"))));
      // Overlapping interval, other values: added too.
      acc.apply(batch(deltaCounter(TOKENS, point(10 * S, 41 * S, 0.5, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(123.5);
      assertThat(acc.duplicatePoints()).isZero();
      assertThat(acc.seriesCount()).isEqualTo(1);
    }

    @Test
    void anExactRepeatIsDroppedAndCounted() {
      Metric m = deltaCounter(TOKENS, point(10 * S, 11 * S, 100, "type", "input", "session.id", "s1"));
      acc.apply(batch(m));
      acc.apply(batch(m)); // the client retried a request that had been applied
      acc.apply(batch(deltaCounter(TOKENS, point(10 * S, 11 * S, 100, "type", "input", "session.id", "s1"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(100);
      assertThat(acc.duplicatePoints()).isEqualTo(2);
    }

    @Test
    void theSameValueWithAnotherEndTimeIsNotARepeat() {
      acc.apply(batch(deltaCounter(TOKENS, point(10 * S, 11 * S, 100, "type", "input"))));
      acc.apply(batch(deltaCounter(TOKENS, point(10 * S, 12 * S, 100, "type", "input"))));
      acc.apply(batch(deltaCounter(TOKENS, point(11 * S, 12 * S, 100, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(300);
      assertThat(acc.duplicatePoints()).isZero();
    }

    @Test
    void theSamePointFromAnotherResourceOrScopeIsNotARepeat() {
      Resource hostA = Resource.of(Attributes.of("service.name", "claude-code", "host.name", "a"));
      Resource hostB = Resource.of(Attributes.of("service.name", "claude-code", "host.name", "b"));
      acc.apply(batch(metric(hostA, MetricKind.SUM, Temporality.DELTA, true, TOKENS, "tokens", point(10 * S, 11 * S, 7, "type", "input"))));
      acc.apply(batch(metric(hostB, MetricKind.SUM, Temporality.DELTA, true, TOKENS, "tokens", point(10 * S, 11 * S, 7, "type", "input"))));
      Metric otherScope =
          new Metric(Points.RESOURCE, Scope.of("other", "1"), TOKENS, "", "tokens", MetricKind.SUM, Temporality.DELTA, true,
              List.of(point(10 * S, 11 * S, 7, "type", "input")));
      acc.apply(batch(otherScope));
      acc.apply(batch(otherScope));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(21);
      assertThat(acc.duplicatePoints()).isEqualTo(1);
    }

    @Test
    void negativeOrNonFiniteDeltasOfAMonotonicSumAreRejected() {
      acc.apply(batch(deltaCounter(TOKENS,
          point(1 * S, 2 * S, 5, "type", "input"),
          point(2 * S, 3 * S, -1, "type", "input"),
          point(3 * S, 4 * S, Double.NaN, "type", "input"),
          point(4 * S, 5 * S, Double.POSITIVE_INFINITY, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(5);
      assertThat(acc.rejectedPoints(RejectReason.INVALID_VALUE)).isEqualTo(3);
    }

    @Test
    void pointsFlaggedNoRecordedValueAreSkipped() {
      NumberPoint empty = new NumberPoint(Attributes.of("type", "input"), S, 2 * S, true, 9, 0, 1);
      acc.apply(batch(deltaCounter(TOKENS, point(S, 2 * S, 5, "type", "input"), empty)));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(5);
    }

    @Test
    void repeatsAreForgottenAfterTheDuplicateWindow() {
      Metric m = deltaCounter(TOKENS, point(10 * S, 11 * S, 1, "type", "input"));
      acc.apply(batch(m));
      assertThat(acc.rememberedPointCount()).isEqualTo(1);

      clock.advance(MetricAccumulator.DUPLICATE_WINDOW.plusSeconds(1));
      acc.expireIdle();

      assertThat(acc.rememberedPointCount()).isZero();
      acc.apply(batch(m)); // so late a "retry" is taken as new data: the documented bound
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(2);
    }
  }

  @Nested
  class CumulativeSums {
    @Test
    void writersSharingALabelSetAddUp() {
      // Two processes (resumed sessions): session.id differs but is not a label.
      acc.apply(batch(cumulativeCounter(TOKENS,
          point(100 * S, 101 * S, 5, "session.id", "s1", "type", "input"),
          point(200 * S, 201 * S, 3, "session.id", "s2", "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS,
          point(100 * S, 102 * S, 8, "session.id", "s1", "type", "input"),
          point(200 * S, 202 * S, 10, "session.id", "s2", "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(18);
      assertThat(seriesOf(acc, TOKENS_PROM)).isEqualTo(1);
    }

    @Test
    void aNewStartTimeIsANewWriterNotAReset() {
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 101 * S, 5, "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 102 * S, 9, "type", "input"))));
      // The client restarted: its counters start again from its new start time.
      acc.apply(batch(cumulativeCounter(TOKENS, point(300 * S, 301 * S, 2, "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS, point(300 * S, 302 * S, 4, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(13);
    }

    @Test
    void aValueBelowTheWritersLastValueIsARestartNeverANegativeStep() {
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 101 * S, 5, "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 102 * S, 9, "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 103 * S, 3, "type", "input"))));
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(12);
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 104 * S, 6, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(15);
    }

    @Test
    void aRepeatIsCountedAndAnOlderPointIsStaleNotRefused() {
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 102 * S, 9, "type", "input"))));
      Refusals repeat = acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 102 * S, 9, "type", "input"))));
      // A late retry of an older request: its count is contained in the 9 already applied.
      Refusals older = acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 101 * S, 5, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(9);
      assertThat(acc.duplicatePoints()).isEqualTo(1);
      assertThat(acc.stalePoints()).isEqualTo(1);
      assertThat(repeat.total()).isZero();
      assertThat(older.total()).isZero();
    }

    @Test
    void oneWritersTotalIsExactlyItsLastValue() {
      // Running totals as the CLI sends them; adding up increases would round differently.
      double[] running = {0.0143108, 0.0293924, 0.0452448, 0.061868, 0.079262, 0.0974268, 0.11568240000000002};
      for (int i = 0; i < running.length; i++) {
        acc.apply(batch(cumulativeCounter("claude_code.cost.usage", point(100 * S, (101 + i) * S, running[i], "model", "opus"))));
      }

      assertThat(value(acc, "claude_code_cost_usage_USD", "model", "opus")).isEqualTo(0.11568240000000002);
    }

    @Test
    void deltaAndCumulativeInputToOneSeriesAddUp() {
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 101 * S, 5, "type", "input"))));
      acc.apply(batch(deltaCounter(TOKENS, point(100 * S, 101 * S, 2, "type", "input"))));
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 102 * S, 7, "type", "input"))));

      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(9);
    }

    @Test
    void aCounterNeverStepsDownEvenWhenRetiringAWriterReordersTheFloatingPointSum() {
      acc = new MetricAccumulator("p", config(100, Duration.ofHours(1)), clock);
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 0.9))));
      acc.apply(batch(cumulativeCounter("x", point(S, 2 * S, 0.186, "session.id", "a"), point(2 * S, 3 * S, 0.9, "session.id", "b"))));
      assertThat(value(acc, "x")).isEqualTo(1.9860000000000002); // (0.9 + 0.186) + 0.9
      clock.advance(Duration.ofMinutes(40));
      acc.apply(batch(cumulativeCounter("x", point(S, 4 * S, 0.186, "session.id", "a"))));
      clock.advance(Duration.ofMinutes(30));

      acc.expireIdle(); // b is retired: (0.9 + 0.9) + 0.186 would be 1.986, an ulp lower

      assertThat(acc.writerCount()).isEqualTo(1);
      assertThat(value(acc, "x")).isEqualTo(1.9860000000000002);
    }

    @Test
    void idleWritersAreRetiredWithoutLosingWhatTheyCounted() {
      acc = new MetricAccumulator("p", config(100, Duration.ofHours(1)), clock);
      acc.apply(batch(cumulativeCounter(TOKENS, point(100 * S, 101 * S, 5, "session.id", "old", "type", "input"))));
      clock.advance(Duration.ofMinutes(40));
      acc.apply(batch(cumulativeCounter(TOKENS, point(200 * S, 201 * S, 3, "session.id", "new", "type", "input"))));
      clock.advance(Duration.ofMinutes(30));

      acc.expireIdle(); // "old" is idle for 70 minutes, the series itself for 30

      assertThat(acc.writerCount()).isEqualTo(1);
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(8);
      acc.apply(batch(cumulativeCounter(TOKENS, point(200 * S, 202 * S, 4, "session.id", "new", "type", "input"))));
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(9);
    }
  }

  @Nested
  class Gauges {
    @Test
    void lastValueByPointTimeAnOlderPointDoesNotOverwrite() {
      acc.apply(batch(gauge("queue.depth", point(0, 20 * S, 5, "q", "a"))));
      acc.apply(batch(gauge("queue.depth", point(0, 10 * S, 7, "q", "a"))));
      assertThat(value(acc, "queue_depth", "q", "a")).isEqualTo(5);

      acc.apply(batch(gauge("queue.depth", point(0, 30 * S, 1, "q", "a"))));
      assertThat(value(acc, "queue_depth", "q", "a")).isEqualTo(1);
      assertThat(family(acc, "queue_depth")).isInstanceOf(GaugeSnapshot.class);
    }

    @Test
    void cumulativeNonMonotonicSumsAreLastValueGauges() {
      Metric a = metric(MetricKind.SUM, Temporality.CUMULATIVE, false, "sessions.active", "", point(S, 20 * S, 4));
      Metric older = metric(MetricKind.SUM, Temporality.CUMULATIVE, false, "sessions.active", "", point(S, 10 * S, 9));
      acc.apply(batch(a));
      acc.apply(batch(older));

      assertThat(value(acc, "sessions_active")).isEqualTo(4);
      assertThat(family(acc, "sessions_active")).isInstanceOf(GaugeSnapshot.class);
    }

    @Test
    void deltaNonMonotonicSumsAreAddedAndExposedAsGauges() {
      acc.apply(batch(metric(MetricKind.SUM, Temporality.DELTA, false, "sessions.active", "", point(S, 2 * S, 5))));
      acc.apply(batch(metric(MetricKind.SUM, Temporality.DELTA, false, "sessions.active", "", point(2 * S, 3 * S, -2))));
      acc.apply(batch(metric(MetricKind.SUM, Temporality.DELTA, false, "sessions.active", "", point(2 * S, 3 * S, -2))));

      assertThat(value(acc, "sessions_active")).isEqualTo(3);
      assertThat(acc.duplicatePoints()).isEqualTo(1);
      assertThat(family(acc, "sessions_active")).isInstanceOf(GaugeSnapshot.class);
    }
  }

  @Nested
  class Histograms {
    private final List<Double> bounds = List.of(1.0, 5.0);

    private Metric histogram(Temporality t, io.ccotel.gateway.core.model.DataPoint... points) {
      return metric(MetricKind.HISTOGRAM, t, true, "tool.duration", "s", points);
    }

    @Test
    void deltaPointsAddCountsSumsAndBuckets() {
      acc.apply(batch(histogram(Temporality.DELTA, histogramPoint(S, 2 * S, bounds, List.of(1L, 2L, 0L), 4, "tool", "Bash"))));
      acc.apply(batch(histogram(Temporality.DELTA, histogramPoint(5 * S, 6 * S, bounds, List.of(0L, 1L, 1L), 10, "tool", "Bash"))));
      acc.apply(batch(histogram(Temporality.DELTA, histogramPoint(5 * S, 6 * S, bounds, List.of(0L, 1L, 1L), 10, "tool", "Bash"))));

      assertThat(buckets(acc, "tool_duration_seconds", "tool", "Bash")).containsExactly(1, 3, 1);
      assertThat(histogramSum(acc, "tool_duration_seconds", "tool", "Bash")).isEqualTo(14);
      assertThat(acc.duplicatePoints()).isEqualTo(1);
    }

    @Test
    void cumulativePointsAddEachWritersIncrease() {
      acc.apply(batch(histogram(Temporality.CUMULATIVE,
          histogramPoint(S, 2 * S, bounds, List.of(1L, 0L, 0L), 0.5, "tool", "Bash", "session.id", "a"))));
      acc.apply(batch(histogram(Temporality.CUMULATIVE,
          histogramPoint(S, 3 * S, bounds, List.of(1L, 2L, 0L), 6.5, "tool", "Bash", "session.id", "a"),
          histogramPoint(9 * S, 10 * S, bounds, List.of(0L, 0L, 1L), 9, "tool", "Bash", "session.id", "b"))));
      assertThat(buckets(acc, "tool_duration_seconds", "tool", "Bash")).containsExactly(1, 2, 1);
      assertThat(histogramSum(acc, "tool_duration_seconds", "tool", "Bash")).isEqualTo(15.5);

      // Writer a restarted (lower counts, same start time): its earlier counts stay.
      acc.apply(batch(histogram(Temporality.CUMULATIVE,
          histogramPoint(S, 4 * S, bounds, List.of(0L, 1L, 0L), 2, "tool", "Bash", "session.id", "a"))));
      assertThat(buckets(acc, "tool_duration_seconds", "tool", "Bash")).containsExactly(1, 3, 1);
      assertThat(histogramSum(acc, "tool_duration_seconds", "tool", "Bash")).isEqualTo(17.5);
    }

    @Test
    void aPointWithAnotherBucketLayoutIsRejectedNotMerged() {
      acc.apply(batch(histogram(Temporality.DELTA, histogramPoint(S, 2 * S, bounds, List.of(1L, 2L, 0L), 4, "tool", "Bash"))));
      acc.apply(batch(histogram(Temporality.DELTA,
          histogramPoint(2 * S, 3 * S, List.of(1.0, 10.0), List.of(5L, 5L, 5L), 40, "tool", "Bash"))));
      acc.apply(batch(histogram(Temporality.CUMULATIVE,
          histogramPoint(2 * S, 3 * S, List.of(2.0), List.of(5L, 5L), 40, "tool", "Bash"))));

      assertThat(buckets(acc, "tool_duration_seconds", "tool", "Bash")).containsExactly(1, 2, 0);
      assertThat(acc.rejectedPoints(RejectReason.BUCKET_LAYOUT_CHANGED)).isEqualTo(2);
    }

    @Test
    void brokenLayoutsAreRejected() {
      acc.apply(batch(histogram(Temporality.DELTA,
          histogramPoint(S, 2 * S, bounds, List.of(1L, 2L), 4, "k", "count mismatch"),
          histogramPoint(S, 2 * S, List.of(5.0, 1.0), List.of(1L, 2L, 3L), 4, "k", "not increasing"))));

      assertThat(acc.rejectedPoints(RejectReason.INVALID_VALUE)).isEqualTo(2);
      assertThat(acc.seriesCount()).isZero();
    }

    @Test
    void exponentialHistogramsAreRefusedAsUnsupported() {
      ExponentialHistogramPoint e =
          new ExponentialHistogramPoint(Attributes.empty(), S, 2 * S, 3, 6, 0, 0, 0, 0, List.of(1L, 2L), 0, List.of(), 1, 3, 0);
      Refusals r = acc.apply(batch(
          metric(MetricKind.EXPONENTIAL_HISTOGRAM, Temporality.DELTA, true, "a", "", e, e),
          metric(MetricKind.EXPONENTIAL_HISTOGRAM, Temporality.CUMULATIVE, true, "b", "", e)));

      assertThat(acc.rejectedPoints(RejectReason.UNSUPPORTED_TYPE)).isEqualTo(3);
      assertThat(r.total()).isEqualTo(3);
      assertThat(acc.snapshot()).isEmpty();
    }
  }

  @Nested
  class LabelsAndSeries {
    @Test
    void attributesThatSanitizeToOneLabelJoinTheirValuesInKeyOrder() {
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1, "a_b", "under", "a.b", "dot"))));
      acc.apply(batch(deltaCounter("x", point(S, 3 * S, 2, "a.b", "dot", "a_b", "under"))));

      // "a.b" sorts before "a_b" ('.' < '_'), whatever order they came in.
      assertThat(value(acc, "x", "a_b", "dot;under")).isEqualTo(3);
      assertThat(seriesOf(acc, "x")).isEqualTo(1);
    }

    @Test
    void deniedKeysAreDroppedAndTheirPointsAddIntoOneSeries() {
      acc.apply(batch(deltaCounter(TOKENS,
          point(S, 2 * S, 10, "session.id", "s1", "prompt.id", "p1", "type", "input", "event.sequence", 4L),
          point(S, 2 * S, 20, "session.id", "s2", "prompt.id", "p2", "type", "input", "request_id", "r"),
          point(S, 2 * S, 30, "session.id", "s3", "type", "input", "tool_use_id", "t", "message.uuid", "m", "client_request_id", "c"))));

      assertThat(seriesOf(acc, TOKENS_PROM)).isEqualTo(1);
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(60);
    }

    @Test
    void resourceLabelsArePromotedWhenThePointLacksThem() {
      Resource team = Resource.of(Attributes.of("department", "engineering", "team.id", "platform", "service.name", "claude-code"));
      acc.apply(batch(metric(team, MetricKind.SUM, Temporality.DELTA, true, TOKENS, "tokens",
          point(S, 2 * S, 1, "type", "input"),
          point(S, 2 * S, 2, "type", "input", "team.id", "own"))));

      assertThat(value(acc, TOKENS_PROM, "department", "engineering", "team_id", "platform", "type", "input")).isEqualTo(1);
      assertThat(value(acc, TOKENS_PROM, "department", "engineering", "team_id", "own", "type", "input")).isEqualTo(2);
    }

    @Test
    void anAllowListKeepsOnlyTheNamedKeysAndDenyStillWins() {
      acc = new MetricAccumulator("p", base().labelDeny(List.of("model")).labelAllow(List.of("model", "type", "team.id"))
          .maxSeries(100).seriesIdleTimeout(Duration.ZERO).build(), clock);
      Resource team = Resource.of(Attributes.of("team.id", "platform", "department", "eng"));
      acc.apply(batch(metric(team, MetricKind.SUM, Temporality.DELTA, true, TOKENS, "tokens",
          point(S, 2 * S, 1, "type", "input", "model", "opus", "user.id", "u1"),
          point(S, 2 * S, 2, "type", "input", "model", "sonnet", "user.id", "u2"))));

      assertThat(value(acc, TOKENS_PROM, "team_id", "platform", "type", "input")).isEqualTo(3);
    }

    @Test
    void labelValuesAreTheAttributeValuesAsText() {
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1,
          "anthropic.custom_base_url", true, "attempt", 2L, "ratio", 0.5, "list", List.of("a", 1L),
          "raw", java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})))));

      assertThat(value(acc, "x",
          "anthropic_custom_base_url", "true", "attempt", "2", "list", "[\"a\",1]", "ratio", "0.5", "raw", "AQID"))
          .isEqualTo(1);
    }

    @Test
    void aHistogramAttributeNamedLeIsRenamed() {
      acc.apply(batch(metric(MetricKind.HISTOGRAM, Temporality.DELTA, true, "h", "",
          histogramPoint(S, 2 * S, List.of(1.0), List.of(1L, 0L), 0.5, "le", "x"))));

      assertThat(buckets(acc, "h", "exported_le", "x")).containsExactly(1, 0);
    }

    @Test
    void theSeriesCapRejectsNewSeriesAndCountsThem() {
      acc = new MetricAccumulator("p", config(2, Duration.ZERO), clock);
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1, "k", "a"), point(S, 2 * S, 1, "k", "b"), point(S, 2 * S, 1, "k", "c"))));
      acc.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 1, "k", "a"))));

      assertThat(acc.seriesCount()).isEqualTo(2);
      assertThat(acc.rejectedPoints(RejectReason.SERIES_LIMIT)).isEqualTo(1);
      assertThat(value(acc, "x", "k", "a")).isEqualTo(2);
    }

    @Test
    void aNameTakenByAnotherTypeRejectsTheLaterMetric() {
      acc.apply(batch(gauge("jobs", point(0, S, 4))));
      acc.apply(batch(deltaCounter("jobs", point(0, S, 1), point(0, S, 2, "k", "v"))));
      // A gauge named like a counter's sample (jobs_total vs counter "jobs") clashes too.
      acc.apply(batch(deltaCounter("tasks", point(0, S, 1))));
      acc.apply(batch(gauge("tasks_total", point(0, S, 1))));

      assertThat(acc.rejectedPoints(RejectReason.TYPE_CONFLICT)).isEqualTo(3);
      assertThat(names(acc)).containsExactlyInAnyOrder("jobs", "tasks");
      assertThat(family(acc, "tasks")).isInstanceOf(CounterSnapshot.class);
    }

    @Test
    void sumsWithoutTemporalityAreRejected() {
      acc.apply(batch(metric(MetricKind.SUM, Temporality.UNSPECIFIED, true, "x", "", point(0, S, 1))));

      assertThat(acc.rejectedPoints(RejectReason.UNKNOWN_TEMPORALITY)).isEqualTo(1);
    }

    @Test
    void idleSeriesExpireWithTheirWriters() {
      acc = new MetricAccumulator("p", config(100, Duration.ofDays(7)), clock);
      acc.apply(batch(cumulativeCounter(TOKENS, point(S, 2 * S, 5, "type", "input"))));
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
      clock.advance(Duration.ofDays(6));
      acc.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 1))));
      clock.advance(Duration.ofDays(1).plusSeconds(1));

      assertThat(acc.expireIdle()).isEqualTo(1);

      assertThat(names(acc)).containsExactly("x");
      assertThat(acc.seriesCount()).isEqualTo(1);
      assertThat(acc.writerCount()).isZero();
      // The writer comes back after its series expired: a new series, counted from its start.
      acc.apply(batch(cumulativeCounter(TOKENS, point(S, 9 * S, 6, "type", "input"))));
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(6);
    }

    @Test
    void snapshotsAreIndependentOfLaterUpdates() {
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
      var before = acc.snapshot();
      acc.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 1))));

      CounterSnapshot c = (CounterSnapshot) before.get(0);
      assertThat(c.getDataPoints().get(0).getValue()).isEqualTo(1);
      assertThat(c.getDataPoints().get(0).getLabels().isEmpty()).isTrue();
    }
  }

  @Nested
  class Summaries {
    private SummaryPoint summary(long start, long end, long count, double sum, double p50, double p99, Object... attributes) {
      return new SummaryPoint(Attributes.of(attributes), start, end, count, sum,
          List.of(new SummaryPoint.Quantile(0.99, p99), new SummaryPoint.Quantile(0.5, p50)), 0);
    }

    private Metric summaries(SummaryPoint... points) {
      return metric(MetricKind.SUMMARY, Temporality.UNSPECIFIED, false, "rpc.duration", "s", points);
    }

    private SummarySnapshot.SummaryDataPointSnapshot only() {
      SummarySnapshot s = (SummarySnapshot) family(acc, "rpc_duration_seconds");
      assertThat(s.getDataPoints()).hasSize(1);
      return s.getDataPoints().get(0);
    }

    @Test
    void countAndSumAddUpPerWriterAndQuantilesAreTheNewestPoints() {
      acc.apply(batch(summaries(
          summary(S, 10 * S, 4, 2.0, 0.4, 0.9, "session.id", "a"),
          summary(5 * S, 12 * S, 2, 1.0, 0.3, 0.6, "session.id", "b"))));
      acc.apply(batch(summaries(summary(S, 20 * S, 6, 3.5, 0.45, 1.2, "session.id", "a"))));

      SummarySnapshot.SummaryDataPointSnapshot p = only();
      assertThat(p.getCount()).isEqualTo(8);
      assertThat(p.getSum()).isEqualTo(4.5);
      assertThat(p.getQuantiles().get(0).getQuantile()).isEqualTo(0.5);
      assertThat(p.getQuantiles().get(0).getValue()).isEqualTo(0.45);
      assertThat(p.getQuantiles().get(1).getValue()).isEqualTo(1.2);
    }

    @Test
    void aRestartKeepsWhatWasCountedARepeatAndAnOlderPointChangeNothing() {
      acc.apply(batch(summaries(summary(S, 10 * S, 4, 2.0, 0.4, 0.9))));
      acc.apply(batch(summaries(summary(S, 10 * S, 4, 2.0, 0.4, 0.9))));
      acc.apply(batch(summaries(summary(S, 5 * S, 1, 0.5, 0.5, 0.5))));
      acc.apply(batch(summaries(summary(S, 20 * S, 1, 0.25, 0.25, 0.25)))); // restarted: count fell

      SummarySnapshot.SummaryDataPointSnapshot p = only();
      assertThat(p.getCount()).isEqualTo(5);
      assertThat(p.getSum()).isEqualTo(2.25);
      assertThat(p.getQuantiles().get(0).getValue()).isEqualTo(0.25);
      assertThat(acc.duplicatePoints()).isEqualTo(1);
      assertThat(acc.stalePoints()).isEqualTo(1);
    }

    @Test
    void quantilesOutsideZeroToOneAreRefused() {
      SummaryPoint bad = new SummaryPoint(Attributes.empty(), S, 2 * S, 1, 1, List.of(new SummaryPoint.Quantile(1.5, 1)), 0);
      Refusals r = acc.apply(batch(summaries(bad)));

      assertThat(r.count(RejectReason.INVALID_VALUE)).isEqualTo(1);
      assertThat(acc.snapshot()).isEmpty();
    }

    @Test
    void anAttributeNamedQuantileIsRenamed() {
      acc.apply(batch(summaries(summary(S, 2 * S, 1, 1, 1, 1, "quantile", "x"))));

      assertThat((Object) only().getLabels()).isEqualTo(io.prometheus.metrics.model.snapshots.Labels.of("exported_quantile", "x"));
    }
  }

  @Nested
  class SeriesCaps {
    @Test
    void theCapPerMetricRefusesNewSeriesOfThatMetricOnly() {
      acc = new MetricAccumulator("p", base().maxSeries(100).maxSeriesPerMetric(2).build(), clock);
      Refusals r = acc.apply(batch(
          deltaCounter("x", point(S, 2 * S, 1, "k", "a"), point(S, 2 * S, 1, "k", "b"), point(S, 2 * S, 1, "k", "c"),
              point(S, 2 * S, 1, "k", "d")),
          deltaCounter("y", point(S, 2 * S, 1, "k", "a"), point(S, 2 * S, 1, "k", "b"))));
      // Existing series keep taking points.
      Refusals later = acc.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 5, "k", "a"))));

      assertThat(r.total()).isEqualTo(2);
      assertThat(r.count(RejectReason.SERIES_LIMIT_PER_METRIC)).isEqualTo(2);
      assertThat(later.total()).isZero();
      assertThat(value(acc, "x", "k", "a")).isEqualTo(6);
      assertThat(seriesOf(acc, "x")).isEqualTo(2);
      assertThat(seriesOf(acc, "y")).isEqualTo(2);
      assertThat(acc.rejectedPoints(RejectReason.SERIES_LIMIT_PER_METRIC)).isEqualTo(2);
    }

    @Test
    void theGlobalCapCountsEverySeriesAndRefusedPointsAreNotRemembered() {
      acc = new MetricAccumulator("p", base().maxSeries(1).build(), clock);
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1, "k", "a"))));
      Metric refused = deltaCounter("y", point(S, 2 * S, 7));
      assertThat(acc.apply(batch(refused)).count(RejectReason.SERIES_LIMIT)).isEqualTo(1);

      clock.advance(Duration.ofDays(8));
      acc.expireIdle(); // x was idle for longer than the default 7d
      // Room again: the refused point, sent again, is applied (it was never remembered).
      assertThat(acc.apply(batch(refused)).total()).isZero();
      assertThat(value(acc, "y")).isEqualTo(7);
    }

    @Test
    void aCumulativeWriterRefusedForTheCapCountsItsWholeValueOnceThereIsRoom() {
      acc = new MetricAccumulator("p", base().maxSeries(1).seriesIdleTimeout(Duration.ofHours(1)).build(), clock);
      acc.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
      acc.apply(batch(cumulativeCounter("c", point(S, 2 * S, 5))));
      clock.advance(Duration.ofHours(2));
      acc.expireIdle();
      acc.apply(batch(cumulativeCounter("c", point(S, 3 * S, 8))));

      assertThat(value(acc, "c")).isEqualTo(8);
    }
  }

  @Nested
  class LabelRules {
    private final Resource team = Resource.of(Attributes.of("team.id", "platform", "service.name", "claude-code"));

    private Metric sum(String name, Object... attributes) {
      return metric(team, MetricKind.SUM, Temporality.DELTA, true, name, "", point(S, 2 * S, 1, attributes));
    }

    @Test
    void theFirstMatchingRuleNarrowsTheGlobalLists() {
      acc = new MetricAccumulator("p", base()
          .labelRules(List.of(
              PrometheusExporterConfig.LabelRule.deny("claude_code.cost.usage", "model"),
              PrometheusExporterConfig.LabelRule.deny("claude_code.*", "user.id", "team.id"),
              PrometheusExporterConfig.LabelRule.deny("*", "type")))
          .build(), clock);
      acc.apply(batch(
          sum("claude_code.cost.usage", "model", "opus", "user.id", "u", "type", "t", "session.id", "s"),
          sum("claude_code.token.usage", "model", "opus", "user.id", "u", "type", "input", "session.id", "s"),
          sum("other.metric", "model", "opus", "user.id", "u", "type", "t", "session.id", "s")));

      // Only the first matching rule counts: cost keeps user.id and team.id, drops model.
      assertThat(value(acc, "claude_code_cost_usage_USD", "team_id", "platform", "type", "t", "user_id", "u")).isEqualTo(1);
      assertThat(value(acc, "claude_code_token_usage_tokens", "model", "opus", "type", "input")).isEqualTo(1);
      assertThat(value(acc, "other_metric", "model", "opus", "team_id", "platform", "user_id", "u")).isEqualTo(1);
    }

    @Test
    void aRuleAllowListKeepsOnlyItsKeysAndCannotBringBackAGloballyDeniedOne() {
      acc = new MetricAccumulator("p", base()
          .labelRules(List.of(PrometheusExporterConfig.LabelRule.allow("claude_code.token.usage", "type", "session.id")))
          .build(), clock);
      acc.apply(batch(
          sum("claude_code.token.usage", "model", "opus", "type", "input", "session.id", "s1"),
          sum("claude_code.token.usage", "model", "sonnet", "type", "input", "session.id", "s2")));

      assertThat(value(acc, "claude_code_token_usage_tokens", "type", "input")).isEqualTo(2);
    }

    @Test
    void aRuleWithoutListsExemptsAMetricFromTheRulesAfterIt() {
      acc = new MetricAccumulator("p", base()
          .labelDeny(List.of())
          .labelRules(List.of(
              new PrometheusExporterConfig.LabelRule("per.session", List.of(), List.of()),
              PrometheusExporterConfig.LabelRule.deny("*", "session.id")))
          .build(), clock);
      acc.apply(batch(sum("per.session", "session.id", "s1"), sum("other", "session.id", "s1")));

      assertThat(value(acc, "per_session", "session_id", "s1", "team_id", "platform")).isEqualTo(1);
      assertThat(value(acc, "other", "team_id", "platform")).isEqualTo(1);
    }

    @Test
    void globsMatchAnyRunOfCharactersOrOneCharacter() {
      assertThat(LabelPolicy.glob("claude_code.*").matcher("claude_code.token.usage").matches()).isTrue();
      assertThat(LabelPolicy.glob("claude_code.*").matcher("claude_codeXtoken").matches()).isFalse();
      assertThat(LabelPolicy.glob("a?c").matcher("abc").matches()).isTrue();
      assertThat(LabelPolicy.glob("a?c").matcher("abbc").matches()).isFalse();
      assertThat(LabelPolicy.glob("(x)+[y]*").matcher("(x)+[y]anything").matches()).isTrue();
      assertThat(LabelPolicy.glob("exact.name")).isNull();
    }
  }

  @Nested
  class TargetInfoAndScope {
    private final Resource laptop = Resource.of(Attributes.of(
        "service.name", "claude-code", "service.version", "2.1.328", "os.type", "linux", "session.id", "s"));
    private final Resource desktop = Resource.of(Attributes.of("service.name", "claude-code", "service.version", "2.1.329"));

    private Metric sum(Resource r, String name, long end) {
      return metric(r, MetricKind.SUM, Temporality.DELTA, true, name, "", point(S, end * S, 1, "type", "input"));
    }

    @Test
    void oneTargetInfoSeriesPerDistinctResourceWithoutDeniedAttributes() {
      acc = new MetricAccumulator("p", base().targetInfo(true).build(), clock);
      acc.apply(batch(sum(laptop, "a", 2), sum(laptop, "b", 2), sum(desktop, "a", 2)));
      acc.apply(batch(sum(Resource.of(Attributes.of("service.name", "claude-code", "service.version", "2.1.329")), "a", 3)));

      InfoSnapshot info = (InfoSnapshot) family(acc, "target");
      assertThat(info.getDataPoints()).extracting(p -> p.getLabels().toString()).containsExactlyInAnyOrder(
          "{os_type=\"linux\",service_name=\"claude-code\",service_version=\"2.1.328\"}",
          "{service_name=\"claude-code\",service_version=\"2.1.329\"}");
      // a{type="input"} (both resources' points add up there), b, and two target_info series.
      assertThat(acc.seriesCount()).isEqualTo(4);
    }

    @Test
    void targetInfoExpiresLikeOtherSeriesAndIsNotMadeByRefusedPoints() {
      acc = new MetricAccumulator("p", base().targetInfo(true).seriesIdleTimeout(Duration.ofHours(1)).build(), clock);
      acc.apply(batch(sum(laptop, "a", 2)));
      clock.advance(Duration.ofMinutes(50));
      acc.apply(batch(metric(desktop, MetricKind.SUM, Temporality.DELTA, true, "a", "", point(S, 2 * S, -1, "type", "input"))));
      assertThat(family(acc, "target").getDataPoints()).hasSize(1);
      clock.advance(Duration.ofMinutes(20));

      acc.expireIdle();

      assertThat(acc.snapshot()).isEmpty();
      assertThat(acc.seriesCount()).isZero();
    }

    @Test
    void scopeLabelsOnlyWhenAsked() {
      acc.apply(batch(sum(laptop, "a", 2)));
      assertThat(dataPoint(acc, "a", "type", "input")).isNotNull();

      acc = new MetricAccumulator("p", base().scopeLabels(true).build(), clock);
      acc.apply(batch(sum(laptop, "a", 2)));
      assertThat(value(acc, "a", "otel_scope_name", "com.anthropic.claude_code", "otel_scope_version", "2.1.328", "type", "input"))
          .isEqualTo(1);
    }
  }

  @Nested
  class Concurrency {
    @Test
    void manyThreadsApplyingOverlappingRetriesCountEachPointOnce() throws Exception {
      int threads = 8;
      int points = 2_000;
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        done.add(pool.submit(() -> {
          go.await();
          // Every thread sends every point (retries racing each other), in its own order.
          for (int i = 0; i < points; i++) {
            int k = (i * 7 + offset * 13) % points;
            acc.apply(batch(deltaCounter(TOKENS, point(k * S, (k + 1) * S, k + 0.5, "type", k % 2 == 0 ? "input" : "output"))));
          }
          return null;
        }));
      }
      go.countDown();
      for (var f : done) {
        f.get();
      }
      pool.shutdown();

      double even = 0;
      double odd = 0;
      for (int k = 0; k < points; k++) {
        if (k % 2 == 0) {
          even += k + 0.5;
        } else {
          odd += k + 0.5;
        }
      }
      assertThat(value(acc, TOKENS_PROM, "type", "input")).isEqualTo(even);
      assertThat(value(acc, TOKENS_PROM, "type", "output")).isEqualTo(odd);
      assertThat(acc.duplicatePoints()).isEqualTo((long) (threads - 1) * points);
    }
  }
}

package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.RESOURCE;
import static io.ccotel.gateway.exporters.prometheus.Points.SCOPE;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.exporters.TestClock;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exposition of a counter, a gauge, a histogram, a summary and target_info, byte for byte, in
 * both text formats.
 */
class ExpositionGoldenTest {
  private static final long S = 1_000_000_000L;
  private final MetricAccumulator acc =
      new MetricAccumulator("prometheus", PrometheusExporterConfig.defaults(), TestClock.at("2026-11-25T12:00:00Z"));

  private static Metric metric(String name, String description, String unit, MetricKind kind, Temporality t, boolean monotonic, DataPoint... points) {
    return new Metric(RESOURCE, SCOPE, name, description, unit, kind, t, monotonic, List.of(points));
  }

  @BeforeEach
  void fill() {
    acc.apply(new MetricsBatch(List.of(
        metric("claude_code.cost.usage", "Cost of the Claude Code session", "USD", MetricKind.SUM, Temporality.DELTA, true,
            point(S, 2 * S, 0.5, "session.id", "s1", "model", "claude-opus-5-5"),
            point(S, 2 * S, 2, "session.id", "s1", "model", "x")),
        metric("queue.depth", "Items \"waiting\"\nnow\\", "{items}", MetricKind.GAUGE, Temporality.UNSPECIFIED, false,
            point(0, 2 * S, 3, "q", "a b\"c\\")),
        metric("tool.duration", "Tool duration", "s", MetricKind.HISTOGRAM, Temporality.DELTA, true,
            histogramPoint(S, 2 * S, List.of(0.1, 1.0), List.of(1L, 2L, 3L), 3.5, "tool", "Bash")),
        metric("rpc.duration", "RPC duration", "s", MetricKind.SUMMARY, Temporality.UNSPECIFIED, false,
            new SummaryPoint(Attributes.of("method", "get"), S, 2 * S, 7, 12.5,
                List.of(new SummaryPoint.Quantile(0.5, 1.5), new SummaryPoint.Quantile(0.99, 3)), 0)))));
  }

  private String write(String accept) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ExpositionFormats.init().findWriter(accept).write(out, new MetricSnapshots(acc.snapshot()));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void prometheusText004() throws IOException {
    assertThat(write("text/plain; version=0.0.4")).isEqualTo("""
        # HELP claude_code_cost_usage_USD_total Cost of the Claude Code session
        # TYPE claude_code_cost_usage_USD_total counter
        claude_code_cost_usage_USD_total{model="claude-opus-5-5"} 0.5
        claude_code_cost_usage_USD_total{model="x"} 2.0
        # HELP queue_depth Items "waiting"\\nnow\\\\
        # TYPE queue_depth gauge
        queue_depth{q="a b\\"c\\\\"} 3.0
        # HELP rpc_duration_seconds RPC duration
        # TYPE rpc_duration_seconds summary
        rpc_duration_seconds{method="get",quantile="0.5"} 1.5
        rpc_duration_seconds{method="get",quantile="0.99"} 3.0
        rpc_duration_seconds_count{method="get"} 7
        rpc_duration_seconds_sum{method="get"} 12.5
        # HELP target_info Target metadata
        # TYPE target_info gauge
        target_info{service_name="claude-code",service_version="2.1.328"} 1
        # HELP tool_duration_seconds Tool duration
        # TYPE tool_duration_seconds histogram
        tool_duration_seconds_bucket{tool="Bash",le="0.1"} 1
        tool_duration_seconds_bucket{tool="Bash",le="1.0"} 3
        tool_duration_seconds_bucket{tool="Bash",le="+Inf"} 6
        tool_duration_seconds_count{tool="Bash"} 6
        tool_duration_seconds_sum{tool="Bash"} 3.5
        """);
  }

  @Test
  void openMetrics100() throws IOException {
    assertThat(write("application/openmetrics-text; version=1.0.0; charset=utf-8")).isEqualTo("""
        # TYPE claude_code_cost_usage_USD counter
        # UNIT claude_code_cost_usage_USD USD
        # HELP claude_code_cost_usage_USD Cost of the Claude Code session
        claude_code_cost_usage_USD_total{model="claude-opus-5-5"} 0.5
        claude_code_cost_usage_USD_total{model="x"} 2.0
        # TYPE queue_depth gauge
        # HELP queue_depth Items \\"waiting\\"\\nnow\\\\
        queue_depth{q="a b\\"c\\\\"} 3.0
        # TYPE rpc_duration_seconds summary
        # UNIT rpc_duration_seconds seconds
        # HELP rpc_duration_seconds RPC duration
        rpc_duration_seconds{method="get",quantile="0.5"} 1.5
        rpc_duration_seconds{method="get",quantile="0.99"} 3.0
        rpc_duration_seconds_count{method="get"} 7
        rpc_duration_seconds_sum{method="get"} 12.5
        # TYPE target info
        # HELP target Target metadata
        target_info{service_name="claude-code",service_version="2.1.328"} 1
        # TYPE tool_duration_seconds histogram
        # UNIT tool_duration_seconds seconds
        # HELP tool_duration_seconds Tool duration
        tool_duration_seconds_bucket{tool="Bash",le="0.1"} 1
        tool_duration_seconds_bucket{tool="Bash",le="1.0"} 3
        tool_duration_seconds_bucket{tool="Bash",le="+Inf"} 6
        tool_duration_seconds_count{tool="Bash"} 6
        tool_duration_seconds_sum{tool="Bash"} 3.5
        # EOF
        """);
  }
}

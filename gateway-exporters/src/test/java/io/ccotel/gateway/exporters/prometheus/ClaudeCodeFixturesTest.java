package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The exporter fed with payloads the real CLI sent (shared/fixtures/claude-code). */
class ClaudeCodeFixturesTest {
  private static final String USER =
      "9b453e4659fc933008e8f3096895033dc8fc9d9956f91da836f36e3103012180";
  private static final String COMMON =
      "anthropic_custom_base_url=\"true\",anthropic_provider=\"firstParty\"";

  /** Prometheus names of the Claude Code metrics, written out independently of the code. */
  private static final Map<String, String> NAMES =
      Map.of(
          "claude_code.session.count", "claude_code_session_count_total",
          "claude_code.token.usage", "claude_code_token_usage_tokens_total",
          "claude_code.cost.usage", "claude_code_cost_usage_USD_total",
          "claude_code.lines_of_code.count", "claude_code_lines_of_code_count_total",
          "claude_code.commit.count", "claude_code_commit_count_total",
          "claude_code.pull_request.count", "claude_code_pull_request_count_total",
          "claude_code.active_time.total", "claude_code_active_time_seconds_total",
          "claude_code.code_edit_tool.decision", "claude_code_code_edit_tool_decision_total");

  private final TestClock clock = TestClock.at("2026-11-25T12:41:03Z");
  private final PrometheusExporter exporter =
      new PrometheusExporter(
          new ExporterSettings("prometheus", GatewayMetrics.noop(), clock), PrometheusExporterConfig.defaults());

  @Test
  void basicRunGivesTheExactSeriesWithoutSessionLabels() {
    exporter.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));
    String text = exporter.scrape("text/plain");

    String tokens = "claude_code_token_usage_tokens_total{" + COMMON
        + ",effort=\"medium\",model=\"claude-opus-5-5\",query_source=\"main\",terminal_type=\"dumb\",type=\"%s\",user_id=\"" + USER + "\"} %s";
    String base = COMMON + ",terminal_type=\"dumb\"";
    assertThat(sampleLines(text, "claude_code_")).containsExactlyInAnyOrder(
        "claude_code_active_time_seconds_total{" + base + ",type=\"cli\",user_id=\"" + USER + "\"} 0.776",
        "claude_code_code_edit_tool_decision_total{" + COMMON + ",decision=\"accept\",language=\"Plain text\",source=\"config\",terminal_type=\"dumb\",tool_name=\"Edit\",user_id=\"" + USER + "\"} 1.0",
        "claude_code_code_edit_tool_decision_total{" + COMMON + ",decision=\"reject\",language=\"Plain text\",source=\"config\",terminal_type=\"dumb\",tool_name=\"Write\",user_id=\"" + USER + "\"} 1.0",
        "claude_code_commit_count_total{" + base + ",user_id=\"" + USER + "\"} 1.0",
        "claude_code_cost_usage_USD_total{" + COMMON + ",effort=\"medium\",model=\"claude-opus-5-5\",query_source=\"main\",terminal_type=\"dumb\",user_id=\"" + USER + "\"} 0.11568240000000002",
        "claude_code_lines_of_code_count_total{" + COMMON + ",model=\"claude-opus-5-5\",terminal_type=\"dumb\",type=\"added\",user_id=\"" + USER + "\"} 3.0",
        "claude_code_lines_of_code_count_total{" + COMMON + ",model=\"claude-opus-5-5\",terminal_type=\"dumb\",type=\"removed\",user_id=\"" + USER + "\"} 1.0",
        "claude_code_pull_request_count_total{" + base + ",user_id=\"" + USER + "\"} 1.0",
        "claude_code_session_count_total{" + COMMON + ",start_type=\"fresh\",terminal_type=\"dumb\",user_id=\"" + USER + "\"} 1.0",
        String.format(tokens, "cacheCreation", "16828.0"),
        String.format(tokens, "cacheRead", "98252.0"),
        String.format(tokens, "input", "1008.0"),
        String.format(tokens, "output", "393.0"));
    assertThat(text)
        .contains("# HELP claude_code_cost_usage_USD_total Cost of the Claude Code session\n"
            + "# TYPE claude_code_cost_usage_USD_total counter\n")
        .doesNotContain("session_id")
        .doesNotContain("ed1d3fc4");
    assertThat(exporter.seriesCount()).isEqualTo(14); // and target_info
  }

  @Test
  void basicRunInOpenMetricsHasUnitsAndTotals() {
    exporter.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));
    String om = exporter.scrape("application/openmetrics-text; version=1.0.0");

    assertThat(om)
        .contains("# TYPE claude_code_cost_usage_USD counter\n# UNIT claude_code_cost_usage_USD USD\n")
        .contains("# TYPE claude_code_token_usage_tokens counter\n# UNIT claude_code_token_usage_tokens tokens\n")
        .contains("# TYPE claude_code_active_time_seconds counter\n# UNIT claude_code_active_time_seconds seconds\n")
        .contains("# TYPE claude_code_session_count counter\n# HELP claude_code_session_count Count of CLI sessions started\n")
        .endsWith("# EOF\n");
    assertThat(sampleLines(om, "claude_code_")).isEqualTo(sampleLines(exporter.scrape("text/plain"), "claude_code_"));
  }

  @Test
  void aRetriedRequestIsAppliedOnce() {
    MetricsBatch batch = Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin");
    exporter.export(batch);
    exporter.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));

    assertThat(samples(exporter.scrape(null)).get(
        "claude_code_cost_usage_USD_total{" + COMMON + ",effort=\"medium\",model=\"claude-opus-5-5\",query_source=\"main\",terminal_type=\"dumb\",user_id=\"" + USER + "\"}"))
        .isEqualTo(0.11568240000000002);
    assertThat(exporter.accumulator().duplicatePoints()).isEqualTo(13);
    assertThat(exporter.scrape(null)).contains("gateway_prometheus_duplicate_points_total{exporter=\"prometheus\"} 13.0");
  }

  @Test
  void cumulativeRunTotalsEqualTheLastCumulativeValues() {
    List<MetricsBatch> requests = Fixtures.allMetrics("http-protobuf/cumulative");
    assertThat(requests).hasSize(12);
    assertThat(requests.get(0).metrics().get(0).temporality()).isEqualTo(Temporality.CUMULATIVE);

    Map<String, Double> last = new LinkedHashMap<>();
    for (MetricsBatch b : requests) {
      exporter.export(b);
      for (Metric m : b.metrics()) {
        for (DataPoint p : m.points()) {
          last.put(expectedKey(m, p), ((NumberPoint) p).value());
        }
      }
    }

    Map<String, Double> actual = samples(exporter.scrape(null));
    assertThat(filter(actual)).isEqualTo(last);
    assertScenarioTotals(actual);
  }

  @Test
  void cadenceDeltaRunTotalsEqualTheSumOfTheDeltas() {
    List<MetricsBatch> requests = Fixtures.allMetrics("http-protobuf/cadence-delta");
    assertThat(requests).hasSize(8);
    assertThat(requests.get(0).metrics().get(0).temporality()).isEqualTo(Temporality.DELTA);

    Map<String, Double> sums = new LinkedHashMap<>();
    for (MetricsBatch b : requests) {
      exporter.export(b);
      for (Metric m : b.metrics()) {
        for (DataPoint p : m.points()) {
          sums.merge(expectedKey(m, p), ((NumberPoint) p).value(), Double::sum);
        }
      }
    }

    Map<String, Double> actual = samples(exporter.scrape(null));
    assertThat(filter(actual)).isEqualTo(sums);
    assertScenarioTotals(actual);
  }

  /** The scenario's totals (fixtures README): 7 model calls, one edit, commit and PR. */
  private static void assertScenarioTotals(Map<String, Double> samples) {
    assertThat(total(samples, "claude_code_token_usage_tokens_total", "type=\"input\"")).isEqualTo(1008);
    assertThat(total(samples, "claude_code_token_usage_tokens_total", "type=\"output\"")).isEqualTo(393);
    assertThat(total(samples, "claude_code_token_usage_tokens_total", "type=\"cacheRead\"")).isEqualTo(98252);
    assertThat(total(samples, "claude_code_token_usage_tokens_total", "type=\"cacheCreation\"")).isEqualTo(16828);
    assertThat(total(samples, "claude_code_lines_of_code_count_total", "type=\"added\"")).isEqualTo(3);
    assertThat(total(samples, "claude_code_lines_of_code_count_total", "type=\"removed\"")).isEqualTo(1);
    assertThat(total(samples, "claude_code_commit_count_total", "")).isEqualTo(1);
    assertThat(total(samples, "claude_code_pull_request_count_total", "")).isEqualTo(1);
    assertThat(total(samples, "claude_code_code_edit_tool_decision_total", "")).isEqualTo(2);
    assertThat(total(samples, "claude_code_session_count_total", "")).isEqualTo(1);
    assertThat(total(samples, "claude_code_cost_usage_USD_total", "")).isCloseTo(0.1156824, org.assertj.core.data.Offset.offset(1e-12));
  }

  private static double total(Map<String, Double> samples, String name, String label) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().startsWith(name + "{") && e.getKey().contains(label))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  /**
   * The series key the exposition should show for a point: its Prometheus name and its labels
   * (attributes minus the default deny list, dots to underscores, sorted), built here by hand.
   */
  private static String expectedKey(Metric m, DataPoint p) {
    Attributes a = p.attributes();
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < a.size(); i++) {
      if (!PrometheusExporterConfig.DEFAULT_LABEL_DENY.contains(a.key(i))) {
        labels.put(a.key(i).replace('.', '_'), Attributes.valueToString(a.value(i)));
      }
    }
    return NAMES.get(m.name())
        + labels.entrySet().stream()
            .map(e -> e.getKey() + "=\"" + e.getValue() + "\"")
            .collect(Collectors.joining(",", "{", "}"));
  }

  private static Map<String, Double> filter(Map<String, Double> samples) {
    Map<String, Double> out = new LinkedHashMap<>();
    samples.forEach((k, v) -> {
      if (k.startsWith("claude_code_")) {
        out.put(k, v);
      }
    });
    return out;
  }

  static List<String> sampleLines(String exposition, String prefix) {
    return exposition.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  /** Sample lines of a text exposition: series (name and labels as printed) to value. */
  static Map<String, Double> samples(String exposition) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : exposition.lines().toList()) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      if (!series.contains("{")) {
        series = series + "{}";
      }
      out.put(series, Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }
}

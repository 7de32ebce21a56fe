package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Resolved;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricNamesTest {

  // Whatever unit string a CLI version sends, the names are what the dashboards query.
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "claude_code.session.count          | ''     | claude_code_session_count_total",
        "claude_code.session.count          | count  | claude_code_session_count_total",
        "claude_code.token.usage            | tokens | claude_code_token_usage_tokens_total",
        "claude_code.token.usage            | ''     | claude_code_token_usage_tokens_total",
        "claude_code.cost.usage             | USD    | claude_code_cost_usage_USD_total",
        "claude_code.cost.usage             | ''     | claude_code_cost_usage_USD_total",
        "claude_code.lines_of_code.count    | lines  | claude_code_lines_of_code_count_total",
        "claude_code.lines_of_code.count    | count  | claude_code_lines_of_code_count_total",
        "claude_code.commit.count           | ''     | claude_code_commit_count_total",
        "claude_code.pull_request.count     | count  | claude_code_pull_request_count_total",
        "claude_code.active_time.total      | s      | claude_code_active_time_seconds_total",
        "claude_code.active_time.total      | ''     | claude_code_active_time_seconds_total",
        "claude_code.code_edit_tool.decision| ''     | claude_code_code_edit_tool_decision_total",
      })
  void claudeCodeCountersHaveTheirDashboardNames(String otlp, String unit, String expected) {
    assertThat(MetricNames.resolve(Kind.COUNTER, otlp.trim(), unit, true).expositionName()).isEqualTo(expected);
    assertThat(MetricNames.resolve(Kind.COUNTER, otlp.trim(), unit, false).expositionName()).isEqualTo(expected);
  }

  @Test
  void claudeCodeUnitsAreUnitMetadataWhenTheNameEndsWithThem() {
    assertThat(MetricNames.resolve(Kind.COUNTER, "claude_code.cost.usage", "USD", true).unit()).hasToString("USD");
    assertThat(MetricNames.resolve(Kind.COUNTER, "claude_code.token.usage", "tokens", true).unit()).hasToString("tokens");
    assertThat(MetricNames.resolve(Kind.COUNTER, "claude_code.active_time.total", "s", true).unit()).hasToString("seconds");
    assertThat(MetricNames.resolve(Kind.COUNTER, "claude_code.lines_of_code.count", "lines", true).unit()).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // kind     | OTLP name                 | unit          | exposition name
        "COUNTER    | http.server.requests      | ''            | http_server_requests_total",
        "COUNTER    | http.server.requests      | {request}     | http_server_requests_total",
        "COUNTER    | http.server.requests      | 1             | http_server_requests_total",
        "COUNTER    | requests_total            | ''            | requests_total",
        "COUNTER    | process.cpu.time          | s             | process_cpu_time_seconds_total",
        "COUNTER    | process.cpu.time.total    | s             | process_cpu_time_seconds_total",
        "COUNTER    | network.io                | By            | network_io_bytes_total",
        "COUNTER    | spend                     | USD           | spend_USD_total",
        "COUNTER    | spend_USD                 | USD           | spend_USD_total",
        "GAUGE      | system.cpu.utilization    | 1             | system_cpu_utilization_ratio",
        "GAUGE      | disk.usage                | %             | disk_usage_percent",
        "GAUGE      | throughput                | By/s          | throughput_bytes_per_second",
        "GAUGE      | rate                      | 1/s           | rate_per_second",
        "GAUGE      | queue.depth               | {items}       | queue_depth",
        "GAUGE      | temperature               | Cel           | temperature_celsius",
        "GAUGE      | jobs_total                | ''            | jobs_total",
        "HISTOGRAM  | http.server.duration      | ms            | http_server_duration_milliseconds",
        "HISTOGRAM  | latency_seconds           | s             | latency_seconds",
        "HISTOGRAM  | payload                   | KiBy          | payload_kibibytes",
        "GAUGE      | 9lives                    | ''            | _9lives",
        "GAUGE      | a..b--c                   | ''            | a_b_c",
        "GAUGE      | ns:metric.name            | ''            | ns:metric_name",
        "GAUGE      | größe                     | ''            | gr_e",
      })
  void genericNamesFollowTheCompatibilityRules(Kind kind, String otlp, String unit, String expected) {
    Resolved r = MetricNames.resolve(kind, otlp.trim(), unit.trim(), true);
    assertThat(r.expositionName()).isEqualTo(expected);
  }

  @Test
  void unitSuffixesCanBeTurnedOff() {
    assertThat(MetricNames.resolve(Kind.HISTOGRAM, "http.server.duration", "ms", false).expositionName())
        .isEqualTo("http_server_duration");
    assertThat(MetricNames.resolve(Kind.HISTOGRAM, "http.server.duration", "ms", false).unit()).isNull();
    // A name that already ends with the unit keeps its UNIT metadata.
    assertThat(MetricNames.resolve(Kind.HISTOGRAM, "latency_seconds", "s", false).unit()).hasToString("seconds");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "anthropic.provider        | anthropic_provider",
        "anthropic.custom_base_url | anthropic_custom_base_url",
        "user.id                   | user_id",
        "a-b.c d                   | a_b_c_d",
        "1abc                      | _1abc",
        "__name__                  | _name_",
        "a..b                      | a_b",
        "ns:key                    | ns_key",
        "already_fine              | already_fine",
      })
  void labelNamesAreSanitized(String key, String expected) {
    assertThat(MetricNames.sanitizeLabelName(key.trim())).isEqualTo(expected);
  }
}

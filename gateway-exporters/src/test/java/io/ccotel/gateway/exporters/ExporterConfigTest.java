package io.ccotel.gateway.exporters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.console.ConsoleExporter;
import io.ccotel.gateway.exporters.console.ConsoleExporterConfig;
import io.ccotel.gateway.exporters.console.ConsoleExporterFactory;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ExporterConfigTest {
  private static final String FULL = "/config/exporters-full.yaml";
  private static final String EMPTY = "/config/exporters-empty.yaml";
  private static final String BAD = "/config/exporters-bad.yaml";

  private final PrometheusExporterFactory prometheus = new PrometheusExporterFactory();
  private final ConsoleExporterFactory console = new ConsoleExporterFactory();

  @Test
  void prometheusDefaults() {
    PrometheusExporterConfig c = prometheus.defaultConfig();

    assertThat(prometheus.type()).isEqualTo("prometheus");
    assertThat(c.endpoint()).isEqualTo(HostPort.of("0.0.0.0", 9464));
    assertThat(c.path()).isEqualTo("/metrics");
    assertThat(c.labelDeny()).containsExactly(
        "session.id", "prompt.id", "request_id", "client_request_id", "message.uuid", "tool_use_id", "event.sequence");
    assertThat(c.labelAllow()).isEmpty();
    assertThat(c.resourceLabels()).containsExactly("department", "team.id", "cost_center", "organization.id");
    assertThat(c.addUnitSuffixes()).isTrue();
    assertThat(c.labelRules()).isEmpty();
    assertThat(c.scopeLabels()).isFalse();
    assertThat(c.targetInfo()).isTrue();
    assertThat(c.maxSeries()).isEqualTo(100_000);
    assertThat(c.maxSeriesPerMetric()).isEqualTo(20_000);
    assertThat(c.seriesIdleTimeout()).isEqualTo(Duration.ofDays(7));
    assertThat(c.stateFile()).isEqualTo("data/prometheus.state");
    assertThat(c.stateCheckpointInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(prometheus.parseConfig(YamlConfig.section(EMPTY, "prometheus"))).isEqualTo(c);
  }

  @Test
  void prometheusEveryKey() {
    PrometheusExporterConfig c = prometheus.parseConfig(YamlConfig.section(FULL, "prometheus/team"));

    assertThat(c).isEqualTo(new PrometheusExporterConfig(
        HostPort.of("127.0.0.1", 0), "/team/metrics", List.of("session.id", "user.id"), List.of("model", "type", "team.id"),
        List.of(
            PrometheusExporterConfig.LabelRule.deny("claude_code.cost.usage", "type"),
            PrometheusExporterConfig.LabelRule.allow("claude_code.*", "model", "team.id"),
            new PrometheusExporterConfig.LabelRule("*", List.of(), List.of())),
        List.of("team.id"), true, false, false, 500, 50, Duration.ofHours(12), "/var/lib/gateway/team.state",
        Duration.ofMinutes(5)));
    PrometheusExporterConfig memory = prometheus.parseConfig(YamlConfig.section(FULL, "prometheus/memory"));
    assertThat(memory.stateFile()).isEmpty();
    assertThat(memory.stateCheckpointInterval()).isZero();
    assertThat(memory).isEqualTo(PrometheusExporterConfig.builder().stateFile("").stateCheckpointInterval(Duration.ZERO).build());
    Exporter e = prometheus.create(new ExporterSettings("prometheus/team", GatewayMetrics.noop(), Clock.systemUTC()), c);
    assertThat(e).isInstanceOf(PrometheusExporter.class);
    assertThat(e.id()).isEqualTo("prometheus/team");
    e.shutdown(Duration.ZERO);
  }

  @Test
  void consoleDefaultsAndEveryKey() {
    assertThat(console.type()).isEqualTo("console");
    assertThat(console.defaultConfig())
        .isEqualTo(new ConsoleExporterConfig(ConsoleExporterConfig.Format.TEXT, ConsoleExporterConfig.Output.STDOUT))
        .isEqualTo(console.parseConfig(YamlConfig.section(EMPTY, "console")));
    ConsoleExporterConfig c = console.parseConfig(YamlConfig.section(FULL, "console/json"));
    assertThat(c).isEqualTo(new ConsoleExporterConfig(ConsoleExporterConfig.Format.JSON, ConsoleExporterConfig.Output.STDERR));
    Exporter e = console.create(new ExporterSettings("console/json", GatewayMetrics.noop(), Clock.systemUTC()), c);
    assertThat(e).isInstanceOf(ConsoleExporter.class);
    assertThat(e.supportedSignals()).containsExactlyInAnyOrder(Signal.METRICS, Signal.LOGS, Signal.TRACES);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "prometheus/misspelt   | exporters.prometheus/misspelt.label_denny: unknown key; known keys here: add_unit_suffixes, endpoint, label_allow, label_deny, label_rules, max_series, max_series_per_metric, path, resource_labels, scope_labels, series_idle_timeout, state_checkpoint_interval, state_file, target_info",
        "prometheus/endpoint   | exporters.prometheus/endpoint.endpoint: expected host:port such as 0.0.0.0:4317, got \"9464x\"",
        "prometheus/path       | exporters.prometheus/path.path: must start with '/', got \"metrics\"",
        "prometheus/max_series | exporters.prometheus/max_series.max_series: must be between 1 and 100000000, got 0",
        "prometheus/idle       | exporters.prometheus/idle.series_idle_timeout: expected a duration such as 500ms, 30s, 5m, 24h or 7d, got \"a week\"",
        "prometheus/deny       | exporters.prometheus/deny.label_deny: expected a list such as [a, b], got \"session.id\"",
        "prometheus/empty_key  | exporters.prometheus/empty_key.label_allow[1]: an attribute key must not be empty",
        "prometheus/rules_not_list     | exporters.prometheus/rules_not_list.label_rules: expected a list of rules such as [{metrics: \"claude_code.*\", deny: [user.email]}], got a mapping",
        "prometheus/rule_not_mapping   | exporters.prometheus/rule_not_mapping.label_rules[2]: expected a mapping such as {metrics: \"claude_code.*\", deny: [user.email]}, got \"claude_code.*\"",
        "prometheus/rule_no_metrics    | exporters.prometheus/rule_no_metrics.label_rules[2].metrics: is required",
        "prometheus/rule_blank_metrics | exporters.prometheus/rule_blank_metrics.label_rules[2].metrics: expected an OTLP metric name or a glob such as claude_code.*, got \"claude code.*\"",
        "prometheus/rule_misspelt      | exporters.prometheus/rule_misspelt.label_rules[2].denny: unknown key; known keys here: allow, deny, metrics",
        "prometheus/rule_empty_key     | exporters.prometheus/rule_empty_key.label_rules[2].allow[1]: an attribute key must not be empty",
        "prometheus/rule_metrics_list  | exporters.prometheus/rule_metrics_list.label_rules[2].metrics: expected a single value, got a list",
        "prometheus/per_metric         | exporters.prometheus/per_metric.max_series_per_metric: must be between 1 and 100000000, got -1",
        "prometheus/checkpoint         | exporters.prometheus/checkpoint.state_checkpoint_interval: must be 0s (save only at shutdown) or at least 1s, got 500ms",
        "prometheus/target_info        | exporters.prometheus/target_info.target_info: expected true or false, got \"sometimes\"",
      })
  void badPrometheusSectionsNameTheKey(String id, String message) {
    assertThatThrownBy(() -> prometheus.parseConfig(YamlConfig.section(BAD, id.trim())))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message.trim());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "console/format   | exporters.console/format.format: expected one of text, json, got \"xml\"",
        "console/output   | exporters.console/output.output: expected one of stdout, stderr, got \"/dev/tty\"",
        "console/misspelt | exporters.console/misspelt.formats: unknown key; known keys here: format, output",
      })
  void badConsoleSectionsNameTheKey(String id, String message) {
    assertThatThrownBy(() -> console.parseConfig(YamlConfig.section(BAD, id.trim())))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message.trim());
  }
}

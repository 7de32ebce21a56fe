package io.ccotel.gateway.exporters.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleExporterTest {
  private static final String LOGS = "http-protobuf/basic/0001-http-logs.bin";
  private static final String METRICS = "http-protobuf/basic/0002-http-metrics.bin";
  private static final long T = 1_795_610_462_515_000_000L; // 2026-11-25T12:41:02.515Z

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final TestClock clock = TestClock.at("2026-11-25T13:00:00Z");
  private final ObjectMapper json = new ObjectMapper();

  private ConsoleExporter exporter(ConsoleExporterConfig.Format format) {
    return new ConsoleExporter("console", new ConsoleExporterConfig(format, ConsoleExporterConfig.Output.STDOUT), out, clock);
  }

  private List<String> lines() {
    return bytes.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void textHasOneReadableLinePerEvent() {
    exporter(ConsoleExporterConfig.Format.TEXT).export(Fixtures.logs(LOGS));

    List<String> lines = lines();
    assertThat(lines).hasSize(30);
    assertThat(lines.get(0)).isEqualTo(
        "2026-11-25T12:41:02.091Z managed_settings_resolved session=ed1d3fc4 managed_settings.trigger=startup"
            + " managed_settings.sources=[] managed_settings.source_behavior=first-wins managed_settings.helper.state=none"
            + " managed_settings.helper.applied=none");
    assertThat(lines.get(1)).isEqualTo(
        "2026-11-25T12:41:02.155Z plugin_loaded session=ed1d3fc4 plugin.name=cc-plugin-agents-md marketplace.name=builtin"
            + " plugin.scope=default-bundle enabled_via=default-enable plugin_id_hash=da63145d0acbb62d has_hooks=true");
    assertThat(lines).containsSubsequence(
        "2026-11-25T12:41:02.332Z user_prompt session=ed1d3fc4 prompt_length=68",
        "2026-11-25T12:41:02.501Z tool_decision session=ed1d3fc4 tool_name=Bash decision=accept source=config",
        "2026-11-25T12:41:02.515Z api_request session=ed1d3fc4 model=claude-opus-5-5 cost_usd=0.0143108"
            + " tokens in=111 out=58 cache_read=11009 cache_creation=2101 duration_ms=92",
        "2026-11-25T12:41:02.516Z assistant_response session=ed1d3fc4 model=claude-opus-5-5 response_length=19",
        "2026-11-25T12:41:02.609Z tool_result session=ed1d3fc4 tool_name=Bash success=true duration_ms=106",
        "2026-11-25T12:41:02.968Z tool_decision session=ed1d3fc4 tool_name=Write decision=reject source=config");
    assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("REDACTED").doesNotContain("req_fake");
  }

  @Test
  void textShowsApiErrors() {
    exporter(ConsoleExporterConfig.Format.TEXT).export(Fixtures.logs("http-protobuf/api-error/0001-http-logs.bin"));

    assertThat(lines()).contains(
        "2026-11-25T12:42:06.938Z api_error session=53be7052 model=claude-opus-5-5 status_code=500 attempt=2 duration_ms=10"
            + " error=\"fake API: injected error\"",
        "2026-11-25T12:42:06.939Z api_retries_exhausted session=53be7052 model=claude-opus-5-5 status_code=500"
            + " total_attempts=2 total_retry_duration_ms=606 error=\"fake API: injected error\"");
  }

  @Test
  void textSummarizesAMetricsBatchOnOneLine() {
    exporter(ConsoleExporterConfig.Format.TEXT).export(Fixtures.metrics(METRICS));

    assertThat(lines()).containsExactly(
        "2026-11-25T12:41:03.003Z metrics: 8 metrics, 13 points, cost_usd=0.1157 tokens=116481 session.count=1"
            + " lines_of_code.count=4 pull_request.count=1 commit.count=1 code_edit_tool.decision=2 active_time.total=0.776");
  }

  @Test
  void textHasOneLinePerSpan() {
    exporter(ConsoleExporterConfig.Format.TEXT).export(Fixtures.traces("http-protobuf/traces/0001-http-traces.bin"));

    List<String> lines = lines();
    assertThat(lines).hasSize(25);
    assertThat(lines.get(1)).isEqualTo(
        "2026-11-25T12:41:53.769Z span claude_code.llm_request duration_ms=111.5 trace=362b0c34 session=529dfbb6");
    assertThat(lines.get(24)).isEqualTo(
        "2026-11-25T12:41:53.569Z span claude_code.interaction duration_ms=773.2 trace=362b0c34 session=529dfbb6");
  }

  @Test
  void jsonHasOneObjectPerRecordWithTypedValues() throws Exception {
    exporter(ConsoleExporterConfig.Format.JSON).export(Fixtures.logs(LOGS));

    List<String> lines = lines();
    assertThat(lines).hasSize(30);
    assertThat(lines.get(4)).isEqualTo(
        "{\"signal\":\"log\",\"time\":\"2026-11-25T12:41:02.332Z\",\"time_unix_nano\":1795610462332000000,"
            + "\"observed_time_unix_nano\":1795610462332000000,\"event_name\":\"user_prompt\",\"body\":\"claude_code.user_prompt\","
            + "\"resource\":{\"host.arch\":\"amd64\",\"os.type\":\"linux\",\"os.version\":\"6.18.44-fc-v782\","
            + "\"service.name\":\"claude-code\",\"service.version\":\"2.1.328\"},"
            + "\"scope\":{\"name\":\"com.anthropic.claude_code.events\",\"version\":\"2.1.328\"},"
            + "\"attributes\":{\"user.id\":\"9b453e4659fc933008e8f3096895033dc8fc9d9956f91da836f36e3103012180\","
            + "\"session.id\":\"ed1d3fc4-2039-4bd2-8e55-9a3c01234ca7\",\"anthropic.provider\":\"firstParty\","
            + "\"anthropic.custom_base_url\":true,\"terminal.type\":\"dumb\",\"event.name\":\"user_prompt\","
            + "\"event.timestamp\":\"2026-11-25T12:41:02.332Z\",\"event.sequence\":4,"
            + "\"prompt.id\":\"2a2f44c3-353b-4292-be55-3eb209bd3f1e\",\"prompt_length\":\"68\",\"prompt\":\"<REDACTED>\","
            + "\"prompt_text\":\"<REDACTED>\",\"message.uuid\":\"8ab987dc-9cc0-4212-ae62-e0a52bf88ac5\"}}");

    JsonNode apiRequest = json.readTree(lines.get(6));
    assertThat(apiRequest.get("event_name").asText()).isEqualTo("api_request");
    JsonNode a = apiRequest.get("attributes");
    assertThat(a.get("input_tokens").isIntegralNumber()).isTrue();
    assertThat(a.get("input_tokens").asLong()).isEqualTo(111);
    assertThat(a.get("cost_usd").isDouble()).isTrue();
    assertThat(a.get("cost_usd").asDouble()).isEqualTo(0.0143108);
    assertThat(a.get("anthropic.custom_base_url").isBoolean()).isTrue();
    for (String line : lines) {
      assertThat(json.readTree(line).get("signal").asText()).isEqualTo("log");
    }
  }

  @Test
  void jsonHasOneObjectPerMetricPoint() throws Exception {
    exporter(ConsoleExporterConfig.Format.JSON).export(Fixtures.metrics(METRICS));

    List<String> lines = lines();
    assertThat(lines).hasSize(13);
    JsonNode input = lines.stream().map(this::parse)
        .filter(n -> n.get("name").asText().equals("claude_code.token.usage")
            && n.get("attributes").get("type").asText().equals("input"))
        .findFirst().orElseThrow();
    assertThat(input.get("value").isNumber()).isTrue();
    assertThat(input.get("value").asDouble()).isEqualTo(1008);
    assertThat(input.get("temporality").asText()).isEqualTo("delta");
    assertThat(input.get("monotonic").asBoolean()).isTrue();
    assertThat(input.get("unit").asText()).isEqualTo("tokens");
    assertThat(input.get("scope").get("name").asText()).isEqualTo("com.anthropic.claude_code");
    assertThat(input.get("resource").get("service.name").asText()).isEqualTo("claude-code");
  }

  @Test
  void jsonSpansCarryIdsDurationAndEvents() throws Exception {
    exporter(ConsoleExporterConfig.Format.JSON).export(Fixtures.traces("http-protobuf/traces/0001-http-traces.bin"));

    List<JsonNode> spans = lines().stream().map(this::parse).toList();
    assertThat(spans).hasSize(25);
    JsonNode llm = spans.get(1);
    assertThat(llm.get("name").asText()).isEqualTo("claude_code.llm_request");
    assertThat(llm.get("trace_id").asText()).isEqualTo("362b0c341a72a5b6c02e8c4dc7822ab3");
    assertThat(llm.get("duration_ms").isNumber()).isTrue();
    assertThat(llm.get("events").get(0).get("name").asText()).isEqualTo("gen_ai.request.attempt");
    assertThat(llm.get("attributes").get("gen_ai.response.finish_reasons").isArray()).isTrue();
  }

  @Test
  void oddDataNeverThrows() throws Exception {
    Resource resource = Resource.of(Attributes.of("service.name", "other"));
    Scope scope = Scope.empty();
    Attributes odd = Attributes.of(
        "nan", Double.NaN, "bytes", ByteBuffer.wrap(new byte[] {1, 2, 3}), "nested", Attributes.of("k", List.of(1L, "x")),
        "quote", "say \"hi\"\nbye", "empty", "");
    LogRecord plain = new LogRecord(resource, scope, T, 0, 17, "ERROR", "disk full", odd, "", "", "", 0, 0);
    LogRecord bare = new LogRecord(resource, scope, 0, 0, 9, "", null, Attributes.empty(), "", null, null, 0, 0);
    Metric weird = new Metric(resource, scope, "w", null, null, MetricKind.HISTOGRAM, Temporality.DELTA, true,
        List.of(new HistogramPoint(odd, 0, T, 1, Double.NaN, List.of(1.0), List.of(1L, 0L), Double.NaN, Double.NaN, 0)));
    Metric exp = new Metric(resource, scope, "e", "", "", MetricKind.EXPONENTIAL_HISTOGRAM, Temporality.DELTA, true,
        List.of(new ExponentialHistogramPoint(Attributes.empty(), 0, T, 1, 1, 0, 0, 0, 0, List.of(1L), 0, List.of(), 1, 1, 0)));
    Metric summary = new Metric(resource, scope, "s", "", "", MetricKind.SUMMARY, Temporality.UNSPECIFIED, false,
        List.of(new SummaryPoint(Attributes.empty(), 0, T, 1, 1, List.of(new SummaryPoint.Quantile(0.5, Double.POSITIVE_INFINITY)), 0)));
    Metric empty = new Metric(resource, scope, "none", "", "", MetricKind.GAUGE, Temporality.UNSPECIFIED, false, List.of());
    Metric longGauge = new Metric(resource, scope, "l", "", "", MetricKind.GAUGE, Temporality.UNSPECIFIED, false,
        List.of(NumberPoint.ofLong(Attributes.empty(), 0, T, Long.MAX_VALUE)));
    Span span = new Span(resource, scope, "", "", "", "", 0, 0, 0, odd, List.of(), 2, "boom");

    for (ConsoleExporterConfig.Format f : ConsoleExporterConfig.Format.values()) {
      ConsoleExporter e = exporter(f);
      e.export(new LogsBatch(List.of(plain, bare)));
      e.export(new MetricsBatch(List.of(weird, exp, summary, empty, longGauge)));
      e.export(new MetricsBatch(List.of()));
      e.export(new TracesBatch(List.of(span)));
    }

    List<String> lines = lines();
    assertThat(lines).startsWith(
        "2026-11-25T12:41:02.515Z log severity=ERROR body=\"disk full\" nan=NaN bytes=AQID nested=\"{\\\"k\\\":[1,\\\"x\\\"]}\""
            + " quote=\"say \\\"hi\\\"\\nbye\" empty=\"\"",
        "1970-01-01T00:00:00.000Z log severity=9",
        "2026-11-25T12:41:02.515Z metrics: 5 metrics, 4 points",
        "1970-01-01T00:00:00.000Z span (unnamed) status=error message=boom");
    List<String> jsonLines = lines.subList(4, lines.size());
    assertThat(jsonLines).hasSize(7);
    for (String line : jsonLines) {
      assertThat(parse(line).get("signal").asText()).isIn("log", "metric", "span");
    }
    JsonNode log = parse(jsonLines.get(0));
    assertThat(log.get("attributes").get("nan").asText()).isEqualTo("NaN");
    assertThat(log.get("attributes").get("nested").get("k").get(0).asLong()).isEqualTo(1);
    assertThat(log.get("severity_text").asText()).isEqualTo("ERROR");
    assertThat(parse(jsonLines.get(5)).get("value").asLong()).isEqualTo(Long.MAX_VALUE);
    assertThat(parse(jsonLines.get(6)).get("status_message").asText()).isEqualTo("boom");
  }

  private JsonNode parse(String line) {
    try {
      return json.readTree(line);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + line, e);
    }
  }
}

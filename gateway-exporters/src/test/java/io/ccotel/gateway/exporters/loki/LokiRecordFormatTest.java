package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.exporters.Fixtures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LokiRecordFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX = 256 * 1024;

  private final LokiRecordFormat format = new LokiRecordFormat(MAX, false);

  static LogRecord first(String capture, String event) {
    return Fixtures.logs(capture).records().stream()
        .filter(r -> r.effectiveEventName().equals(event))
        .findFirst()
        .orElseThrow();
  }

  static LogRecord record(Attributes attributes, Object body) {
    return new LogRecord(
        Resource.of(Attributes.of("service.name", "svc")), Scope.of("test", "1"), 1_000_000_000L, 0, 0, "", body,
        attributes, "", "", "", 0, 0);
  }

  @Test
  void apiRequestLineKeepsEveryAttributeAndNumbers() {
    LogRecord r = first("http-protobuf/basic/0001-http-logs.bin", "api_request");

    LokiRecordFormat.Formatted f = format.format(r);

    assertThat(f.line())
        .isEqualTo(
            "{\"body\":\"claude_code.api_request\","
                + "\"user.id\":\"9b453e4659fc933008e8f3096895033dc8fc9d9956f91da836f36e3103012180\","
                + "\"session.id\":\"ed1d3fc4-2039-4bd2-8e55-9a3c01234ca7\",\"anthropic.provider\":\"firstParty\","
                + "\"anthropic.custom_base_url\":true,\"terminal.type\":\"dumb\",\"event.name\":\"api_request\","
                + "\"event.timestamp\":\"2026-11-25T12:41:02.515Z\",\"event.sequence\":6,"
                + "\"prompt.id\":\"2a2f44c3-353b-4292-be55-3eb209bd3f1e\",\"model\":\"claude-opus-5-5\","
                + "\"input_tokens\":111,\"output_tokens\":58,\"cache_read_tokens\":11009,\"cache_creation_tokens\":2101,"
                + "\"cache_creation_5m_tokens\":0,\"cache_creation_1h_tokens\":0,\"cost_usd\":0.0143108,"
                + "\"cost_usd_micros\":14311,\"duration_ms\":92,\"ttft_ms\":42,\"request_id\":\"req_fake_1\","
                + "\"speed\":\"normal\",\"query_source\":\"sdk\",\"effort\":\"medium\",\"host.arch\":\"amd64\","
                + "\"os.type\":\"linux\",\"os.version\":\"6.18.44-fc-v782\",\"service.name\":\"claude-code\","
                + "\"service.version\":\"2.1.328\"}");
    assertThat(f.lineBytes()).isEqualTo(f.line().getBytes(StandardCharsets.UTF_8).length);
    assertThat(f.truncated()).isFalse();
    assertThat(f.metadata()).isEmpty();
  }

  @Test
  void claudeCodeStringNumbersAndBooleansBecomeJsonTypes() throws Exception {
    JsonNode toolResult = JSON.readTree(format.format(first("http-protobuf/basic/0001-http-logs.bin", "tool_result")).line());
    assertThat(toolResult.get("success").isBoolean()).isTrue();
    assertThat(toolResult.get("success").booleanValue()).isTrue();
    assertThat(toolResult.get("duration_ms").isIntegralNumber()).isTrue();
    assertThat(toolResult.get("tool_input_size_bytes").isIntegralNumber()).isTrue();
    assertThat(toolResult.get("tool_result_size_bytes").isIntegralNumber()).isTrue();
    assertThat(toolResult.get("tool_use_id").isTextual()).isTrue();

    JsonNode prompt = JSON.readTree(format.format(first("http-protobuf/basic/0001-http-logs.bin", "user_prompt")).line());
    assertThat(prompt.get("prompt_length").intValue()).isEqualTo(68);
    assertThat(prompt.get("prompt").textValue()).isEqualTo("<REDACTED>");

    JsonNode plugin = JSON.readTree(format.format(first("http-protobuf/basic/0001-http-logs.bin", "plugin_loaded")).line());
    assertThat(plugin.get("safe_mode").isBoolean()).isTrue();
    assertThat(plugin.get("skill_path_count").isIntegralNumber()).isTrue();

    JsonNode settings =
        JSON.readTree(format.format(first("http-protobuf/basic/0001-http-logs.bin", "managed_settings_resolved")).line());
    assertThat(settings.get("managed_settings.sources").isArray()).isTrue();
  }

  @Test
  void onlyWellFormedValuesOfKnownKeysAreConverted() {
    LogRecord r =
        record(
            Attributes.of(
                "duration_ms", "12.50", "cost_usd", "1e-3", "input_tokens", "007", "output_tokens", "abc",
                "prompt", "123", "success", "TRUE", "has_mcp", "false", "status_code", " 500 "),
            null);

    assertThat(format.format(r).line())
        .isEqualTo(
            "{\"duration_ms\":12.50,\"cost_usd\":1e-3,\"input_tokens\":\"007\",\"output_tokens\":\"abc\",\"prompt\":\"123\","
                + "\"success\":\"TRUE\",\"has_mcp\":false,\"status_code\":500,\"service.name\":\"svc\"}");
  }

  @Test
  void valueTypesOtlpFieldsAndCollisions() throws Exception {
    LogRecord r =
        new LogRecord(
            Resource.of(Attributes.of("service.name", "svc", "body", "resource body attr")),
            Scope.empty(),
            5,
            0,
            17,
            "",
            Attributes.of("k", 1L, "nested", List.of("x", 2.5)),
            Attributes.of(
                "nan", Double.NaN, "inf", Double.NEGATIVE_INFINITY, "bytes", ByteBuffer.wrap(new byte[] {1, 2, 3}),
                "list", List.of(1L, "two", true), "kv", Attributes.of("a", "b"), "trace_id", "attr-trace", "whole", 3.0),
            "",
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            1,
            0);

    String line = format.format(r).line();

    assertThat(line)
        .isEqualTo(
            "{\"otel.body\":{\"k\":1,\"nested\":[\"x\",2.5]},\"nan\":\"NaN\",\"inf\":\"-Infinity\",\"bytes\":\"AQID\","
                + "\"list\":[1,\"two\",true],\"kv\":{\"a\":\"b\"},\"trace_id\":\"attr-trace\",\"whole\":3.0,"
                + "\"service.name\":\"svc\",\"body\":\"resource body attr\","
                + "\"otel.trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\"span_id\":\"b7ad6b7169203331\","
                + "\"severity\":\"ERROR\",\"severity_number\":17}");
    assertThat(JSON.readTree(line).size()).isEqualTo(14);
  }

  @Test
  void structuredMetadataCarriesTheIds() {
    LokiRecordFormat withMetadata = new LokiRecordFormat(MAX, true);
    LogRecord r = first("http-protobuf/traces/0002-http-logs.bin", "tool_result");

    LokiRecordFormat.Formatted f = withMetadata.format(r);

    assertThat(f.metadata())
        .extracting(Map.Entry::getKey)
        .containsExactly("session_id", "user_id", "prompt_id", "request_id", "tool_use_id", "trace_id", "span_id");
    assertThat(f.metadata().get(0).getValue()).isEqualTo(r.attributes().getString("session.id"));
    assertThat(f.metadata().get(5).getValue()).isEqualTo(r.traceId()).hasSize(32);
    assertThat(f.line()).contains("\"session.id\":").contains("\"trace_id\":\"" + r.traceId() + "\"");
  }

  @Test
  void longestValuesAreCutWithAMarkerKeepingValidJson() throws Exception {
    String big = "x".repeat(300 * 1024);
    String medium = "\"quoted\"\n".repeat(2000); // escaping makes it longer in the line
    LogRecord r = record(Attributes.of("event.name", "api_request_body", "body", big, "other", medium, "n", 5L), "claude_code.api_request_body");

    LokiRecordFormat.Formatted f = format.format(r);

    assertThat(f.truncated()).isTrue();
    assertThat(f.lineBytes()).isLessThanOrEqualTo(MAX).isEqualTo(f.line().getBytes(StandardCharsets.UTF_8).length);
    assertThat(f.lineBytes()).isGreaterThan(MAX - 200); // cut just enough
    JsonNode line = JSON.readTree(f.line());
    String cut = line.get("body").textValue();
    assertThat(cut).matches("x+…\\[truncated by gateway: \\d+ bytes\\]");
    long removed = Long.parseLong(cut.replaceAll("\\D", ""));
    assertThat(cut.indexOf('…') + removed).isEqualTo(big.length());
    assertThat(line.get("other").textValue()).isEqualTo(medium);
    assertThat(line.get("otel.body").textValue()).isEqualTo("claude_code.api_request_body");
    assertThat(line.get("n").intValue()).isEqualTo(5);
    assertThat(line.get("truncated").booleanValue()).isTrue();
  }

  @Test
  void multiByteCharactersAreNeverSplit() throws Exception {
    LokiRecordFormat small = new LokiRecordFormat(1024, false);
    String emoji = "\uD83D\uDE00".repeat(1000); // 4 UTF-8 bytes each
    LokiRecordFormat.Formatted f = small.format(record(Attributes.of("prompt", emoji), null));

    assertThat(f.lineBytes()).isLessThanOrEqualTo(1024);
    String cut = JSON.readTree(f.line()).get("prompt").textValue();
    String kept = cut.substring(0, cut.indexOf('…'));
    assertThat(kept).isNotEmpty().matches("(\uD83D\uDE00)+");
    assertThat(cut).endsWith("[truncated by gateway: " + (4000 - kept.getBytes(StandardCharsets.UTF_8).length) + " bytes]");
  }

  @Test
  void manyValuesFallBackToTheEssentialFields() throws Exception {
    LokiRecordFormat small = new LokiRecordFormat(4096, false);
    Attributes.Builder b = Attributes.builder();
    b.put("event.name", "odd").put("session.id", "s-1").put("cost_usd", 0.5).put("model", "m");
    for (int i = 0; i < 500; i++) {
      b.put("key" + i, "v".repeat(60));
    }
    LogRecord r = record(b.build(), "claude_code.odd");

    LokiRecordFormat.Formatted f = small.format(r);

    assertThat(f.truncated()).isTrue();
    assertThat(f.lineBytes()).isLessThanOrEqualTo(4096);
    JsonNode line = JSON.readTree(f.line());
    assertThat(line.get("body").textValue()).isEqualTo("claude_code.odd");
    assertThat(line.get("event.name").textValue()).isEqualTo("odd");
    assertThat(line.get("session.id").textValue()).isEqualTo("s-1");
    assertThat(line.get("cost_usd").doubleValue()).isEqualTo(0.5);
    assertThat(line.get("service.name").textValue()).isEqualTo("svc");
    assertThat(line.get("truncated").booleanValue()).isTrue();
    assertThat(line.get("original_bytes").intValue()).isGreaterThan(4096);
    assertThat(line.has("key1")).isFalse();
  }

  @Test
  void utf8Helpers() {
    assertThat(LokiRecordFormat.utf8Length("aé€\uD83D\uDE00")).isEqualTo(1 + 2 + 3 + 4);
    assertThat(LokiRecordFormat.prefixWithinBytes("aé€\uD83D\uDE00", 6)).isEqualTo("aé€");
    assertThat(LokiRecordFormat.prefixWithinBytes("aé€\uD83D\uDE00", 9)).isEqualTo("aé€");
    assertThat(LokiRecordFormat.prefixWithinBytes("aé€\uD83D\uDE00", 10)).isEqualTo("aé€\uD83D\uDE00");
  }
}

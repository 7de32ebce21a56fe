package io.ccotel.gateway.testkit.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.exporters.loki.LokiExporter;
import io.ccotel.gateway.exporters.loki.LokiExporterConfig;
import io.ccotel.gateway.testkit.ClaudeCodeRuns;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The captured CLI events through the Loki exporter into the Loki-protocol fixture. */
class LokiExporterFixtureTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Streams and entry counts of every complete 7-call run (README of the captures). */
  static final Map<String, Integer> BASIC_STREAMS =
      Map.of(
          "{event_name=\"api_request\", service_name=\"claude-code\"}", 7,
          "{event_name=\"assistant_response\", service_name=\"claude-code\"}", 7,
          "{event_name=\"tool_decision\", service_name=\"claude-code\"}", 6,
          "{event_name=\"tool_result\", service_name=\"claude-code\"}", 5,
          "{event_name=\"plugin_loaded\", service_name=\"claude-code\"}", 3,
          "{event_name=\"user_prompt\", service_name=\"claude-code\"}", 1,
          "{event_name=\"managed_settings_resolved\", service_name=\"claude-code\"}", 1);

  static final String FIRST_API_REQUEST_LINE =
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
          + "\"service.version\":\"2.1.328\"}";

  private LokiHarness h;

  @BeforeEach
  void start() throws Exception {
    h = LokiHarness.start();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private static Map<String, Integer> sizes(Map<String, List<LokiFixture.Entry>> streams) {
    Map<String, Integer> out = new TreeMap<>();
    streams.forEach((k, v) -> out.put(k, v.size()));
    return out;
  }

  private static void exportAll(LokiExporter e, List<LogsBatch> batches) throws Exception {
    for (LogsBatch b : batches) {
      e.export(b);
    }
    assertThat(e.flush(WAIT)).isTrue();
  }

  @Test
  void basicRunGivesOneStreamPerEventWithExactLines() throws Exception {
    LokiExporter e = h.exporter(h.config().build());

    exportAll(e, Captures.logs("http-protobuf/basic"));

    assertThat(sizes(h.loki.streams())).isEqualTo(new TreeMap<>(BASIC_STREAMS));
    List<LokiFixture.Entry> api = h.loki.streams().get("{event_name=\"api_request\", service_name=\"claude-code\"}");
    assertThat(api.get(0).line()).isEqualTo(FIRST_API_REQUEST_LINE);
    assertThat(api.get(0).timestampNanos()).isEqualTo(1_795_610_462_515_000_000L);
    assertThat(api.get(0).tenant()).isEqualTo(LokiFixture.DEFAULT_TENANT);
    assertThat(api.get(0).structuredMetadata()).isEmpty();
    JsonNode line = JSON.readTree(api.get(0).line());
    assertThat(line.get("cost_usd").isDouble()).isTrue();
    assertThat(line.get("cost_usd").doubleValue()).isEqualTo(0.0143108);
    assertThat(line.get("input_tokens").isIntegralNumber()).isTrue();
    assertThat(line.get("input_tokens").intValue()).isEqualTo(111);
    assertThat(line.get("duration_ms").isNumber()).isTrue();
    double cost = 0;
    for (LokiFixture.Entry a : api) {
      cost += JSON.readTree(a.line()).get("cost_usd").doubleValue();
    }
    assertThat(cost).isCloseTo(0.1156824, org.assertj.core.data.Offset.offset(1e-9));

    JsonNode toolResult =
        JSON.readTree(h.loki.streams().get("{event_name=\"tool_result\", service_name=\"claude-code\"}").get(0).line());
    assertThat(toolResult.get("success").isBoolean()).isTrue();
    assertThat(toolResult.get("duration_ms").isIntegralNumber()).isTrue();
    assertThat(toolResult.get("tool_input_size_bytes").isIntegralNumber()).isTrue();
    assertThat(toolResult.get("tool_name").textValue()).isEqualTo("Bash");

    assertThat(h.loki.requests()).hasSize(1);
    LokiFixture.Request r = h.loki.requests().get(0);
    assertThat(r.status()).isEqualTo(204);
    assertThat(r.contentType()).isEqualTo("application/x-protobuf");
    assertThat(r.contentEncoding()).isEmpty();
    assertThat(r.tenant()).isEmpty();
    assertThat(r.header("authorization")).isEmpty();
    assertThat(r.entries()).isEqualTo(30);
    assertThat(h.counter("gateway.loki.sent.entries")).isEqualTo(30);
    for (List<LokiFixture.Entry> stream : h.loki.streams().values()) {
      assertThat(stream).isSortedAccordingTo((a, b) -> Long.compare(a.timestampNanos(), b.timestampNanos()));
    }
  }

  static Stream<ClaudeCodeRuns.Run> runs() {
    return Stream.concat(
        ClaudeCodeRuns.COMPLETE_RUNS.stream(),
        Stream.of(new ClaudeCodeRuns.Run("http-protobuf/api-error", "", 0, 7, 0, false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void everyCapturedRunArrivesWhole(ClaudeCodeRuns.Run run) throws Exception {
    List<LogsBatch> batches = Captures.logs(run.folder());
    List<LogRecord> records = batches.stream().flatMap(b -> b.records().stream()).toList();
    assertThat(records).hasSize(run.logRecords());
    LokiExporter e = h.exporter(h.config().build());

    exportAll(e, batches);

    Map<String, Integer> expected = new TreeMap<>();
    for (LogRecord r : records) {
      expected.merge("{event_name=\"" + r.effectiveEventName() + "\", service_name=\"claude-code\"}", 1, Integer::sum);
    }
    if (run.logRecords() == 30) {
      assertThat(expected).isEqualTo(new TreeMap<>(BASIC_STREAMS));
    }
    assertThat(sizes(h.loki.streams())).isEqualTo(expected);
    assertThat(h.loki.requests()).allSatisfy(r -> assertThat(r.status()).isEqualTo(204));
    for (LokiFixture.Entry entry : h.loki.entries()) {
      JsonNode line = JSON.readTree(entry.line());
      assertThat(entry.labels()).contains("event_name=\"" + line.get("event.name").textValue() + "\"");
      assertThat(line.get("event.sequence").isIntegralNumber()).isTrue();
      if (line.has("trace_id")) {
        assertThat(line.get("trace_id").textValue()).matches("[0-9a-f]{32}");
      }
    }
    assertThat(h.loki.entries().stream().map(LokiFixture.Entry::timestampNanos).sorted().toList())
        .isEqualTo(records.stream().map(LogRecord::effectiveTimeNanos).sorted().toList());
    assertThat(h.counter("gateway.loki.dropped.entries", "reason", "http_400")).isZero();
  }

  @Test
  void jsonEncodingStoresExactlyWhatProtobufStores() throws Exception {
    List<LogsBatch> batches = Captures.logs("http-protobuf/traces");
    exportAll(h.exporter(h.config().structuredMetadata(true).build()), batches);
    List<LokiFixture.Entry> viaProtobuf = h.loki.entries();
    h.loki.reset();

    exportAll(h.exporter(h.config().structuredMetadata(true).encoding(LokiExporterConfig.Encoding.JSON).build()), batches);
    List<LokiFixture.Entry> viaJson = h.loki.entries();
    h.loki.reset();

    exportAll(
        h.exporter(
            h.config()
                .structuredMetadata(true)
                .encoding(LokiExporterConfig.Encoding.JSON)
                .compression(LokiExporterConfig.Compression.GZIP)
                .build()),
        batches);
    List<LokiFixture.Entry> viaGzipJson = h.loki.entries();

    assertThat(viaProtobuf).hasSize(30);
    assertThat(viaJson).containsExactlyElementsOf(viaProtobuf);
    assertThat(viaGzipJson).containsExactlyElementsOf(viaProtobuf);
    LokiFixture.Request gz = h.loki.requests().get(0);
    assertThat(gz.contentType()).isEqualTo("application/json");
    assertThat(gz.contentEncoding()).isEqualTo("gzip");
  }

  @Test
  void staticTenantAndBasicAuth() throws Exception {
    h.loki.requireTenant(true);
    exportAll(
        h.exporter(h.config().tenant("team-a").auth(LokiExporterConfig.Auth.basic("gateway", "s3cret")).build()),
        Captures.logs("http-protobuf/basic"));

    assertThat(h.loki.tenants()).containsExactly("team-a");
    assertThat(sizes(h.loki.streams("team-a"))).isEqualTo(new TreeMap<>(BASIC_STREAMS));
    LokiFixture.Request r = h.loki.requests().get(0);
    assertThat(r.tenant()).isEqualTo("team-a");
    assertThat(r.header("Authorization"))
        .isEqualTo("Basic " + Base64.getEncoder().encodeToString("gateway:s3cret".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void tenantFromAnIdentityAttributeAndBearerToken() throws Exception {
    h.loki.requireTenant(true);
    exportAll(
        h.exporter(h.config().tenantFromAttribute("team.id").auth(LokiExporterConfig.Auth.bearer("tok-123")).build()),
        Captures.logs("http-protobuf/optins"));

    assertThat(h.loki.tenants()).containsExactly("platform");
    assertThat(h.loki.entries()).hasSize(30);
    assertThat(h.loki.requests()).allSatisfy(r -> {
      assertThat(r.tenant()).isEqualTo("platform");
      assertThat(r.header("authorization")).isEqualTo("Bearer tok-123");
    });
  }

  @Test
  void withoutATenantAMultiTenantLokiRefusesAndTheEntriesAreCounted() throws Exception {
    h.loki.requireTenant(true);
    LokiExporter e = h.exporter(h.config().build());

    exportAll(e, Captures.logs("http-protobuf/basic"));

    assertThat(h.loki.entries()).isEmpty();
    assertThat(h.loki.requests()).extracting(LokiFixture.Request::status).containsExactly(401);
    assertThat(h.counter("gateway.loki.dropped.entries", "reason", "http_401")).isEqualTo(30);
  }

  @Test
  void configuredStreamLabelsComeFromResourceAttributes() throws Exception {
    exportAll(
        h.exporter(h.config().streamLabels(List.of("team.id", "department")).build()), Captures.logs("http-protobuf/optins"));

    Map<String, Integer> expected = new TreeMap<>();
    BASIC_STREAMS.forEach(
        (k, v) -> expected.put(k.replace("{event_name", "{department=\"engineering\", event_name")
            .replace("\"claude-code\"}", "\"claude-code\", team_id=\"platform\"}"), v));
    assertThat(sizes(h.loki.streams())).isEqualTo(expected);
  }

  @Test
  void structuredMetadataOnAndOff() throws Exception {
    exportAll(h.exporter(h.config().build()), Captures.logs("http-protobuf/traces"));
    assertThat(h.loki.entries()).allSatisfy(e -> assertThat(e.structuredMetadata()).isEmpty());
    h.loki.reset();

    exportAll(h.exporter(h.config().structuredMetadata(true).build()), Captures.logs("http-protobuf/traces"));

    List<LokiFixture.Entry> entries = h.loki.entries();
    assertThat(entries).hasSize(30).allSatisfy(e -> assertThat(e.structuredMetadata()).containsKeys("session_id", "user_id"));
    LokiFixture.Entry toolResult =
        h.loki.streams().get("{event_name=\"tool_result\", service_name=\"claude-code\"}").get(0);
    assertThat(toolResult.structuredMetadata())
        .containsOnlyKeys("session_id", "user_id", "prompt_id", "request_id", "tool_use_id", "trace_id", "span_id");
    JsonNode line = JSON.readTree(toolResult.line());
    assertThat(toolResult.structuredMetadata().get("session_id")).isEqualTo(line.get("session.id").textValue());
    assertThat(toolResult.structuredMetadata().get("trace_id")).isEqualTo(line.get("trace_id").textValue());
    Map<String, Long> withTrace =
        entries.stream().collect(Collectors.groupingBy(e -> e.structuredMetadata().containsKey("trace_id") ? "yes" : "no", LinkedHashMap::new, Collectors.counting()));
    assertThat(withTrace.get("no")).isEqualTo(4L); // the start-up events carry no trace (TELEMETRY-FACTS §4)
  }

  @Test
  void lokiWithoutStructuredMetadataRefusesItAndThatIsCounted() throws Exception {
    h.loki.allowStructuredMetadata(false);

    exportAll(h.exporter(h.config().structuredMetadata(true).build()), Captures.logs("http-protobuf/basic"));

    assertThat(h.loki.entries()).isEmpty();
    LokiFixture.Request r = h.loki.requests().get(0);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.answer()).contains("includes structured metadata, but this feature is disallowed").endsWith("total ignored: 30 out of 30\n");
    assertThat(h.counter("gateway.loki.dropped.entries", "reason", "http_400")).isEqualTo(30);
    assertThat(h.loki.requests()).hasSize(1);
  }

  @Test
  void sessionsStayOutOfTheLabels() throws Exception {
    List<LogsBatch> batches = new ArrayList<>(Captures.logs("http-protobuf/basic"));
    batches.addAll(Captures.logs("grpc/basic"));
    h.loki.unorderedWrites(true);

    exportAll(h.exporter(h.config().build()), batches);

    Map<String, Integer> doubled = new TreeMap<>();
    BASIC_STREAMS.forEach((k, v) -> doubled.put(k, 2 * v));
    assertThat(sizes(h.loki.streams())).isEqualTo(doubled); // two sessions, still seven streams
  }
}

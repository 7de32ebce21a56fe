package io.ccotel.gateway.http;

import static io.ccotel.gateway.http.TestSupport.fixture;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OtlpJsonDecoderTest {
  private static final HexFormat HEX = HexFormat.of();

  // ---------------------------------------------------------------- fixtures (real Claude Code)

  @Nested
  class ClaudeCodeFixtures {
    @Test
    void basicMetrics() throws Exception {
      ExportMetricsServiceRequest req = OtlpJsonDecoder.metrics(fixture("http-json/basic/0002-http-metrics.bin"));
      MetricsBatch batch = OtlpProtoMapper.metrics(req);

      assertThat(batch.metrics()).extracting(Metric::name).containsExactly(
          "claude_code.session.count",
          "claude_code.lines_of_code.count",
          "claude_code.pull_request.count",
          "claude_code.commit.count",
          "claude_code.cost.usage",
          "claude_code.token.usage",
          "claude_code.code_edit_tool.decision",
          "claude_code.active_time.total");
      assertThat(batch.itemCount()).isEqualTo(13);
      assertThat(batch.metrics()).allSatisfy(m -> {
        assertThat(m.kind()).isEqualTo(MetricKind.SUM);
        assertThat(m.temporality()).isEqualTo(Temporality.DELTA);
        assertThat(m.monotonic()).isTrue();
      });
      assertThat(TestSupport.sumBy(batch, "claude_code.token.usage", "type")).containsExactlyInAnyOrderEntriesOf(
          Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
      Metric tokens = batch.metrics().get(5);
      assertThat(tokens.unit()).isEqualTo("tokens");
      assertThat(tokens.description()).isEqualTo("Number of tokens used");
      assertThat(tokens.resource().attributes().getString("service.name")).isEqualTo("claude-code");
      assertThat(tokens.scope().name()).isEqualTo("com.anthropic.claude_code");
      assertThat(tokens.scope().version()).isEqualTo("2.1.328");

      Metric cost = batch.metrics().get(4);
      NumberPoint costPoint = (NumberPoint) cost.points().get(0);
      assertThat(costPoint.isDouble()).isTrue();
      assertThat(costPoint.doubleValue()).isEqualTo(0.11568240000000002);

      NumberPoint session = (NumberPoint) batch.metrics().get(0).points().get(0);
      assertThat(session.startTimeNanos()).isEqualTo(1795610532319000000L); // sent as a string
      assertThat(session.timeNanos()).isEqualTo(1795610533159000000L);
      assertThat(session.value()).isEqualTo(1.0);
      assertThat(session.attributes().get("anthropic.custom_base_url")).isEqualTo(Boolean.TRUE);
      assertThat(session.attributes().getString("start_type")).isEqualTo("fresh");
      assertThat(batch.metrics().get(1).unit()).isEmpty(); // "unit":"" in JSON
    }

    @Test
    void basicLogsWithIntValuesAsNumbers() throws Exception {
      LogsBatch batch = OtlpProtoMapper.logs(OtlpJsonDecoder.logs(fixture("http-json/basic/0001-http-logs.bin")));

      assertThat(batch.records()).hasSize(30);
      assertThat(TestSupport.eventNames(batch)).filteredOn("api_request"::equals).hasSize(7);
      assertThat(TestSupport.eventNames(batch).subList(0, 4)).containsExactly(
          "managed_settings_resolved", "plugin_loaded", "plugin_loaded", "plugin_loaded");
      for (int i = 0; i < 30; i++) {
        // {"intValue":0}, {"intValue":1}, ... as JSON numbers
        assertThat(batch.records().get(i).attributes().get("event.sequence")).isEqualTo((long) i);
      }
      var firstRequest = batch.records().stream()
          .filter(r -> r.effectiveEventName().equals("api_request")).findFirst().orElseThrow();
      assertThat(firstRequest.attributes().get("input_tokens")).isEqualTo(111L);
      assertThat(firstRequest.attributes().get("output_tokens")).isEqualTo(58L);
      assertThat(firstRequest.attributes().get("cache_read_tokens")).isEqualTo(11009L);
      assertThat(firstRequest.attributes().get("cost_usd")).isInstanceOf(Double.class);
      assertThat(firstRequest.body()).isEqualTo("claude_code.api_request");
      assertThat(firstRequest.timeNanos()).isEqualTo(firstRequest.observedTimeNanos()).isPositive();
      assertThat(firstRequest.traceId()).isEmpty();
      var first = batch.records().get(0);
      assertThat(first.attributes().get("managed_settings.sources")).isEqualTo(List.of()); // empty arrayValue
      assertThat(first.scope().name()).isEqualTo("com.anthropic.claude_code.events");
    }

    @Test
    void tracesHexIdsDecodeToTheBytes() throws Exception {
      ExportTraceServiceRequest req = OtlpJsonDecoder.traces(fixture("http-json/traces/0001-http-traces.bin"));
      List<Span> spans = req.getResourceSpans(0).getScopeSpans(0).getSpansList();

      assertThat(spans).hasSize(25);
      Span first = spans.get(0);
      assertThat(first.getTraceId()).isEqualTo(ByteString.copyFrom(HEX.parseHex("387f3f921ed89d5c9b29cf304bda9604")));
      assertThat(first.getSpanId()).isEqualTo(ByteString.copyFrom(HEX.parseHex("a8bdff90d959e443")));
      assertThat(first.getParentSpanId()).isEqualTo(ByteString.copyFrom(HEX.parseHex("664678d629530fed")));
      assertThat(first.getName()).isEqualTo("claude_code.tool.blocked_on_user");
      assertThat(first.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_INTERNAL);
      assertThat(first.getStartTimeUnixNano()).isEqualTo(1795610545387000000L);
      assertThat(first.getEndTimeUnixNano()).isEqualTo(1795610545428634178L);
      assertThat(spans).allSatisfy(s -> {
        assertThat(s.getTraceId().size()).isEqualTo(16);
        assertThat(s.getSpanId().size()).isEqualTo(8);
        assertThat(s.getFlags()).isEqualTo(257);
      });
      assertThat(spans).filteredOn(s -> s.getParentSpanId().isEmpty())
          .extracting(Span::getName).containsOnly("claude_code.interaction");

      TracesBatch batch = OtlpProtoMapper.traces(req);
      assertThat(batch.spans().get(0).traceId()).isEqualTo("387f3f921ed89d5c9b29cf304bda9604");
      assertThat(batch.spans().get(0).parentSpanId()).isEqualTo("664678d629530fed");
    }

    @Test
    void logsInsideAnInteractionCarryTheTraceIds() throws Exception {
      ExportTraceServiceRequest traces = OtlpJsonDecoder.traces(fixture("http-json/traces/0001-http-traces.bin"));
      LogsBatch logs = OtlpProtoMapper.logs(OtlpJsonDecoder.logs(fixture("http-json/traces/0002-http-logs.bin")));
      String traceId = HEX.formatHex(traces.getResourceSpans(0).getScopeSpans(0).getSpans(0).getTraceId().toByteArray());

      assertThat(logs.records()).hasSize(30);
      assertThat(logs.records().subList(0, 4)).allSatisfy(r -> assertThat(r.traceId()).isEmpty());
      assertThat(logs.records()).filteredOn(r -> r.traceId().equals(traceId)).isNotEmpty();
      assertThat(logs.records()).filteredOn(r -> !r.traceId().isEmpty()).allSatisfy(r -> {
        assertThat(r.traceId()).hasSize(32);
        assertThat(r.spanId()).hasSize(16);
        assertThat(r.flags()).isEqualTo(1);
      });
    }

    @Test
    void gzipFolderUnzippedBodiesMatchTheGzippedOnes() throws Exception {
      for (String name : List.of("0001-http-logs", "0002-http-metrics")) {
        byte[] unzipped = fixture("http-json/gzip/" + name + ".unzipped.bin");
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(fixture("http-json/gzip/" + name + ".bin")))) {
          assertThat(in.readAllBytes()).isEqualTo(unzipped);
        }
      }
      MetricsBatch metrics =
          OtlpProtoMapper.metrics(OtlpJsonDecoder.metrics(fixture("http-json/gzip/0002-http-metrics.unzipped.bin")));
      assertThat(metrics.metrics()).hasSize(8);
      assertThat(TestSupport.sumBy(metrics, "claude_code.token.usage", "type")).containsExactlyInAnyOrderEntriesOf(
          Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
      LogsBatch logs = OtlpProtoMapper.logs(OtlpJsonDecoder.logs(fixture("http-json/gzip/0001-http-logs.unzipped.bin")));
      assertThat(logs.records()).hasSize(30);
    }

    @Test
    void optinsCarryResourceAttributesAndPromptText() throws Exception {
      MetricsBatch metrics = OtlpProtoMapper.metrics(OtlpJsonDecoder.metrics(fixture("http-json/optins/0002-http-metrics.bin")));
      var resource = metrics.metrics().get(0).resource().attributes();
      assertThat(resource.getString("department")).isEqualTo("engineering");
      assertThat(resource.getString("team.id")).isEqualTo("platform");
      assertThat(resource.getString("cost_center")).isEqualTo("eng-123");
      assertThat(resource.key(0)).isEqualTo("department");

      LogsBatch logs = OtlpProtoMapper.logs(OtlpJsonDecoder.logs(fixture("http-json/optins/0001-http-logs.bin")));
      var prompt = logs.records().stream().filter(r -> r.effectiveEventName().equals("user_prompt")).findFirst().orElseThrow();
      assertThat(prompt.attributes().getString("prompt")).isNotEqualTo("<REDACTED>").isNotEmpty();
      assertThat(prompt.attributes().get("prompt_length")).isInstanceOf(String.class);
    }

    @Test
    void extrasHaveSpanEventsAndOptInMetricAttributes() throws Exception {
      ExportTraceServiceRequest traces = OtlpJsonDecoder.traces(fixture("http-json/extras/0005-http-traces.bin"));
      List<Span> spans = traces.getResourceSpans(0).getScopeSpans(0).getSpansList();
      assertThat(spans).hasSize(25);
      assertThat(spans).flatMap(Span::getEventsList).extracting(Span.Event::getName).contains("tool.output");

      MetricsBatch metrics = OtlpProtoMapper.metrics(OtlpJsonDecoder.metrics(fixture("http-json/extras/0001-http-metrics.bin")));
      assertThat(metrics.itemCount()).isEqualTo(12);
      var attrs = metrics.metrics().get(0).points().get(0).attributes();
      assertThat(attrs.getString("app.version")).isEqualTo("2.1.328");
      assertThat(attrs.getString("app.entrypoint")).isEqualTo("sdk-cli");
      assertThat(attrs.getString("vcs.repository.name")).isEqualTo("acme-app");
    }

    /**
     * Every captured body decodes, and nothing is lost: written back as OTLP/JSON it is the same
     * document (up to default values, which OTLP/JSON may leave out, and number spelling).
     */
    @ParameterizedTest
    @MethodSource("io.ccotel.gateway.http.OtlpJsonDecoderTest#jsonFixtures")
    void everyFixtureDecodesWithoutLoss(Path file) throws Exception {
      byte[] body = Files.readAllBytes(file);
      String name = file.getFileName().toString();
      Message prototype = name.contains("metrics") ? ExportMetricsServiceRequest.getDefaultInstance()
          : name.contains("logs") ? ExportLogsServiceRequest.getDefaultInstance()
          : ExportTraceServiceRequest.getDefaultInstance();

      Message decoded = OtlpJsonDecoder.decode(body, 0, body.length, prototype);

      ObjectMapper mapper = new ObjectMapper();
      JsonNode original = normalize(mapper.readTree(body));
      JsonNode roundTrip = normalize(mapper.readTree(ProtoJsonWriter.toJson(decoded)));
      assertThat(original.toString()).contains("\"service.name\"", "claude-code", "2.1.328");
      assertThat(roundTrip).isEqualTo(original);
      // The stream form gives the same message.
      assertThat(OtlpJsonDecoder.decode(new ByteArrayInputStream(body), prototype)).isEqualTo(decoded);
    }
  }

  static Stream<Path> jsonFixtures() throws IOException {
    try (Stream<Path> files = Files.walk(TestSupport.fixturesDir().resolve("http-json"))) {
      List<Path> all = files
          .filter(p -> p.getFileName().toString().matches("\\d{4}-http-(metrics|logs|traces)\\.bin"))
          .map(p -> {
            Path unzipped = p.resolveSibling(p.getFileName().toString().replace(".bin", ".unzipped.bin"));
            return Files.exists(unzipped) ? unzipped : p;
          })
          .sorted()
          .toList();
      assertThat(all).hasSize(14);
      return all.stream();
    }
  }

  /** Drops default values, spells every number as a canonical decimal string. */
  private static JsonNode normalize(JsonNode n) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (n.isObject()) {
      ObjectNode out = f.objectNode();
      n.fields().forEachRemaining(e -> {
        JsonNode v = normalize(e.getValue());
        boolean isDefault = (v.isTextual() && (v.asText().isEmpty() || v.asText().equals("0")))
            || (v.isBoolean() && !v.asBoolean())
            || (v.isContainerNode() && v.isEmpty())
            || v.isNull();
        if (!isDefault) {
          out.set(e.getKey(), v);
        }
      });
      return out;
    }
    if (n.isArray()) {
      ArrayNode out = f.arrayNode();
      n.forEach(e -> out.add(normalize(e)));
      return out;
    }
    if (n.isNumber()) {
      return f.textNode(canonical(n.decimalValue()));
    }
    return n;
  }

  private static String canonical(BigDecimal d) {
    return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
  }

  // ---------------------------------------------------------------- rules

  @Nested
  class Rules {
    @Test
    void snakeCaseNamesAreAcceptedToo() throws Exception {
      String json = """
          {"resource_metrics":[{"scope_metrics":[{"metrics":[{"name":"m","sum":{
            "aggregation_temporality":2,"is_monotonic":true,
            "data_points":[{"as_int":"5","start_time_unix_nano":"7","time_unix_nano":9}]}}]}]}]}""";
      NumberDataPoint p = firstPoint(metrics(json));
      assertThat(p.getAsInt()).isEqualTo(5);
      assertThat(p.getStartTimeUnixNano()).isEqualTo(7);
      assertThat(p.getTimeUnixNano()).isEqualTo(9);
      assertThat(metrics(json).getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getAggregationTemporality())
          .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    }

    @Test
    void enumsAcceptNamesAndNumbers() throws Exception {
      var byName = metrics(sumWith("\"aggregationTemporality\":\"AGGREGATION_TEMPORALITY_DELTA\"", "{\"asDouble\":1}"));
      assertThat(byName.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getAggregationTemporality())
          .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
      var numberAsString = metrics(sumWith("\"aggregationTemporality\":\"2\"", "{\"asDouble\":1}"));
      assertThat(numberAsString.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getAggregationTemporality())
          .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
      // An unknown number is kept, as the binary parser does for open enums.
      var unknown = metrics(sumWith("\"aggregationTemporality\":7", "{\"asDouble\":1}"));
      assertThat(unknown.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getAggregationTemporalityValue())
          .isEqualTo(7);

      var span = traces("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":\"SPAN_KIND_INTERNAL\","
          + "\"status\":{\"code\":\"STATUS_CODE_ERROR\"}}]}]}]}").getResourceSpans(0).getScopeSpans(0).getSpans(0);
      assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_INTERNAL);
      assertThat(span.getStatus().getCodeValue()).isEqualTo(2);

      assertThatThrownBy(() -> metrics(sumWith("\"aggregationTemporality\":\"DELTA\"", "{\"asDouble\":1}")))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessage("resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality: expected an enum"
              + " number or one of AGGREGATION_TEMPORALITY_UNSPECIFIED, AGGREGATION_TEMPORALITY_DELTA,"
              + " AGGREGATION_TEMPORALITY_CUMULATIVE, got \"DELTA\"");
    }

    @Test
    void int64AcceptsStringsAndNumbers() throws Exception {
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":\"9223372036854775807\"}"))).getAsInt()).isEqualTo(Long.MAX_VALUE);
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":9223372036854775807}"))).getAsInt()).isEqualTo(Long.MAX_VALUE);
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":-5}"))).getAsInt()).isEqualTo(-5);
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":\"-9223372036854775808\"}"))).getAsInt()).isEqualTo(Long.MIN_VALUE);
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":\"1e3\"}"))).getAsInt()).isEqualTo(1000);
      assertThat(firstPoint(metrics(sumWith("", "{\"asInt\":2.0}"))).getAsInt()).isEqualTo(2);
      // fixed64 is unsigned: the largest value arrives as the bits of -1.
      assertThat(firstPoint(metrics(sumWith("", "{\"timeUnixNano\":\"18446744073709551615\"}"))).getTimeUnixNano())
          .isEqualTo(-1L);
      assertThat(firstPoint(metrics(sumWith("", "{\"timeUnixNano\":18446744073709551615}"))).getTimeUnixNano())
          .isEqualTo(-1L);

      assertDecodeError(sumWith("", "{\"asInt\":\"9223372036854775808\"}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected a whole number between"
              + " -9223372036854775808 and 9223372036854775807, got \"9223372036854775808\"");
      assertDecodeError(sumWith("", "{\"timeUnixNano\":-1}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].timeUnixNano: expected a whole number"
              + " between 0 and 18446744073709551615, got -1");
      assertDecodeError(sumWith("", "{\"asInt\":1.5}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected a whole number, got 1.5");
      assertDecodeError(sumWith("", "{\"asInt\":\"12abc\"}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected a whole number,"
              + " got \"12abc\"");
      assertDecodeError(sumWith("", "{\"asInt\":true}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt: expected a whole number, got true");
    }

    @Test
    void int32RangeIsChecked() throws Exception {
      assertThat(firstPoint(metrics(sumWith("", "{\"flags\":4294967295}"))).getFlags()).isEqualTo(-1);
      assertThat(firstPoint(metrics(sumWith("", "{\"flags\":\"1\"}"))).getFlags()).isEqualTo(1);
      assertDecodeError(sumWith("", "{\"flags\":4294967296}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].flags: expected a whole number between"
              + " 0 and 4294967295, got 4294967296");
      assertDecodeError(sumWith("", "{\"flags\":-1}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].flags: expected a whole number between"
              + " 0 and 4294967295, got -1");
    }

    @Test
    void doublesAcceptNumbersAndTheSpecialStrings() throws Exception {
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":\"NaN\"}"))).getAsDouble()).isNaN();
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":\"Infinity\"}"))).getAsDouble()).isEqualTo(Double.POSITIVE_INFINITY);
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":\"-Infinity\"}"))).getAsDouble()).isEqualTo(Double.NEGATIVE_INFINITY);
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":\"2.5\"}"))).getAsDouble()).isEqualTo(2.5);
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":1008}"))).getAsDouble()).isEqualTo(1008.0);
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":1.5e-3}"))).getAsDouble()).isEqualTo(0.0015);
      assertThat(firstPoint(metrics(sumWith("", "{\"asDouble\":0}"))).getValueCase())
          .isEqualTo(NumberDataPoint.ValueCase.AS_DOUBLE); // a oneof member set to 0 is still set
    }

    @Test
    void wrongTypesNameTheFieldPath() {
      String json = """
          {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"a"},{"name":"b"},
          {"name":"c","sum":{"dataPoints":[{"asDouble":"abc"}]}}]}]}]}""";
      assertDecodeError(json,
          "resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[0].asDouble: expected a number, got \"abc\"");
      assertDecodeError("{\"resourceMetrics\":[\"x\"]}", "resourceMetrics[0]: expected an object, got \"x\"");
      assertDecodeError("{\"resourceMetrics\":{}}", "resourceMetrics: expected a list, got an object");
      assertDecodeError("{\"resourceMetrics\":[{\"resource\":[]}]}", "resourceMetrics[0].resource: expected an object, got a list");
      assertDecodeError("{\"resourceMetrics\":[{\"schemaUrl\":5}]}", "resourceMetrics[0].schemaUrl: expected a string, got 5");
      assertDecodeError(sumWith("\"isMonotonic\":\"yes\"", "{}"),
          "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: expected true or false, got \"yes\"");
      assertDecodeError("[]", "the body must be a JSON object such as {\"resourceMetrics\":[...]}, got a list");
      assertDecodeError("{} {}", "unexpected an object after the end of the top-level JSON object");
    }

    @Test
    void malformedJsonSaysWhere() {
      assertThatThrownBy(() -> metrics("{\"resourceMetrics\":[{\"scopeMetrics\":[}]}"))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageStartingWith("invalid JSON at line 1, column 38 (in resourceMetrics[0].scopeMetrics")
          .hasMessageContaining("Unexpected close marker '}'");
      assertThatThrownBy(() -> metrics("{\"resourceMetrics\":[{\"scopeMetrics\":["))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageStartingWith("invalid JSON")
          .hasMessageContaining("end-of-input");
    }

    @Test
    void unknownFieldsAreSkippedWithTheirWholeValue() throws Exception {
      String json = """
          {"future":{"deep":[1,2,{"x":null,"y":[[[{}]]]}]},
           "resourceMetrics":[{"entityRefs":[{"type":"service"}],"scopeMetrics":[{"metrics":[{"name":"m",
             "unknownNumber":12,"sum":{"dataPoints":[{"asDouble":3,"shiny":"new"}]}}]}]}],
           "trailer":"x"}""";
      ExportMetricsServiceRequest req = metrics(json);
      assertThat(firstPoint(req).getAsDouble()).isEqualTo(3.0);
      assertThat(req.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getName()).isEqualTo("m");
    }

    @Test
    void nullMeansNotSet() throws Exception {
      String json = """
          {"resourceMetrics":[null,{"resource":null,"schemaUrl":null,"scopeMetrics":[{"scope":null,
          "metrics":[{"name":"m","sum":{"dataPoints":[{"asDouble":null,"attributes":null},null]}}]}]}]}""";
      ExportMetricsServiceRequest req = metrics(json);
      assertThat(req.getResourceMetricsCount()).isEqualTo(1);
      assertThat(req.getResourceMetrics(0).hasResource()).isFalse();
      assertThat(req.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getDataPointsCount()).isEqualTo(1);
      assertThat(firstPoint(req).getValueCase()).isEqualTo(NumberDataPoint.ValueCase.VALUE_NOT_SET);
    }

    @Test
    void emptyBodyIsTheEmptyRequest() throws Exception {
      assertThat(metrics("")).isEqualTo(ExportMetricsServiceRequest.getDefaultInstance());
      assertThat(metrics("  \n ")).isEqualTo(ExportMetricsServiceRequest.getDefaultInstance());
      assertThat(metrics("{}")).isEqualTo(ExportMetricsServiceRequest.getDefaultInstance());
    }

    @Test
    void idsAreHexInAnyCaseEverywhere() throws Exception {
      String json = """
          {"resourceSpans":[{"scopeSpans":[{"spans":[{
            "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"",
            "links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b173"}]}]}]}]}""";
      Span span = traces(json).getResourceSpans(0).getScopeSpans(0).getSpans(0);
      assertThat(span.getTraceId().toByteArray()).isEqualTo(HEX.parseHex("5b8efff798038103d269b633813fc60c"));
      assertThat(span.getSpanId().toByteArray()).isEqualTo(HEX.parseHex("eee19b7ec3c1b174"));
      assertThat(span.getParentSpanId()).isEqualTo(ByteString.EMPTY);
      assertThat(span.getLinks(0).getSpanId().toByteArray()).isEqualTo(HEX.parseHex("eee19b7ec3c1b173"));

      var log = logs("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
          + "\"span_id\":\"eee19b7ec3c1b174\"}]}]}]}").getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
      assertThat(log.getTraceId().size()).isEqualTo(16);
      assertThat(log.getSpanId().toByteArray()).isEqualTo(HEX.parseHex("eee19b7ec3c1b174"));

      var exemplar = firstPoint(metrics(sumWith("", "{\"exemplars\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
          + "\"spanId\":\"eee19b7ec3c1b174\",\"asDouble\":1}]}"))).getExemplars(0);
      assertThat(exemplar.getSpanId().toByteArray()).isEqualTo(HEX.parseHex("eee19b7ec3c1b174"));
    }

    @Test
    void base64OrBadHexIdsAreRejectedClearly() {
      assertThatThrownBy(() -> traces(spanWith("\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\"")))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessage("resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a trace id of 32 hex digits"
              + " (OTLP/JSON writes trace and span ids as hex, not base64), got \"W47/95gDgQPSabYzgT/GDA==\"");
      assertThatThrownBy(() -> traces(spanWith("\"spanId\":\"zzzzzzzzzzzzzzzz\"")))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessage("resourceSpans[0].scopeSpans[0].spans[0].spanId: expected a span id of 16 hex digits"
              + " (OTLP/JSON writes trace and span ids as hex, not base64), got \"zzzzzzzzzzzzzzzz\"");
      assertThatThrownBy(() -> traces(spanWith("\"parentSpanId\":\"eee19b7e\"")))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageStartingWith("resourceSpans[0].scopeSpans[0].spans[0].parentSpanId: expected a span id of 16 hex");
      assertThatThrownBy(() -> traces(spanWith("\"traceId\":5")))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessage("resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a trace id of 32 hex digits, got 5");
    }

    @Test
    void otherBytesAreBase64() throws Exception {
      AnyValue v = logBody("{\"bytesValue\":\"AQID/w==\"}");
      assertThat(v.getBytesValue().toByteArray()).containsExactly(1, 2, 3, 0xff);
      assertThat(logBody("{\"bytesValue\":\"AQID_w\"}").getBytesValue().toByteArray()).containsExactly(1, 2, 3, 0xff);
      assertThatThrownBy(() -> logBody("{\"bytesValue\":\"not base64!\"}"))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessage("resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: expected a base64 string,"
              + " got \"not base64!\"");
    }

    @Test
    void anyValueKinds() throws Exception {
      AnyValue v = logBody("""
          {"kvlistValue":{"values":[{"key":"a","value":{"intValue":6}},{"key":"b","value":{"doubleValue":1.5}},
          {"key":"c","value":{"boolValue":true}},{"key":"d","value":{"arrayValue":{"values":[{"stringValue":"x"},
          {"intValue":"7"}]}}}]}}""");
      var kv = v.getKvlistValue().getValuesList();
      assertThat(kv.get(0).getValue().getIntValue()).isEqualTo(6);
      assertThat(kv.get(1).getValue().getDoubleValue()).isEqualTo(1.5);
      assertThat(kv.get(2).getValue().getBoolValue()).isTrue();
      assertThat(kv.get(3).getValue().getArrayValue().getValues(1).getIntValue()).isEqualTo(7);
    }

    @Test
    void nestingIsLimitedWithoutStackOverflow() throws Exception {
      // Request > ResourceLogs > ScopeLogs > LogRecord > AnyValue is 5 levels; each arrayValue adds 2.
      AnyValue ok = logBody(nestedArrays(47));
      int depth = 0;
      for (AnyValue v = ok; v.hasArrayValue(); v = v.getArrayValue().getValues(0)) {
        depth++;
      }
      assertThat(depth).isEqualTo(47);

      assertThatThrownBy(() -> logBody(nestedArrays(48)))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageEndingWith(".arrayValue.values[0]: nested more than 100 levels deep");
      assertThatThrownBy(() -> logBody(nestedArrays(100_000)))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageEndingWith("nested more than 100 levels deep");
      // Deep nesting inside an unknown field is skipped unchecked, up to Jackson's own limit.
      String deepUnknown = "{\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
      assertThatThrownBy(() -> metrics(deepUnknown))
          .isInstanceOf(OtlpDecodeException.class)
          .hasMessageStartingWith("invalid JSON")
          .hasMessageContaining("nesting depth");
    }

    @Test
    void longStringsAreFine() throws Exception {
      String big = "x".repeat(25_000_000); // over Jackson's default 20M-character limit
      assertThat(logBody("{\"stringValue\":\"" + big + "\"}").getStringValue()).hasSize(25_000_000);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String nestedArrays(int levels) {
    return "{\"arrayValue\":{\"values\":[".repeat(levels) + "{\"stringValue\":\"x\"}" + "]}}".repeat(levels);
  }

  private static String sumWith(String sumFields, String point) {
    return "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"sum\":{"
        + sumFields + (sumFields.isEmpty() ? "" : ",") + "\"dataPoints\":[" + point + "]}}]}]}]}";
  }

  private static String spanWith(String fields) {
    return "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{" + fields + "}]}]}]}";
  }

  private static AnyValue logBody(String anyValue) throws OtlpDecodeException {
    return logs("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":" + anyValue + "}]}]}]}")
        .getResourceLogs(0).getScopeLogs(0).getLogRecords(0).getBody();
  }

  private static NumberDataPoint firstPoint(ExportMetricsServiceRequest req) {
    return req.getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getSum().getDataPoints(0);
  }

  private static ExportMetricsServiceRequest metrics(String json) throws OtlpDecodeException {
    return OtlpJsonDecoder.metrics(json.getBytes(UTF_8));
  }

  private static ExportLogsServiceRequest logs(String json) throws OtlpDecodeException {
    return OtlpJsonDecoder.logs(json.getBytes(UTF_8));
  }

  private static ExportTraceServiceRequest traces(String json) throws OtlpDecodeException {
    return OtlpJsonDecoder.traces(json.getBytes(UTF_8));
  }

  private static void assertDecodeError(String json, String message) {
    assertThatThrownBy(() -> metrics(json)).isInstanceOf(OtlpDecodeException.class).hasMessage(message);
  }
}

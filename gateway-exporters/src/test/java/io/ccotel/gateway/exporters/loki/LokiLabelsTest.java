package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LokiLabelsTest {
  @Test
  void claudeCodeEventsGetServiceAndEventName() {
    LogRecord r = LokiRecordFormatTest.first("http-protobuf/optins/0001-http-logs.bin", "api_request");

    assertThat(new LokiLabels(List.of()).of(r)).containsExactly(
        Map.entry("event_name", "api_request"), Map.entry("service_name", "claude-code"));
    assertThat(LokiLabels.format(new LokiLabels(List.of("team.id", "department", "model", "absent")).of(r)))
        .isEqualTo("{department=\"engineering\", event_name=\"api_request\", model=\"claude-opus-5-5\","
            + " service_name=\"claude-code\", team_id=\"platform\"}");
  }

  @Test
  void recordsWithoutNamesGetPlaceholders() {
    LogRecord r = new LogRecord(Resource.empty(), Scope.empty(), 1, 0, 9, "INFO", "hello", Attributes.of("k", ""), "", "", "", 0, 0);

    assertThat(LokiLabels.format(new LokiLabels(List.of("k")).of(r)))
        .isEqualTo("{event_name=\"unknown\", service_name=\"unknown_service\"}");
    LogRecord named = new LogRecord(
        Resource.of(Attributes.of("service.name", "api", "team.id", 7L)), Scope.empty(), 1, 0, 0, "", null,
        Attributes.empty(), "order.placed", "", "", 0, 0);
    assertThat(LokiLabels.format(new LokiLabels(List.of("team.id")).of(named)))
        .isEqualTo("{event_name=\"order.placed\", service_name=\"api\", team_id=\"7\"}");
  }

  @Test
  void valuesAreEscapedAsPromQlStrings() {
    Map<String, String> labels = new TreeMap<>(Map.of("a", "quote\" back\\slash\nnew\ttab\u0001ctl", "b", "ünï €"));

    assertThat(LokiLabels.format(labels))
        .isEqualTo("{a=\"quote\\\" back\\\\slash\\nnew\\ttab\\u0001ctl\", b=\"ünï €\"}");
    assertThat(LokiLabels.format(new TreeMap<>())).isEqualTo("{}");
  }

  @Test
  void longValuesAreCut() {
    LogRecord r = new LogRecord(
        Resource.of(Attributes.of("service.name", "s".repeat(5000))), Scope.empty(), 1, 0, 0, "", null,
        Attributes.of("event.name", "e"), "", "", "", 0, 0);
    assertThat(new LokiLabels(List.of()).of(r).get("service_name")).hasSize(LokiLabels.MAX_VALUE_CHARS);
  }

  @Test
  void sanitizing() {
    assertThat(LokiLabels.sanitize("team.id")).isEqualTo("team_id");
    assertThat(LokiLabels.sanitize("9lives")).isEqualTo("_9lives");
    assertThat(LokiLabels.sanitize("a-b/c d")).isEqualTo("a_b_c_d");
    assertThat(LokiLabels.sanitize("ok_Name9")).isEqualTo("ok_Name9");
    assertThat(LokiLabels.sanitizeTenant("team a/b")).isEqualTo("team_a_b");
    assertThat(LokiLabels.sanitizeTenant("t!-_.*'()")).isEqualTo("t!-_.*'()");
    assertThat(LokiLabels.sanitizeTenant("..")).isEqualTo("_");
    assertThat(LokiLabels.sanitizeTenant("x".repeat(200))).hasSize(150);
  }
}

package io.ccotel.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.grpc.Metadata;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replays what the real Claude Code CLI sent over gRPC, byte for byte (gzip frames included), to a
 * receiver on a real socket, and checks what reaches the pipeline against the captures' summaries.
 */
class ClaudeCodeReplayTest {
  private GrpcHarness h;

  @BeforeEach
  void start() throws Exception {
    h = GrpcHarness.start();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  /** Sends every captured call; each must be answered OK with an empty response. */
  private void replay(String scenario) {
    for (CapturedCalls.Call c : CapturedCalls.load(scenario).calls()) {
      Metadata headers = new Metadata();
      if (c.authorization() != null) {
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), c.authorization());
      }
      byte[] response =
          c.compressed()
              ? h.callPrecompressed(c.fullMethod(), c.wireMessage(), headers)
              : h.call(h.channel, c.fullMethod(), c.wireMessage(), null, headers);
      assertThat(response).as(scenario + "/" + c.name() + ": empty Export*ServiceResponse").isEmpty();
      assertThat(h.lastHeaders.get().get(Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER)))
          .as("response not compressed")
          .isIn(null, "identity");
    }
  }

  @Test
  void basic() {
    replay("basic");

    assertThat(h.consumer.batches()).hasSize(2);
    LogsBatch logs = h.consumer.logs().get(0);
    assertThat(logs.itemCount()).isEqualTo(30);
    assertThat(eventCounts(logs))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "managed_settings_resolved", 1,
                "plugin_loaded", 3,
                "user_prompt", 1,
                "tool_decision", 6,
                "api_request", 7,
                "assistant_response", 7,
                "tool_result", 5));
    LogRecord first = logs.records().get(0);
    assertThat(first.body()).isEqualTo("claude_code.managed_settings_resolved");
    assertThat(first.scope().name()).isEqualTo("com.anthropic.claude_code.events");
    assertThat(first.resource().attributes().get("service.name")).isEqualTo("claude-code");
    assertThat(first.attributes().get("event.sequence")).isEqualTo(0L);
    assertThat(first.attributes().get("anthropic.custom_base_url")).isEqualTo(true);
    assertThat(first.attributes().get("managed_settings.sources")).isEqualTo(List.of());

    MetricsBatch metrics = h.consumer.metrics().get(0);
    assertThat(metrics.metrics()).hasSize(8);
    assertThat(metrics.itemCount()).isEqualTo(13);
    Metric tokens = metric(metrics, "claude_code.token.usage");
    assertThat(tokens.kind()).isEqualTo(MetricKind.SUM);
    assertThat(tokens.temporality()).isEqualTo(Temporality.DELTA);
    assertThat(tokens.monotonic()).isTrue();
    assertThat(tokens.unit()).isEqualTo("tokens");
    assertThat(tokens.scope().name()).isEqualTo("com.anthropic.claude_code");
    assertThat(byType(List.of(metrics), "claude_code.token.usage"))
        .containsExactly(
            Map.entry("input", 1008.0),
            Map.entry("output", 393.0),
            Map.entry("cacheRead", 98252.0),
            Map.entry("cacheCreation", 16828.0));
    assertThat(byType(List.of(metrics), "claude_code.lines_of_code.count"))
        .containsExactly(Map.entry("added", 3.0), Map.entry("removed", 1.0));
    assertThat(single(metrics, "claude_code.cost.usage")).isEqualTo(0.11568240000000002);
    assertThat(single(metrics, "claude_code.commit.count")).isEqualTo(1.0);
    assertThat(single(metrics, "claude_code.pull_request.count")).isEqualTo(1.0);
    assertThat(single(metrics, "claude_code.session.count")).isEqualTo(1.0);
    assertThat(single(metrics, "claude_code.active_time.total")).isEqualTo(0.792);

    assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(1.0);
    assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(1.0);
    assertThat(h.items("gateway.received.items", Signal.METRICS)).isEqualTo(13.0);
    assertThat(h.items("gateway.accepted.items", Signal.LOGS)).isEqualTo(30.0);
  }

  @Test
  void gzipFramesAsCaptured() {
    replay("gzip");

    assertThat(h.consumer.logs()).extracting(LogsBatch::itemCount).containsExactly(28, 2);
    assertThat(h.consumer.metrics()).extracting(MetricsBatch::itemCount).containsExactly(12, 6);
    // Two delta exports that together make the run's totals.
    assertThat(byType(h.consumer.metrics(), "claude_code.token.usage"))
        .containsExactly(
            Map.entry("input", 1008.0),
            Map.entry("output", 393.0),
            Map.entry("cacheRead", 98252.0),
            Map.entry("cacheCreation", 16828.0));
    assertThat(single(h.consumer.metrics().get(0), "claude_code.cost.usage")).isEqualTo(0.09742680000000001);
    assertThat(single(h.consumer.metrics().get(1), "claude_code.cost.usage")).isEqualTo(0.018255600000000004);
    assertThat(single(h.consumer.metrics().get(1), "claude_code.active_time.total")).isEqualTo(1.095);
    assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(2.0);
    assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(2.0);
  }

  @Test
  void optInsWithAuthorizationAndResourceAttributes() {
    CapturedCalls captured = CapturedCalls.load("optins");
    assertThat(captured.calls()).allSatisfy(c -> assertThat(c.authorization()).isEqualTo("Bearer team-token-123"));
    replay("optins");

    assertThat(h.consumer.logs()).extracting(LogsBatch::itemCount).containsExactly(24, 6);
    assertThat(h.consumer.metrics()).extracting(MetricsBatch::itemCount).containsExactly(10, 8);
    assertThat(byType(h.consumer.metrics(), "claude_code.token.usage"))
        .containsExactly(
            Map.entry("input", 1008.0),
            Map.entry("output", 393.0),
            Map.entry("cacheRead", 98252.0),
            Map.entry("cacheCreation", 16828.0));
    double cost =
        single(h.consumer.metrics().get(0), "claude_code.cost.usage")
            + single(h.consumer.metrics().get(1), "claude_code.cost.usage");
    assertThat(cost).isCloseTo(0.1156824, within(1e-12));

    Attributes resource = h.consumer.metrics().get(0).metrics().get(0).resource().attributes();
    assertThat(resource.key(0)).isEqualTo("department");
    assertThat(resource.get("department")).isEqualTo("engineering");
    assertThat(resource.get("team.id")).isEqualTo("platform");
    assertThat(resource.get("cost_center")).isEqualTo("eng-123");
    LogRecord prompt =
        h.consumer.logs().stream()
            .flatMap(b -> b.records().stream())
            .filter(r -> r.effectiveEventName().equals("user_prompt"))
            .findFirst()
            .orElseThrow();
    assertThat(prompt.attributes().get("team.id")).isEqualTo("platform");
    assertThat((String) prompt.attributes().get("prompt")).isNotEqualTo("<REDACTED>").isNotEmpty();
  }

  @Test
  void traces() {
    replay("traces");

    TracesBatch traces = h.consumer.traces().get(0);
    assertThat(traces.itemCount()).isEqualTo(25);
    Map<String, Integer> byName = new LinkedHashMap<>();
    for (Span s : traces.spans()) {
      byName.merge(s.name(), 1, Integer::sum);
    }
    assertThat(byName)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "claude_code.interaction", 1,
                "claude_code.llm_request", 7,
                "claude_code.tool", 6,
                "claude_code.tool.blocked_on_user", 6,
                "claude_code.tool.execution", 5));
    Span root = traces.spans().stream().filter(s -> s.parentSpanId().isEmpty()).findFirst().orElseThrow();
    assertThat(root.name()).isEqualTo("claude_code.interaction");
    assertThat(root.traceId()).hasSize(32);
    assertThat(root.spanId()).hasSize(16);
    assertThat(traces.spans()).allSatisfy(s -> assertThat(s.traceId()).isEqualTo(root.traceId()));
    assertThat(traces.spans()).allSatisfy(s -> assertThat(s.kind()).isEqualTo(1));
    assertThat(traces.spans().stream().mapToInt(s -> s.events().size()).sum()).isEqualTo(7);
    assertThat(root.scope().name()).isEqualTo("com.anthropic.claude_code.tracing");

    LogsBatch logs = h.consumer.logs().get(0);
    assertThat(logs.itemCount()).isEqualTo(30);
    assertThat(logs.records().stream().filter(r -> !r.traceId().isEmpty()).count()).isEqualTo(26);
    assertThat(logs.records().stream().filter(r -> !r.traceId().isEmpty()))
        .allSatisfy(r -> assertThat(r.traceId()).isEqualTo(root.traceId()));
    assertThat(byType(h.consumer.metrics(), "claude_code.token.usage")).containsEntry("input", 1008.0);
    assertThat(h.requests(Signal.TRACES, "ok")).isEqualTo(1.0);
    assertThat(h.items("gateway.accepted.items", Signal.TRACES)).isEqualTo(25.0);
  }

  private static Map<String, Integer> eventCounts(LogsBatch logs) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (LogRecord r : logs.records()) {
      counts.merge(r.effectiveEventName(), 1, Integer::sum);
    }
    return counts;
  }

  private static Metric metric(MetricsBatch batch, String name) {
    return batch.metrics().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
  }

  private static double single(MetricsBatch batch, String name) {
    Metric m = metric(batch, name);
    assertThat(m.points()).hasSize(1);
    return ((NumberPoint) m.points().get(0)).value();
  }

  /** Sum of the metric's points per {@code type} attribute, over all batches, in first-seen order. */
  private static Map<String, Double> byType(List<MetricsBatch> batches, String name) {
    Map<String, Double> sums = new LinkedHashMap<>();
    for (MetricsBatch b : batches) {
      for (Metric m : b.metrics()) {
        if (m.name().equals(name)) {
          for (var p : m.points()) {
            NumberPoint n = (NumberPoint) p;
            sums.merge(n.attributes().getString("type"), n.value(), Double::sum);
          }
        }
      }
    }
    return sums;
  }
}

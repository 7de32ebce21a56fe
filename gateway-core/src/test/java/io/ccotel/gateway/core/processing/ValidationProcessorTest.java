package io.ccotel.gateway.core.processing;

import static io.ccotel.gateway.core.processing.TestData.CLOCK;
import static io.ccotel.gateway.core.processing.TestData.T;
import static io.ccotel.gateway.core.processing.TestData.event;
import static io.ccotel.gateway.core.processing.TestData.many;
import static io.ccotel.gateway.core.processing.TestData.metric;
import static io.ccotel.gateway.core.processing.TestData.nanos;
import static io.ccotel.gateway.core.processing.TestData.point;
import static io.ccotel.gateway.core.processing.TestData.pointAt;
import static io.ccotel.gateway.core.processing.TestData.raw;
import static io.ccotel.gateway.core.processing.TestData.span;
import static io.ccotel.gateway.core.processing.TestData.spanAt;
import static io.ccotel.gateway.core.processing.TestData.sum;
import static io.ccotel.gateway.core.processing.TestData.withTimes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ValidationProcessorTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, CLOCK);

  private ValidationProcessor processor(ValidationConfig config) {
    return ValidationProcessor.create(config, metrics, CLOCK);
  }

  private ValidationProcessor processor() {
    return processor(ValidationConfig.defaults());
  }

  private static ValidationConfig with(ValidationRule rule, ValidationConfig.Mode mode) {
    return ValidationConfig.defaults().withRule(rule, mode);
  }

  /** Records what reaches the next stage and answers as told. */
  private static final class Sink implements BatchConsumer {
    final List<TelemetryBatch> got = new ArrayList<>();
    ConsumeResult answer = ConsumeResult.ok();

    @Override
    public ConsumeResult consume(TelemetryBatch batch) {
      got.add(batch);
      return answer;
    }
  }

  private double rejectedCount(String signal, String reason) {
    Counter c =
        registry.find("gateway.rejected.items")
            .tags("signal", signal, "transport", "validation", "reason", reason)
            .counter();
    return c == null ? 0 : c.count();
  }

  private double repairedCount(String signal, String reason) {
    Counter c = registry.find("gateway.repaired.items").tags("signal", signal, "reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  // ---------------------------------------------------------------- captures

  @Test
  void everyCapturedRequestPassesUntouched() {
    ValidationProcessor v = processor();
    List<Captures.Capture> captures = Captures.all();
    // 47 http-protobuf + 15 http-json + 12 grpc requests of CLI 2.1.328.
    assertThat(captures).hasSize(74);
    for (Captures.Capture c : captures) {
      ValidationProcessor.Result r = v.validate(c.batch());
      assertThat(r.rejected()).as(c.name()).isZero();
      assertThat(r.message()).as(c.name()).isEmpty();
      assertThat(r.repairedByRule()).as(c.name()).isEmpty();
      assertThat(r.batch()).as(c.name()).isSameAs(c.batch()).isEqualTo(c.batch());
    }
  }

  @Test
  void everyCapturedRequestReachesTheNextStageWithAnOkAnswer() {
    Sink sink = new Sink();
    BatchConsumer chain = processor().wrap(sink);
    List<Captures.Capture> captures = Captures.all();
    for (Captures.Capture c : captures) {
      assertThat(chain.consume(c.batch())).as(c.name()).isEqualTo(ConsumeResult.ok());
    }
    assertThat(sink.got).hasSize(captures.size());
    assertThat(registry.find("gateway.rejected.items").counters()).isEmpty();
    assertThat(registry.find("gateway.repaired.items").counters()).isEmpty();
  }

  @Test
  void capturedEventsAreHeldToTheSchema() {
    // The real api_request and tool_result records of a run, with one attribute broken each.
    LogsBatch logs = (LogsBatch) Captures.load("http-protobuf/basic/0001-http-logs.bin");
    List<LogRecord> broken = new ArrayList<>();
    for (LogRecord r : logs.records()) {
      String name = r.effectiveEventName();
      if (name.equals("api_request")) {
        r = attrs(r, r.attributes().toBuilder().put("cost_usd", "abc").build());
      } else if (name.equals("tool_result")) {
        r = attrs(r, r.attributes().toBuilder().put("success", "maybe").build());
      }
      broken.add(r);
    }
    ValidationProcessor.Result res = processor().validate(new LogsBatch(broken));
    assertThat(res.rejected()).isEqualTo(12);
    assertThat(res.message())
        .isEqualTo(
            "12 log records rejected: event api_request: attribute 'cost_usd' must be a non-negative number, got \"abc\"; "
                + "event tool_result: attribute 'success' must be true or false, got \"maybe\"");
    assertThat(res.batch().itemCount()).isEqualTo(18);
    assertThat(res.rejectedByRule()).containsExactly(Map.entry(ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE, 12L));
  }

  @Test
  void capturedMetricWithWrongTypeIsRejected() {
    MetricsBatch batch = (MetricsBatch) Captures.load("http-protobuf/basic/0002-http-metrics.bin");
    List<Metric> changed = new ArrayList<>();
    for (Metric m : batch.metrics()) {
      if (m.name().equals("claude_code.cost.usage")) {
        m = new Metric(m.resource(), m.scope(), m.name(), m.description(), m.unit(), MetricKind.GAUGE,
            m.temporality(), false, m.points());
      }
      changed.add(m);
    }
    ValidationProcessor.Result res = processor().validate(new MetricsBatch(changed));
    assertThat(res.message())
        .isEqualTo("1 data point rejected: claude_code.cost.usage: expected a monotonic sum, got a gauge");
    assertThat(res.batch().itemCount()).isEqualTo(12);
    assertThat(((MetricsBatch) res.batch()).metrics()).extracting(Metric::name).doesNotContain("claude_code.cost.usage");
  }

  private static LogRecord attrs(LogRecord r, Attributes a) {
    return new LogRecord(r.resource(), r.scope(), r.timeNanos(), r.observedTimeNanos(), r.severityNumber(),
        r.severityText(), r.body(), a, r.eventName(), r.traceId(), r.spanId(), r.flags(), r.droppedAttributesCount());
  }

  // ---------------------------------------------------------------- the table of invalid items

  private static final long MIN = 60_000_000_000L;
  private static final String S70K = "x".repeat(70_000);

  static Stream<Arguments> invalidItems() {
    ValidationConfig d = ValidationConfig.defaults();
    ValidationConfig dupReject = with(ValidationRule.DUPLICATE_KEYS, ValidationConfig.Mode.REJECT);
    ValidationConfig longReject = with(ValidationRule.VALUE_TOO_LONG, ValidationConfig.Mode.REJECT);
    ValidationConfig utfReject = with(ValidationRule.INVALID_UTF8, ValidationConfig.Mode.REJECT);
    String mp = "1 data point rejected: ";
    String lr = "1 log record rejected: ";
    String sp = "1 span rejected: ";
    return Stream.of(
        // Claude Code metrics
        row("cost negative", d, sum("claude_code.cost.usage", point(-1.0, "model", "opus")),
            mp + "claude_code.cost.usage: negative value -1.0 in a monotonic sum", "negative_monotonic"),
        row("token type unknown", d, sum("claude_code.token.usage", point(5, "type", "tokens", "model", "opus")),
            mp + "claude_code.token.usage: attribute 'type' must be one of input, output, cacheRead, cacheCreation, got \"tokens\"",
            "claude_code_attribute_value"),
        row("token without model", d, sum("claude_code.token.usage", point(5, "type", "input")),
            mp + "claude_code.token.usage: attribute 'model' is missing", "claude_code_missing_attribute"),
        row("token without type", d, sum("claude_code.token.usage", point(5, "model", "opus")),
            mp + "claude_code.token.usage: attribute 'type' is missing", "claude_code_missing_attribute"),
        row("token type not a string", d, sum("claude_code.token.usage", point(5, "type", 1L, "model", "opus")),
            mp + "claude_code.token.usage: attribute 'type' must be one of input, output, cacheRead, cacheCreation, got 1",
            "claude_code_attribute_value"),
        row("cost with empty model", d, sum("claude_code.cost.usage", point(0.5, "model", "")),
            mp + "claude_code.cost.usage: attribute 'model' must be a non-empty string, got \"\"",
            "claude_code_attribute_value"),
        row("lines type unknown", d, sum("claude_code.lines_of_code.count", point(3, "type", "changed")),
            mp + "claude_code.lines_of_code.count: attribute 'type' must be one of added, removed, got \"changed\"",
            "claude_code_attribute_value"),
        row("active time type unknown", d, sum("claude_code.active_time.total", point(3, "type", "idle")),
            mp + "claude_code.active_time.total: attribute 'type' must be one of user, cli, got \"idle\"",
            "claude_code_attribute_value"),
        row("edit decision without tool_name", d,
            sum("claude_code.code_edit_tool.decision", point(1, "decision", "accept")),
            mp + "claude_code.code_edit_tool.decision: attribute 'tool_name' is missing",
            "claude_code_missing_attribute"),
        row("cost as a gauge", d, metric("claude_code.cost.usage", MetricKind.GAUGE, false, point(0.5, "model", "opus")),
            mp + "claude_code.cost.usage: expected a monotonic sum, got a gauge", "claude_code_metric_type"),
        row("session count not monotonic", d, metric("claude_code.session.count", MetricKind.SUM, false, point(1)),
            mp + "claude_code.session.count: expected a monotonic sum, got a non-monotonic sum",
            "claude_code_metric_type"),
        // generic metric rules
        row("NaN in a sum", d, sum("app.requests", point(Double.NaN)),
            mp + "app.requests: non-finite value NaN in a sum", "non_finite_value"),
        row("-Inf in a monotonic sum", d, sum("app.requests", point(Double.NEGATIVE_INFINITY)),
            mp + "app.requests: non-finite value -Infinity in a sum", "non_finite_value"),
        row("negative int in a monotonic sum", d, sum("app.requests", NumberPoint.ofLong(Attributes.empty(), T - MIN, T, -5)),
            mp + "app.requests: negative value -5 in a monotonic sum", "negative_monotonic"),
        row("negative histogram sum", d, histogram(3, -2.5, List.of(1.0), List.of(1L, 2L)),
            mp + "app.latency: negative sum -2.5 in a histogram", "negative_monotonic"),
        row("histogram buckets do not fit the bounds", d, histogram(6, 1, List.of(1.0, 2.0, 3.0), List.of(1L, 2L, 3L)),
            mp + "app.latency: 3 bucket counts for 3 bounds (expected 4)", "invalid_histogram"),
        row("histogram buckets do not add up", d, histogram(7, 1, List.of(1.0), List.of(2L, 4L)),
            mp + "app.latency: bucket counts add up to 6, not to the count 7", "invalid_histogram"),
        row("histogram bounds not increasing", d, histogram(3, 1, List.of(2.0, 1.0), List.of(1L, 1L, 1L)),
            mp + "app.latency: explicit bounds are not strictly increasing finite numbers", "invalid_histogram"),
        row("histogram count beyond 2^63", d, histogram(-1, 1, List.of(), List.of()),
            mp + "app.latency: count 18446744073709551615 is out of range", "invalid_histogram"),
        row("exponential histogram buckets do not add up", d,
            metric("app.size", MetricKind.EXPONENTIAL_HISTOGRAM, false,
                new ExponentialHistogramPoint(Attributes.empty(), T - MIN, T, 5, 10, 0, 1, 0, 0, List.of(1L, 1L), 0,
                    List.of(), Double.NaN, Double.NaN, 0)),
            mp + "app.size: bucket counts add up to 3, not to the count 5", "invalid_histogram"),
        row("summary with infinite sum", d,
            metric("app.rpc", MetricKind.SUMMARY, false,
                new SummaryPoint(Attributes.empty(), T - MIN, T, 2, Double.POSITIVE_INFINITY, List.of(), 0)),
            mp + "app.rpc: non-finite sum Infinity in a summary", "non_finite_value"),
        row("empty metric name", d, sum("", point(1)), mp + "metric: empty name", "empty_name"),
        row("time in the future", d, sum("app.requests", pointAt(T, nanos("2026-11-26T00:11:00Z"), 1)),
            mp + "app.requests: time 2026-11-26T00:11:00Z is more than 10m in the future", "future_timestamp"),
        row("time beyond 2^63 ns", d, sum("app.requests", pointAt(T - MIN, -1L, 1)),
            mp + "app.requests: time 18446744073709551615 ns is more than 10m in the future", "future_timestamp"),
        row("start time in the future", d, sum("app.requests", pointAt(nanos("2026-11-26T01:00:00Z"), T, 1)),
            mp + "app.requests: start time 2026-11-26T01:00:00Z is more than 10m in the future", "future_timestamp"),
        row("time unset", d, sum("app.requests", pointAt(0, 0, 1)), mp + "app.requests: time is unset", "old_timestamp"),
        row("time before 2000", d, sum("app.requests", pointAt(0, nanos("1999-12-31T23:59:59Z"), 1)),
            mp + "app.requests: time 1999-12-31T23:59:59Z is before 2000-01-01", "old_timestamp"),
        row("too many attributes", d, sum("app.requests", point(1, many(129))),
            mp + "app.requests: 129 attributes, more than 128 (max_attributes)", "too_many_attributes"),
        row("duplicate keys (reject)", dupReject,
            sum("app.requests", NumberPoint.ofDouble(raw("model", "a", "type", "input", "model", "b"), T - MIN, T, 1)),
            mp + "app.requests: duplicate attribute key 'model'", "duplicate_keys"),
        // Claude Code events
        row("cost_usd not a number", d, event("api_request", "model", "opus", "cost_usd", "abc"),
            lr + "event api_request: attribute 'cost_usd' must be a non-negative number, got \"abc\"",
            "claude_code_attribute_value"),
        row("negative input_tokens", d, event("api_request", "model", "opus", "input_tokens", -3L),
            lr + "event api_request: attribute 'input_tokens' must be a non-negative number, got -3",
            "claude_code_attribute_value"),
        row("api_request without model", d, event("api_request", "cost_usd", 0.01),
            lr + "event api_request: attribute 'model' is missing", "claude_code_missing_attribute"),
        row("duration_ms not a number", d, event("api_request", "model", "opus", "duration_ms", "fast"),
            lr + "event api_request: attribute 'duration_ms' must be a number, got \"fast\"",
            "claude_code_attribute_value"),
        row("success not a boolean", d, event("tool_result", "tool_name", "Bash", "success", "yes"),
            lr + "event tool_result: attribute 'success' must be true or false, got \"yes\"",
            "claude_code_attribute_value"),
        row("tool_result without tool_name", d, event("tool_result", "success", "true"),
            lr + "event tool_result: attribute 'tool_name' is missing", "claude_code_missing_attribute"),
        row("tool_decision without decision", d, event("tool_decision", "tool_name", "Write"),
            lr + "event tool_decision: attribute 'decision' is missing", "claude_code_missing_attribute"),
        row("prompt_length NaN string", d, event("user_prompt", "prompt_length", "NaN"),
            lr + "event user_prompt: attribute 'prompt_length' must be a non-negative number, got \"NaN\"",
            "claude_code_attribute_value"),
        row("status_code not a number", d, event("api_error", "model", "opus", "status_code", "500x"),
            lr + "event api_error: attribute 'status_code' must be a number, got \"500x\"",
            "claude_code_attribute_value"),
        // generic log rules
        row("log record without any time", d,
            new LogRecord(TestData.RESOURCE, TestData.EVENTS_SCOPE, 0, 0, 0, "", "hello", Attributes.empty(), "", "",
                "", 0, 0),
            lr + "log record: time and observed time are both unset", "old_timestamp"),
        row("observed time in the future", d,
            withTimes(event("user_prompt", "prompt_length", "68"), 0, nanos("2026-11-26T02:00:00Z")),
            lr + "event user_prompt: observed time 2026-11-26T02:00:00Z is more than 10m in the future",
            "future_timestamp"),
        row("value too long (reject)", longReject, event("user_prompt", "prompt", S70K),
            lr + "event user_prompt: attribute 'prompt' is 70000 bytes, more than 65536 (max_attribute_value_bytes)",
            "value_too_long"),
        row("string in an array too long (reject)", longReject, event("custom", "lines", List.of("ok", S70K)),
            lr + "event custom: attribute 'lines' holds a value of 70000 bytes, more than 65536 (max_attribute_value_bytes)",
            "value_too_long"),
        row("unpaired surrogate (reject)", utfReject, event("custom", "note", "a\uD800b"),
            lr + "event custom: attribute 'note' has an unpaired surrogate (not valid UTF-8)", "invalid_utf8"),
        row("body too long (reject)", longReject,
            new LogRecord(TestData.RESOURCE, TestData.EVENTS_SCOPE, T, T, 0, "", S70K, Attributes.empty(), "", "", "",
                0, 0),
            lr + "log record: body is 70000 bytes, more than 65536 (max_attribute_value_bytes)", "value_too_long"),
        // spans
        row("span without a name", d, span("", Attributes.empty()), sp + "span: empty name", "empty_name"),
        row("span start unset", d, spanAt("claude_code.tool", 0, T, Attributes.empty()),
            sp + "span claude_code.tool: start time is unset", "old_timestamp"),
        row("span end in the future", d, spanAt("claude_code.tool", T, nanos("2026-11-26T00:30:00Z"), Attributes.empty()),
            sp + "span claude_code.tool: end time 2026-11-26T00:30:00Z is more than 10m in the future",
            "future_timestamp"),
        row("span event value too long (reject)", longReject,
            span("claude_code.tool", Attributes.empty(),
                new Span.Event("tool.output", T, Attributes.of("bash_command", "cat big", "output", S70K))),
            sp + "span claude_code.tool: in span event tool.output, attribute 'output' is 70000 bytes, more than 65536 (max_attribute_value_bytes)",
            "value_too_long"));
  }

  private static Arguments row(String name, ValidationConfig config, Object item, String message, String reason) {
    return Arguments.of(name, config, item, message, reason);
  }

  private static Metric histogram(long count, double sum, List<Double> bounds, List<Long> buckets) {
    return metric("app.latency", MetricKind.HISTOGRAM, false,
        new HistogramPoint(Attributes.empty(), T - MIN, T, count, sum, bounds, buckets, Double.NaN, Double.NaN, 0));
  }

  @Test
  void theTableHasEnoughCases() {
    assertThat(invalidItems().count()).isGreaterThanOrEqualTo(25);
  }

  /** Each invalid item travels with a valid one: the valid one goes on, the invalid one is reported. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidItems")
  void invalidItemIsRejectedWithItsReason(
      String name, ValidationConfig config, Object item, String message, String reason) {
    TelemetryBatch batch;
    TelemetryBatch valid;
    String signal;
    if (item instanceof Metric m) {
      Metric ok = sum("claude_code.session.count", point(1, "start_type", "fresh"));
      batch = new MetricsBatch(List.of(ok, m));
      valid = new MetricsBatch(List.of(ok));
      signal = "metrics";
    } else if (item instanceof LogRecord r) {
      LogRecord ok = event("user_prompt", "prompt_length", "68");
      batch = new LogsBatch(List.of(ok, r));
      valid = new LogsBatch(List.of(ok));
      signal = "logs";
    } else {
      Span ok = span("claude_code.interaction", Attributes.of("user_prompt_length", 68L));
      batch = new TracesBatch(List.of(ok, (Span) item));
      valid = new TracesBatch(List.of(ok));
      signal = "traces";
    }
    Sink sink = new Sink();
    ConsumeResult result = processor(config).wrap(sink).consume(batch);

    assertThat(result.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(result.rejectedItems()).isEqualTo(1);
    assertThat(result.message()).isEqualTo(message);
    assertThat(sink.got).containsExactly(valid);
    assertThat(rejectedCount(signal, reason)).isEqualTo(1.0);
    assertThat(registry.find("gateway.rejected.items").counters()).hasSize(1);
  }

  // ---------------------------------------------------------------- modes: reject, repair, pass

  @Test
  void negativeMonotonicRepairClampsToZeroAndPassLetsItThrough() {
    MetricsBatch batch = new MetricsBatch(List.of(sum("claude_code.cost.usage", point(-1.0, "model", "opus"))));

    Sink sink = new Sink();
    ConsumeResult r =
        processor(with(ValidationRule.NEGATIVE_MONOTONIC, ValidationConfig.Mode.REPAIR)).wrap(sink).consume(batch);
    assertThat(r).isEqualTo(ConsumeResult.ok());
    assertThat(sink.got).containsExactly(
        new MetricsBatch(List.of(sum("claude_code.cost.usage", point(0.0, "model", "opus")))));
    assertThat(repairedCount("metrics", "negative_monotonic")).isEqualTo(1.0);

    ValidationProcessor.Result pass =
        processor(with(ValidationRule.NEGATIVE_MONOTONIC, ValidationConfig.Mode.PASS)).validate(batch);
    assertThat(pass.batch()).isSameAs(batch);
    assertThat(pass.rejected()).isZero();
  }

  @Test
  void negativeHistogramSumIsRemovedByRepair() {
    Metric m = histogram(3, -2.5, List.of(1.0), List.of(1L, 2L));
    ValidationProcessor.Result r =
        processor(with(ValidationRule.NEGATIVE_MONOTONIC, ValidationConfig.Mode.REPAIR))
            .validate(new MetricsBatch(List.of(m)));
    HistogramPoint p = (HistogramPoint) ((MetricsBatch) r.batch()).metrics().get(0).points().get(0);
    assertThat(p.hasSum()).isFalse();
    assertThat(p.count()).isEqualTo(3);
    assertThat(p.bucketCounts()).containsExactly(1L, 2L);
  }

  @Test
  void valueTooLongIsCutWithAMarkerByDefault() {
    ValidationConfig small =
        new ValidationConfig(true, Duration.ofMinutes(10), 128, 256, Map.of());
    LogRecord r = event("user_prompt", "prompt", "a".repeat(300), "prompt_text", "é".repeat(200), "prompt_length", "300");
    ValidationProcessor.Result res = processor(small).validate(new LogsBatch(List.of(r)));

    LogRecord out = ((LogsBatch) res.batch()).records().get(0);
    // 256 bytes at most: 220 kept + "…[truncated by gateway: 80 bytes]" (35 bytes).
    assertThat(out.attributes().get("prompt")).isEqualTo("a".repeat(220) + "…[truncated by gateway: 80 bytes]");
    // é is 2 bytes: 110 of them (220 bytes) kept of 400, never half a character.
    assertThat(out.attributes().get("prompt_text")).isEqualTo("é".repeat(110) + "…[truncated by gateway: 180 bytes]");
    assertThat(Texts.utf8Length((String) out.attributes().get("prompt"))).isEqualTo(255);
    assertThat(out.attributes().get("prompt_length")).isEqualTo("300");
    assertThat(res.rejected()).isZero();
    assertThat(res.repairedByRule()).containsExactly(Map.entry(ValidationRule.VALUE_TOO_LONG, 1L));
  }

  @Test
  void surrogatePairIsNeverSplitWhenCutting() {
    ValidationConfig small = new ValidationConfig(true, Duration.ofMinutes(10), 128, 256, Map.of());
    // 😀 is 2 chars, 4 bytes: 1 + 54 * 4 = 217 bytes fit the 220-byte budget; a 55th would not.
    String emoji = "😀".repeat(100);
    LogRecord r = event("custom", "text", "x" + emoji);
    LogRecord out = ((LogsBatch) processor(small).validate(new LogsBatch(List.of(r))).batch()).records().get(0);
    assertThat(out.attributes().get("text")).isEqualTo("x" + "😀".repeat(54) + "…[truncated by gateway: 184 bytes]");
  }

  @Test
  void duplicateKeysRepairKeepsTheLastValue() {
    NumberPoint p = NumberPoint.ofDouble(raw("model", "a", "type", "input", "model", "b"), T - MIN, T, 5);
    ValidationProcessor.Result res =
        processor().validate(new MetricsBatch(List.of(sum("claude_code.token.usage", p))));
    NumberPoint out = (NumberPoint) ((MetricsBatch) res.batch()).metrics().get(0).points().get(0);
    assertThat(out.attributes()).isEqualTo(Attributes.of("model", "b", "type", "input"));
    assertThat(res.repairedByRule()).containsExactly(Map.entry(ValidationRule.DUPLICATE_KEYS, 1L));

    ValidationProcessor.Result pass =
        processor(with(ValidationRule.DUPLICATE_KEYS, ValidationConfig.Mode.PASS))
            .validate(new MetricsBatch(List.of(sum("claude_code.token.usage", p))));
    assertThat(((MetricsBatch) pass.batch()).metrics().get(0).points().get(0).attributes().size()).isEqualTo(3);
  }

  @Test
  void unpairedSurrogatesBecomeReplacementCharactersButRealPairsAndFffdStay() {
    LogRecord r = event("custom", "note", "ab\uD800c", "k\uDC00", "v", "ok", "😀 \uFFFD");
    ValidationProcessor.Result res = processor().validate(new LogsBatch(List.of(r)));
    LogRecord out = ((LogsBatch) res.batch()).records().get(0);
    assertThat(out.attributes())
        .isEqualTo(raw("event.name", "custom", "note", "ab\uFFFDc", "k\uFFFD", "v", "ok", "😀 \uFFFD"));
    assertThat(res.repairedByRule()).containsExactly(Map.entry(ValidationRule.INVALID_UTF8, 1L));

    // A U+FFFD alone is a valid character: nothing to do.
    LogsBatch fine = new LogsBatch(List.of(event("custom", "output", "binary \uFFFD\uFFFD")));
    assertThat(processor().validate(fine).batch()).isSameAs(fine);
  }

  @Test
  void protobufRefusesInvalidUtf8WhileDecoding() {
    // Why invalid_utf8 looks only for unpaired surrogates: invalid bytes never reach the model.
    byte[] bytes =
        KeyValue.newBuilder().setKey("k").setValue(AnyValue.newBuilder().setStringValue("abc")).build().toByteArray();
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 'a') {
        bytes[i] = (byte) 0xff;
      }
    }
    assertThatThrownBy(() -> KeyValue.parseFrom(bytes)).isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void futureTimestampRepairUsesTheGatewayClock() {
    long future = nanos("2026-11-26T03:00:00Z");
    long now = nanos("2026-11-26T00:00:00Z");
    ValidationConfig repair = with(ValidationRule.FUTURE_TIMESTAMP, ValidationConfig.Mode.REPAIR);
    ValidationProcessor.Result res =
        processor(repair).validate(new MetricsBatch(List.of(sum("app.requests", pointAt(future - MIN, future, 1)))));
    NumberPoint p = (NumberPoint) ((MetricsBatch) res.batch()).metrics().get(0).points().get(0);
    assertThat(p.timeNanos()).isEqualTo(now);
    assertThat(p.startTimeNanos()).isEqualTo(now);

    LogRecord r = withTimes(event("user_prompt", "prompt_length", "1"), future, future);
    LogRecord out = ((LogsBatch) processor(repair).validate(new LogsBatch(List.of(r))).batch()).records().get(0);
    assertThat(out.timeNanos()).isEqualTo(now);
    assertThat(out.observedTimeNanos()).isEqualTo(now);

    // Within the skew: untouched.
    LogsBatch ok = new LogsBatch(List.of(withTimes(r, now + 9 * MIN, now + 9 * MIN)));
    assertThat(processor().validate(ok).batch()).isSameAs(ok);
  }

  @Test
  void logTimeMayBeUnsetWhenObservedTimeIsSet() {
    LogsBatch b = new LogsBatch(List.of(withTimes(event("user_prompt", "prompt_length", "1"), 0, T)));
    assertThat(processor().validate(b).batch()).isSameAs(b);
  }

  @Test
  void tooManyAttributesRepairKeepsTheFirstAndCountsTheRestAsDropped() {
    ValidationConfig repair = with(ValidationRule.TOO_MANY_ATTRIBUTES, ValidationConfig.Mode.REPAIR);
    LogRecord r = event("custom", many(130));
    LogRecord out = ((LogsBatch) processor(repair).validate(new LogsBatch(List.of(r))).batch()).records().get(0);
    assertThat(out.attributes().size()).isEqualTo(128);
    assertThat(out.attributes().key(0)).isEqualTo("event.name");
    assertThat(out.attributes().key(127)).isEqualTo("a126");
    assertThat(out.droppedAttributesCount()).isEqualTo(3);

    LogsBatch passed = new LogsBatch(List.of(r));
    ValidationConfig pass = with(ValidationRule.TOO_MANY_ATTRIBUTES, ValidationConfig.Mode.PASS);
    assertThat(processor(pass).validate(passed).batch()).isSameAs(passed);
  }

  @Test
  void schemaRulesCanBeTurnedOff() {
    LogsBatch b = new LogsBatch(List.of(event("api_request", "cost_usd", "abc")));
    ValidationConfig off =
        ValidationConfig.defaults()
            .withRule(ValidationRule.CLAUDE_CODE_MISSING_ATTRIBUTE, ValidationConfig.Mode.PASS)
            .withRule(ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE, ValidationConfig.Mode.PASS);
    assertThat(processor(off).validate(b).batch()).isSameAs(b);
    // Missing model off, values still on: the bad cost_usd is what is reported.
    ValidationConfig valuesOnly = ValidationConfig.defaults()
        .withRule(ValidationRule.CLAUDE_CODE_MISSING_ATTRIBUTE, ValidationConfig.Mode.PASS);
    assertThat(processor(valuesOnly).validate(b).message())
        .isEqualTo("1 log record rejected: event api_request: attribute 'cost_usd' must be a non-negative number, got \"abc\"");
  }

  @Test
  void numbersMayArriveAsStringsAndDriftIsTolerated() {
    LogsBatch b =
        new LogsBatch(
            List.of(
                event("api_request", "model", "opus", "cost_usd", "0.0143108", "input_tokens", "111",
                    "duration_ms", 95L, "ttft_ms", 4.5e1, "brand_new_attribute", List.of()),
                event("tool_result", "tool_name", "Bash", "success", true, "duration_ms", "82",
                    "tool_input_size_bytes", "52"),
                event("tool_result", "tool_name", "Bash", "success", "false"),
                event("api_error", "model", "opus", "error", "connection refused"), // no status_code
                event("some_future_event", "whatever", 1L),
                // Not a Claude Code event (other scope, other body): its api_request is not checked.
                new LogRecord(TestData.RESOURCE, io.ccotel.gateway.core.model.Scope.of("other", "1"), T, T, 0, "",
                    "hello", Attributes.of("event.name", "api_request"), "", "", "", 0, 0)));
    ValidationProcessor.Result r = processor().validate(b);
    assertThat(r.rejected()).isZero();
    assertThat(r.batch()).isSameAs(b);

    MetricsBatch m = new MetricsBatch(List.of(
        sum("claude_code.cost.usage", point(0.5, "model", "opus", "speed", "fast", "new_dimension", "x")),
        metric("app.temperature", MetricKind.GAUGE, false, point(Double.NaN)),
        metric("app.balance", MetricKind.SUM, false, point(-3))));
    assertThat(processor().validate(m).batch()).isSameAs(m);
  }

  @Test
  void pointsWithNoRecordedValueAreNotValueChecked() {
    NumberPoint p = new NumberPoint(Attributes.empty(), T - MIN, T, true, Double.NaN, 0, 1);
    MetricsBatch b = new MetricsBatch(List.of(sum("app.requests", p)));
    assertThat(processor().validate(b).batch()).isSameAs(b);
  }

  // ---------------------------------------------------------------- the answer

  @Test
  void partialAnswerCombinesWithTheNextStagesAnswer() {
    Sink sink = new Sink();
    sink.answer = ConsumeResult.partial(2, "2 data points refused by the prometheus exporter: series limit 100000 reached");
    MetricsBatch batch = new MetricsBatch(List.of(
        sum("claude_code.cost.usage", point(-1.0, "model", "opus")),
        sum("claude_code.token.usage", point(5, "type", "input", "model", "opus"), point(6, "type", "output", "model", "opus"))));

    ConsumeResult r = processor().wrap(sink).consume(batch);

    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(3);
    assertThat(r.message())
        .isEqualTo("1 data point rejected: claude_code.cost.usage: negative value -1.0 in a monotonic sum; "
            + "2 data points refused by the prometheus exporter: series limit 100000 reached");
    assertThat(sink.got.get(0).itemCount()).isEqualTo(2);
  }

  @Test
  void retryableAnswerOfTheNextStageWins() {
    Sink sink = new Sink();
    sink.answer = ConsumeResult.retryable("queue full", Duration.ofSeconds(5));
    MetricsBatch batch = new MetricsBatch(List.of(
        sum("claude_code.cost.usage", point(-1.0, "model", "opus")), sum("claude_code.commit.count", point(1))));
    assertThat(processor().wrap(sink).consume(batch)).isEqualTo(sink.answer);
  }

  @Test
  void whenEverythingIsRejectedTheAnswerIsStillPartialAndNextIsNotCalled() {
    Sink sink = new Sink();
    MetricsBatch batch = new MetricsBatch(List.of(
        sum("claude_code.cost.usage", point(-1.0, "model", "opus"), point(-2.0, "model", "opus")),
        sum("claude_code.token.usage", point(5, "type", "tokens", "model", "opus"))));

    ConsumeResult r = processor().wrap(sink).consume(batch);

    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(3);
    assertThat(r.message())
        .isEqualTo("3 data points rejected: claude_code.cost.usage: negative value -1.0 in a monotonic sum; "
            + "claude_code.cost.usage: negative value -2.0 in a monotonic sum; "
            + "claude_code.token.usage: attribute 'type' must be one of input, output, cacheRead, cacheCreation, got \"tokens\"");
    assertThat(sink.got).isEmpty();
    assertThat(rejectedCount("metrics", "negative_monotonic")).isEqualTo(2.0);
    assertThat(rejectedCount("metrics", "claude_code_attribute_value")).isEqualTo(1.0);
  }

  @Test
  void messageListsThreeDistinctReasonsAndCountsTheRest() {
    MetricsBatch batch = new MetricsBatch(List.of(
        sum("a", point(-1.0), point(-1.0), point(-1.0)), // one reason, three times
        sum("b", point(Double.NaN)),
        sum("c", pointAt(0, 0, 1)),
        sum("d", point(-4.0), point(-5.0))));
    ValidationProcessor.Result r = processor().validate(batch);
    assertThat(r.rejected()).isEqualTo(7);
    assertThat(r.message())
        .isEqualTo("7 data points rejected: a: negative value -1.0 in a monotonic sum; b: non-finite value NaN in a sum; "
            + "c: time is unset; 2 more for other reasons");
    assertThat(r.batch().isEmpty()).isTrue();
  }

  @Test
  void metricWhosePointsAreAllRejectedDisappearsOthersStayShared() {
    Metric good = sum("claude_code.commit.count", point(1));
    MetricsBatch batch = new MetricsBatch(List.of(good, sum("claude_code.cost.usage", point(-1.0, "model", "m"))));
    MetricsBatch out = (MetricsBatch) processor().validate(batch).batch();
    assertThat(out.metrics()).hasSize(1);
    assertThat(out.metrics().get(0)).isSameAs(good);
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void configDefaults() {
    ValidationConfig d = ValidationConfig.defaults();
    assertThat(d.enabled()).isTrue();
    assertThat(d.maxFutureSkew()).isEqualTo(Duration.ofMinutes(10));
    assertThat(d.maxAttributes()).isEqualTo(128);
    assertThat(d.maxAttributeValueBytes()).isEqualTo(65536);
    assertThat(d.rules()).hasSize(ValidationRule.values().length);
    assertThat(d.mode(ValidationRule.VALUE_TOO_LONG)).isEqualTo(ValidationConfig.Mode.REPAIR);
    assertThat(d.mode(ValidationRule.DUPLICATE_KEYS)).isEqualTo(ValidationConfig.Mode.REPAIR);
    assertThat(d.mode(ValidationRule.INVALID_UTF8)).isEqualTo(ValidationConfig.Mode.REPAIR);
    assertThat(d.mode(ValidationRule.NEGATIVE_MONOTONIC)).isEqualTo(ValidationConfig.Mode.REJECT);
    assertThat(ValidationConfig.parse(io.ccotel.gateway.core.config.ConfigNode.empty("validation"))).isEqualTo(d);
  }

  @Test
  void configParsesEveryKey() {
    Map<String, Object> rules = new LinkedHashMap<>();
    rules.put("negative_monotonic", "repair");
    rules.put("claude_code_attribute_value", "pass");
    rules.put("duplicate_keys", "reject");
    Map<String, Object> yaml = new LinkedHashMap<>();
    yaml.put("enabled", false);
    yaml.put("max_future_skew", "1h");
    yaml.put("max_attributes", 64);
    yaml.put("max_attribute_value_bytes", "16KiB");
    yaml.put("rules", rules);
    ValidationConfig c = ValidationConfig.parse(new io.ccotel.gateway.core.config.ConfigNode("validation", yaml));
    assertThat(c.enabled()).isFalse();
    assertThat(c.maxFutureSkew()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxAttributes()).isEqualTo(64);
    assertThat(c.maxAttributeValueBytes()).isEqualTo(16384);
    assertThat(c.mode(ValidationRule.NEGATIVE_MONOTONIC)).isEqualTo(ValidationConfig.Mode.REPAIR);
    assertThat(c.mode(ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE)).isEqualTo(ValidationConfig.Mode.PASS);
    assertThat(c.mode(ValidationRule.DUPLICATE_KEYS)).isEqualTo(ValidationConfig.Mode.REJECT);
    assertThat(c.mode(ValidationRule.EMPTY_NAME)).isEqualTo(ValidationConfig.Mode.REJECT);
  }

  static Stream<Arguments> badConfigs() {
    return Stream.of(
        Arguments.of(Map.of("max_atributes", 3),
            "validation.max_atributes: unknown key; known keys here: enabled, max_attribute_value_bytes, max_attributes, max_future_skew, rules"),
        Arguments.of(Map.of("rules", Map.of("negative_values", "reject")),
            "validation.rules.negative_values: unknown key; known keys here: claude_code_attribute_value, "
                + "claude_code_metric_type, claude_code_missing_attribute, duplicate_keys, empty_name, future_timestamp, "
                + "invalid_histogram, invalid_utf8, negative_monotonic, non_finite_value, old_timestamp, "
                + "too_many_attributes, value_too_long"),
        Arguments.of(Map.of("rules", Map.of("empty_name", "repair")),
            "validation.rules.empty_name: this rule has no repair; use reject or pass"),
        Arguments.of(Map.of("rules", Map.of("duplicate_keys", "drop")),
            "validation.rules.duplicate_keys: expected one of reject, repair, pass, got \"drop\""),
        Arguments.of(Map.of("max_attribute_value_bytes", "100"),
            "validation.max_attribute_value_bytes: must be between 256 and 67108864, got 100"),
        Arguments.of(Map.of("max_future_skew", "ten minutes"),
            "validation.max_future_skew: expected a duration such as 500ms, 30s, 5m, 24h or 7d, got \"ten minutes\""));
  }

  @ParameterizedTest
  @MethodSource("badConfigs")
  void badConfigIsRefusedNamingTheKey(Map<String, Object> yaml, String message) {
    assertThatThrownBy(() -> ValidationConfig.parse(new io.ccotel.gateway.core.config.ConfigNode("validation", yaml)))
        .isInstanceOf(io.ccotel.gateway.core.config.ConfigException.class)
        .hasMessage(message);
  }
}

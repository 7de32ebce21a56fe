package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the validation knows about Claude Code's metrics and events (shared/docs
 * claude-code-telemetry.md, checked against the captures of CLI 2.1.328).
 *
 * <p>Drift is normal: unknown metrics, events and attributes pass; an attribute is required only
 * when every known CLI version sends it and the item means nothing without it (the {@code type}
 * that splits a counter, the {@code model} of a cost). Everything else is checked only when
 * present. Numbers may arrive as numbers or as numeric strings (2.1.328 sends {@code tool_result}
 * sizes and durations and {@code user_prompt.prompt_length} as strings), and booleans as
 * {@code "true"}/{@code "false"}.
 */
final class ClaudeCodeSchema {
  /** One finding: the rule it breaks and the text for the client (without the item's name). */
  record Violation(ValidationRule rule, String message) {}

  private static final Pattern NUMBER = Pattern.compile("-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");

  private static final Map<String, Spec> METRICS =
      Map.of(
          "claude_code.session.count", new Spec(),
          "claude_code.token.usage",
              new Spec().oneOf("type", "input", "output", "cacheRead", "cacheCreation").required("model"),
          "claude_code.cost.usage", new Spec().required("model"),
          "claude_code.lines_of_code.count", new Spec().oneOf("type", "added", "removed"),
          "claude_code.commit.count", new Spec(),
          "claude_code.pull_request.count", new Spec(),
          "claude_code.active_time.total", new Spec().oneOf("type", "user", "cli"),
          "claude_code.code_edit_tool.decision", new Spec().required("tool_name").required("decision"));

  private static final Map<String, Spec> EVENTS =
      Map.of(
          "api_request",
              new Spec()
                  .required("model")
                  .count("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
                      "cache_creation_5m_tokens", "cache_creation_1h_tokens", "cost_usd", "cost_usd_micros")
                  .number("duration_ms", "ttft_ms"),
          "api_error", new Spec().required("model").number("status_code", "duration_ms", "attempt"),
          "api_retries_exhausted", new Spec().number("status_code", "total_attempts", "total_retry_duration_ms"),
          "tool_result",
              new Spec()
                  .required("tool_name")
                  .bool("success")
                  .number("duration_ms")
                  .count("tool_input_size_bytes", "tool_result_size_bytes"),
          "tool_decision", new Spec().required("tool_name").required("decision"),
          "user_prompt", new Spec().count("prompt_length"),
          "assistant_response", new Spec().count("response_length"));

  private ClaudeCodeSchema() {}

  /** Whether this is one of the eight Claude Code metrics. */
  static boolean isKnownMetric(String name) {
    return METRICS.containsKey(name);
  }

  /** For a known Claude Code metric that is not a monotonic sum, what it is instead; else null. */
  static String wrongKind(Metric m) {
    if (!METRICS.containsKey(m.name()) || (m.kind() == MetricKind.SUM && m.monotonic())) {
      return null;
    }
    String got =
        switch (m.kind()) {
          case GAUGE -> "a gauge";
          case SUM -> "a non-monotonic sum";
          case HISTOGRAM -> "a histogram";
          case EXPONENTIAL_HISTOGRAM -> "an exponential histogram";
          case SUMMARY -> "a summary";
        };
    return "expected a monotonic sum, got " + got;
  }

  /**
   * The first problem of a Claude Code metric point's attributes among the rules turned on, or
   * null (also for metrics this schema does not know).
   */
  static Violation checkMetricPoint(String metric, Attributes a, boolean missingOn, boolean valueOn) {
    Spec spec = METRICS.get(metric);
    return spec == null ? null : spec.check(a, missingOn, valueOn);
  }

  /**
   * Whether a log record is a Claude Code event: its scope is Claude Code's, or its body is
   * {@code claude_code.<name>} (what every CLI version sends). Other clients' events named, say,
   * {@code api_request} are not held to Claude Code's schema.
   */
  static boolean isClaudeCodeEvent(LogRecord r) {
    return r.scope().name().startsWith("com.anthropic.claude_code")
        || (r.body() instanceof String s && s.startsWith("claude_code."));
  }

  /** The first problem of a Claude Code event's attributes among the rules turned on, or null. */
  static Violation checkEvent(String event, Attributes a, boolean missingOn, boolean valueOn) {
    Spec spec = EVENTS.get(event);
    return spec == null ? null : spec.check(a, missingOn, valueOn);
  }

  /** Whether {@code v} is a finite number or a string that reads as one; null if not. */
  static Double numeric(Object v) {
    if (v instanceof Long l) {
      return l.doubleValue();
    }
    if (v instanceof Double d) {
      return Double.isFinite(d) ? d : null;
    }
    if (v instanceof String s && NUMBER.matcher(s).matches()) {
      double d = Double.parseDouble(s);
      return Double.isFinite(d) ? d : null;
    }
    return null;
  }

  private enum Kind {
    REQUIRED,
    ONE_OF,
    NUMBER,
    COUNT,
    BOOL
  }

  private record Check(Kind kind, String key, List<String> allowed) {}

  /** The checks of one metric or event, in the order they run (the first finding wins). */
  private static final class Spec {
    private final List<Check> checks = new ArrayList<>();

    Spec required(String key) {
      checks.add(new Check(Kind.REQUIRED, key, List.of()));
      return this;
    }

    Spec oneOf(String key, String... allowed) {
      checks.add(new Check(Kind.ONE_OF, key, List.of(allowed)));
      return this;
    }

    Spec number(String... keys) {
      for (String k : keys) {
        checks.add(new Check(Kind.NUMBER, k, List.of()));
      }
      return this;
    }

    /** Non-negative numbers: token counts, costs, sizes. */
    Spec count(String... keys) {
      for (String k : keys) {
        checks.add(new Check(Kind.COUNT, k, List.of()));
      }
      return this;
    }

    Spec bool(String key) {
      checks.add(new Check(Kind.BOOL, key, List.of()));
      return this;
    }

    Violation check(Attributes a, boolean missingOn, boolean valueOn) {
      for (Check c : checks) {
        Object v = a.get(c.key());
        if (v == null) {
          if (missingOn && (c.kind() == Kind.REQUIRED || c.kind() == Kind.ONE_OF)) {
            return new Violation(
                ValidationRule.CLAUDE_CODE_MISSING_ATTRIBUTE, "attribute '" + c.key() + "' is missing");
          }
          continue;
        }
        if (!valueOn) {
          continue;
        }
        String problem =
            switch (c.kind()) {
              case REQUIRED -> v instanceof String s && !s.isEmpty() ? null : "must be a non-empty string";
              case ONE_OF -> c.allowed().contains(v) ? null : "must be one of " + String.join(", ", c.allowed());
              case NUMBER -> numeric(v) != null ? null : "must be a number";
              case COUNT -> {
                Double d = numeric(v);
                yield d != null && d >= 0 ? null : "must be a non-negative number";
              }
              case BOOL ->
                  v instanceof Boolean || "true".equals(v) || "false".equals(v) ? null : "must be true or false";
            };
        if (problem != null) {
          return new Violation(
              ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE,
              "attribute '" + c.key() + "' " + problem + ", got " + Texts.describe(v));
        }
      }
      return null;
    }
  }
}

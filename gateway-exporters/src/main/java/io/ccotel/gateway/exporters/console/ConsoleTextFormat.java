package io.ccotel.gateway.exporters.console;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Span;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One readable line per item. Events: time, event name, the session id shortened to 8 characters,
 * then the attributes that matter for that event (unknown events: up to {@value #MAX_GENERIC}
 * attributes that are not ids, standard or content). Metrics: one summary line per batch with the
 * sums of the Claude Code counters in it. Spans: name, duration and trace id prefix.
 *
 * <p>Prompt, response, tool input and request bodies are never printed here, whatever reached the
 * exporter. Values with spaces, quotes or {@code =} are quoted as JSON strings; long ones are cut.
 * Not thread-safe (one queue worker).
 */
final class ConsoleTextFormat {
  static final int MAX_GENERIC = 6;
  private static final int MAX_VALUE_CHARS = 120;
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** Attributes every Claude Code record carries, or ids: left out of the generic listing. */
  private static final Set<String> STANDARD =
      Set.of(
          "session.id",
          "user.id",
          "user.email",
          "user.account_uuid",
          "user.account_id",
          "organization.id",
          "terminal.type",
          "event.name",
          "event.timestamp",
          "event.sequence",
          "prompt.id",
          "request_id",
          "client_request_id",
          "tool_use_id",
          "message.uuid",
          "message.id",
          "request_body_id");

  /** Attributes that may hold prompts, answers, code or secrets: never printed in text mode. */
  private static final Set<String> CONTENT =
      Set.of(
          "prompt",
          "prompt_text",
          "response",
          "body",
          "tool_parameters",
          "tool_input",
          "user_prompt",
          "full_command",
          "bash_command");

  private final Clock clock;

  ConsoleTextFormat(Clock clock) {
    this.clock = clock;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  void log(StringBuilder sb, LogRecord r) {
    int start = sb.length();
    try {
      time(sb, r.effectiveTimeNanos());
      String name = r.effectiveEventName();
      Attributes a = r.attributes();
      sb.append(' ').append(name.isEmpty() ? "log" : name);
      String session = a.getString("session.id");
      if (session != null && !session.isEmpty()) {
        sb.append(" session=").append(session, 0, Math.min(8, session.length()));
      }
      switch (name) {
        case "user_prompt" -> fields(sb, a, "prompt_length");
        case "api_request" -> {
          fields(sb, a, "model", "cost_usd");
          if (a.get("input_tokens") != null
              || a.get("output_tokens") != null
              || a.get("cache_read_tokens") != null
              || a.get("cache_creation_tokens") != null) {
            sb.append(" tokens");
            field(sb, a, "input_tokens", "in");
            field(sb, a, "output_tokens", "out");
            field(sb, a, "cache_read_tokens", "cache_read");
            field(sb, a, "cache_creation_tokens", "cache_creation");
          }
          fields(sb, a, "duration_ms");
        }
        case "api_error" -> fields(sb, a, "model", "status_code", "attempt", "duration_ms", "error");
        case "api_retries_exhausted" ->
            fields(sb, a, "model", "status_code", "total_attempts", "total_retry_duration_ms", "error");
        case "tool_result" -> fields(sb, a, "tool_name", "success", "duration_ms", "error");
        case "tool_decision" -> fields(sb, a, "tool_name", "decision", "source");
        case "assistant_response" -> fields(sb, a, "model", "response_length");
        case "" -> {
          if (r.severityNumber() != 0 || !r.severityText().isEmpty()) {
            sb.append(" severity=")
                .append(r.severityText().isEmpty() ? Integer.toString(r.severityNumber()) : r.severityText());
          }
          if (r.body() != null) {
            sb.append(" body=");
            value(sb, r.body());
          }
          generic(sb, a, r.resource().attributes());
        }
        default -> generic(sb, a, r.resource().attributes());
      }
      sb.append('\n');
    } catch (RuntimeException e) {
      sb.setLength(start);
      sb.append("console exporter: cannot print a log record (").append(e.getClass().getSimpleName()).append(")\n");
    }
  }

  private static void fields(StringBuilder sb, Attributes a, String... keys) {
    for (String k : keys) {
      field(sb, a, k, k);
    }
  }

  private static void field(StringBuilder sb, Attributes a, String key, String shown) {
    Object v = a.get(key);
    if (v != null) {
      sb.append(' ').append(shown).append('=');
      value(sb, v);
    }
  }

  private static void generic(StringBuilder sb, Attributes a, Attributes resource) {
    int shown = 0;
    for (int i = 0; i < a.size() && shown < MAX_GENERIC; i++) {
      String k = a.key(i);
      if (STANDARD.contains(k)
          || CONTENT.contains(k)
          || k.startsWith("anthropic.")
          || k.startsWith("app.")
          || k.startsWith("vcs.")
          || a.value(i).equals(resource.get(k))) {
        continue; // the standard set, and the copies of resource attributes Claude Code adds
      }
      sb.append(' ').append(k).append('=');
      value(sb, a.value(i));
      shown++;
    }
  }

  private static void value(StringBuilder sb, Object v) {
    String s = text(v);
    if (s.length() > MAX_VALUE_CHARS) {
      s = s.substring(0, MAX_VALUE_CHARS) + "...";
    }
    boolean quote = s.isEmpty();
    for (int i = 0; i < s.length() && !quote; i++) {
      char c = s.charAt(i);
      quote = c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f;
    }
    if (quote) {
      Attributes.appendJsonString(sb, s);
    } else {
      sb.append(s);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Metrics

  /**
   * {@code <time> metrics: 8 metrics, 13 points, cost_usd=0.1157 tokens=116481 session.count=1
   * ...}: the sums of the values of the Claude Code counters in the batch (for cumulative input
   * those are running totals). The time is the latest point time in the batch.
   */
  void metrics(StringBuilder sb, MetricsBatch batch) {
    int start = sb.length();
    try {
      long latest = 0;
      int points = 0;
      double cost = 0;
      double tokens = 0;
      boolean hasCost = false;
      boolean hasTokens = false;
      Map<String, Double> others = new LinkedHashMap<>();
      for (Metric m : batch.metrics()) {
        points += m.points().size();
        for (DataPoint p : m.points()) {
          latest = Math.max(latest, p.timeNanos());
        }
        if (m.kind() != MetricKind.SUM || !m.name().startsWith("claude_code.")) {
          continue;
        }
        double total = 0;
        for (DataPoint p : m.points()) {
          NumberPoint n = (NumberPoint) p;
          if (!n.noRecordedValue() && Double.isFinite(n.value())) {
            total += n.value();
          }
        }
        switch (m.name()) {
          case "claude_code.cost.usage" -> {
            cost += total;
            hasCost = true;
          }
          case "claude_code.token.usage" -> {
            tokens += total;
            hasTokens = true;
          }
          default -> others.merge(m.name().substring("claude_code.".length()), total, Double::sum);
        }
      }
      time(sb, latest != 0 ? latest : clock.millis() * 1_000_000L);
      sb.append(" metrics: ")
          .append(batch.metrics().size())
          .append(batch.metrics().size() == 1 ? " metric, " : " metrics, ")
          .append(points)
          .append(points == 1 ? " point" : " points");
      String sep = ", ";
      if (hasCost) {
        sb.append(sep).append("cost_usd=").append(String.format(Locale.ROOT, "%.4f", cost));
        sep = " ";
      }
      if (hasTokens) {
        sb.append(sep).append("tokens=").append(number(tokens, 0));
        sep = " ";
      }
      for (Map.Entry<String, Double> e : others.entrySet()) {
        sb.append(sep).append(e.getKey()).append('=').append(number(e.getValue(), 3));
        sep = " ";
      }
      sb.append('\n');
    } catch (RuntimeException e) {
      sb.setLength(start);
      sb.append("console exporter: cannot summarize a metrics batch (").append(e.getClass().getSimpleName()).append(")\n");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Spans

  /** {@code <start> span claude_code.tool duration_ms=82.5 trace=4bf92f35 session=ed1d3fc4}. */
  void span(StringBuilder sb, Span s) {
    int start = sb.length();
    try {
      time(sb, s.startTimeNanos());
      sb.append(" span ").append(s.name().isEmpty() ? "(unnamed)" : s.name());
      if (s.endTimeNanos() >= s.startTimeNanos() && s.startTimeNanos() != 0) {
        sb.append(" duration_ms=").append(number((s.endTimeNanos() - s.startTimeNanos()) / 1e6, 1));
      }
      if (!s.traceId().isEmpty()) {
        sb.append(" trace=").append(s.traceId(), 0, Math.min(8, s.traceId().length()));
      }
      String session = s.attributes().getString("session.id");
      if (session == null) {
        session = s.attributes().getString("gen_ai.conversation.id");
      }
      if (session != null && !session.isEmpty()) {
        sb.append(" session=").append(session, 0, Math.min(8, session.length()));
      }
      if (s.statusCode() == 2) {
        sb.append(" status=error");
        if (!s.statusMessage().isEmpty()) {
          sb.append(" message=");
          value(sb, s.statusMessage());
        }
      }
      sb.append('\n');
    } catch (RuntimeException e) {
      sb.setLength(start);
      sb.append("console exporter: cannot print a span (").append(e.getClass().getSimpleName()).append(")\n");
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void time(StringBuilder sb, long epochNanos) {
    TIME.formatTo(Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L)), sb);
  }

  /** Attribute value as text; bytes as plain base64 (valueToString gives a quoted JSON string). */
  static String text(Object v) {
    if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
    return Attributes.valueToString(v);
  }

  /** Whole numbers without a fraction, others rounded to {@code decimals} places. */
  static String number(double v, int decimals) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
  }
}

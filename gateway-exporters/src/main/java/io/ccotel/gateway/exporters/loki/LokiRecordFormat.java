package io.ccotel.gateway.exporters.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a log record into the Loki entry's line and structured metadata.
 *
 * <h2>The line</h2>
 *
 * One JSON object, keys in this order:
 *
 * <ol>
 *   <li>{@code body}: the OTLP body (Claude Code: {@code "claude_code.api_request"}), when set;
 *   <li>every record attribute under its own name, as sent ({@code "session.id"}, {@code
 *       "cost_usd"}, ...);
 *   <li>every resource attribute the record does not carry itself ({@code "service.name"}, {@code
 *       "os.type"}, ...);
 *   <li>{@code trace_id}, {@code span_id} (lower-case hex) when set, {@code severity} (the
 *       severity text, else the name of the severity number's range, e.g. {@code INFO}) and {@code
 *       severity_number} when set;
 *   <li>{@code "truncated": true} when the gateway shortened the line.
 * </ol>
 *
 * An attribute named like one of the OTLP fields keeps its name; the OTLP field then goes under
 * {@code otel.body}, {@code otel.trace_id}, ... The first pair wins when a key repeats. LogQL's
 * {@code | json} turns the dots into underscores: {@code | json | unwrap cost_usd}, {@code
 * session_id="..."}, {@code event_name_extracted} for {@code event.name} (which clashes with the
 * stream label).
 *
 * <p>Values keep their types: integers and doubles are JSON numbers (NaN and infinities become
 * strings), booleans are booleans, arrays and key/value lists nest, bytes are base64. Claude Code
 * sends some numbers and booleans as strings ({@code tool_result}'s {@code duration_ms} {@code
 * "82"} and {@code success} {@code "true"}, {@code user_prompt}'s {@code prompt_length}, ...): the
 * keys in {@link #NUMERIC_KEYS} holding a well-formed JSON number are written as that number (its
 * text kept exactly), those in {@link #BOOLEAN_KEYS} holding {@code true}/{@code false} as a
 * boolean, so that {@code unwrap} works whatever the CLI version sent.
 *
 * <h2>Lines longer than max_line_bytes</h2>
 *
 * The longest string values are cut (at a character boundary) and end in {@code …[truncated by
 * gateway: N bytes]}, N being the UTF-8 bytes removed, and {@code "truncated": true} is added; the
 * line stays valid JSON. If that is not enough (many values, or huge arrays), the line becomes an
 * object with only the essential fields ({@link #ESSENTIAL_KEYS}, strings cut to 256 bytes), {@code
 * "truncated": true} and {@code "original_bytes"}.
 *
 * <h2>Structured metadata</h2>
 *
 * When enabled: the {@link #METADATA_KEYS} present on the record (else its resource), and {@code
 * trace_id}/{@code span_id}, under sanitized names ({@code session_id}, {@code user_id}, ...). They
 * stay in the line as well, so queries do not depend on the setting.
 *
 * <p>Thread-safe.
 */
final class LokiRecordFormat {
  /** Claude Code attributes that are numbers even when sent as strings (TELEMETRY-FACTS §4). */
  static final Set<String> NUMERIC_KEYS =
      Set.of(
          "duration_ms",
          "ttft_ms",
          "cost_usd",
          "cost_usd_micros",
          "input_tokens",
          "output_tokens",
          "cache_read_tokens",
          "cache_creation_tokens",
          "cache_creation_5m_tokens",
          "cache_creation_1h_tokens",
          "prompt_length",
          "response_length",
          "tool_input_size_bytes",
          "tool_result_size_bytes",
          "status_code",
          "attempt",
          "total_attempts",
          "total_retry_duration_ms",
          "body_length",
          "event.sequence",
          "skill_path_count",
          "command_path_count",
          "agent_path_count",
          "period_days",
          "transcripts_deleted",
          "transcripts_exempted_desktop",
          "session_files_deleted",
          "artifacts_deleted",
          "files_retained_fresh",
          "files_past_cutoff",
          "error_count",
          "history_entries_pruned");

  /** Claude Code attributes that are booleans even when sent as {@code "true"}/{@code "false"}. */
  static final Set<String> BOOLEAN_KEYS =
      Set.of("success", "safe_mode", "used_default", "has_hooks", "has_mcp", "host_owned_mcp", "anthropic.custom_base_url");

  /** Attribute keys sent as structured metadata when that is on (plus trace_id and span_id). */
  static final List<String> METADATA_KEYS =
      List.of(
          "session.id",
          "user.id",
          "user.account_uuid",
          "user.account_id",
          "organization.id",
          "prompt.id",
          "request_id",
          "client_request_id",
          "message.uuid",
          "tool_use_id");

  /** What a line keeps when cutting the longest values was not enough. */
  static final List<String> ESSENTIAL_KEYS =
      List.of(
          "body",
          "event.name",
          "event.timestamp",
          "event.sequence",
          "session.id",
          "prompt.id",
          "user.id",
          "user.account_uuid",
          "organization.id",
          "request_id",
          "model",
          "tool_name",
          "cost_usd",
          "duration_ms",
          "input_tokens",
          "output_tokens",
          "service.name");

  private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?");
  private static final String[] SEVERITY_NAMES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  private static final int ESSENTIAL_VALUE_BYTES = 256;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final char[] HEX_UPPER = "0123456789ABCDEF".toCharArray();
  private final int maxLineBytes;
  private final boolean structuredMetadata;

  /** A formatted entry: the line, its UTF-8 size, whether it was cut, and the metadata pairs. */
  record Formatted(String line, int lineBytes, boolean truncated, List<Map.Entry<String, String>> metadata) {}

  LokiRecordFormat(int maxLineBytes, boolean structuredMetadata) {
    this.maxLineBytes = maxLineBytes;
    this.structuredMetadata = structuredMetadata;
  }

  Formatted format(LogRecord r) {
    LinkedHashMap<String, Object> fields = fields(r);
    String line = render(fields);
    int bytes = utf8Length(line);
    boolean truncated = false;
    if (bytes > maxLineBytes) {
      truncated = true;
      line = shorten(fields, bytes);
      bytes = utf8Length(line);
    }
    return new Formatted(line, bytes, truncated, structuredMetadata ? metadata(r) : List.of());
  }

  /** The line's pairs, values converted (see class doc), in line order. */
  static LinkedHashMap<String, Object> fields(LogRecord r) {
    Attributes attrs = r.attributes();
    Attributes resource = r.resource().attributes();
    LinkedHashMap<String, Object> f = new LinkedHashMap<>();
    if (r.body() != null) {
      f.put(otlpKey("body", attrs, resource), r.body());
    }
    for (int i = 0; i < attrs.size(); i++) {
      f.putIfAbsent(attrs.key(i), convert(attrs.key(i), attrs.value(i)));
    }
    for (int i = 0; i < resource.size(); i++) {
      f.putIfAbsent(resource.key(i), convert(resource.key(i), resource.value(i)));
    }
    if (!r.traceId().isEmpty()) {
      f.putIfAbsent(otlpKey("trace_id", attrs, resource), r.traceId());
    }
    if (!r.spanId().isEmpty()) {
      f.putIfAbsent(otlpKey("span_id", attrs, resource), r.spanId());
    }
    String severity = severity(r);
    if (!severity.isEmpty()) {
      f.putIfAbsent(otlpKey("severity", attrs, resource), severity);
    }
    if (r.severityNumber() != 0) {
      f.putIfAbsent(otlpKey("severity_number", attrs, resource), (long) r.severityNumber());
    }
    return f;
  }

  private static String otlpKey(String key, Attributes attrs, Attributes resource) {
    return attrs.get(key) == null && resource.get(key) == null ? key : "otel." + key;
  }

  private static String severity(LogRecord r) {
    if (!r.severityText().isEmpty()) {
      return r.severityText();
    }
    int n = r.severityNumber();
    if (n >= 1 && n <= 24) {
      return SEVERITY_NAMES[(n - 1) / 4];
    }
    return "";
  }

  /** Known numeric/boolean keys sent as strings become numbers/booleans; others stay as they are. */
  static Object convert(String key, Object value) {
    if (value instanceof String s) {
      if (NUMERIC_KEYS.contains(key)) {
        String t = s.trim();
        if (JSON_NUMBER.matcher(t).matches()) {
          return new RawNumber(t);
        }
      } else if (BOOLEAN_KEYS.contains(key)) {
        if (s.equals("true")) {
          return Boolean.TRUE;
        }
        if (s.equals("false")) {
          return Boolean.FALSE;
        }
      }
    }
    return value;
  }

  /** A number given as text that is already valid JSON: written as it is, no float rounding. */
  record RawNumber(String text) {}

  private List<Map.Entry<String, String>> metadata(LogRecord r) {
    List<Map.Entry<String, String>> out = new ArrayList<>(4);
    for (String key : METADATA_KEYS) {
      String v = LokiLabels.attribute(r, key);
      if (v != null && !v.isEmpty()) {
        out.add(Map.entry(LokiLabels.sanitize(key), v));
      }
    }
    if (!r.traceId().isEmpty()) {
      out.add(Map.entry("trace_id", r.traceId()));
    }
    if (!r.spanId().isEmpty()) {
      out.add(Map.entry("span_id", r.spanId()));
    }
    return List.copyOf(out);
  }

  // --- truncation --------------------------------------------------------------------------------

  private String shorten(LinkedHashMap<String, Object> fields, int originalBytes) {
    LinkedHashMap<String, Object> f = new LinkedHashMap<>(fields);
    f.putIfAbsent("truncated", Boolean.TRUE);
    Map<String, String> originals = new LinkedHashMap<>();
    Map<String, Integer> removed = new LinkedHashMap<>();
    for (int round = 0; round < 16; round++) {
      String line = render(f);
      int excess = utf8Length(line) - maxLineBytes;
      if (excess <= 0) {
        return line;
      }
      String key = longestString(f);
      if (key == null) {
        break;
      }
      String original = originals.computeIfAbsent(key, k -> (String) fields.get(k));
      int originalLength = utf8Length(original);
      // Cutting k raw bytes shortens the rendered line by at least k (escaping only ever adds);
      // the marker's own bytes come on top (its digit count can grow, hence the slack).
      int cut = removed.getOrDefault(key, 0) + excess + marker(originalLength).length() + 8;
      if (cut >= originalLength) {
        cut = originalLength;
      }
      String kept = prefixWithinBytes(original, originalLength - cut);
      int gone = originalLength - utf8Length(kept);
      removed.put(key, gone);
      f.put(key, kept + marker(gone));
    }
    return essentials(fields, originalBytes);
  }

  private static String marker(int bytes) {
    return "…[truncated by gateway: " + bytes + " bytes]";
  }

  /** The key of the longest string value not yet cut to its marker alone, or null. */
  private static String longestString(Map<String, Object> f) {
    String best = null;
    int bestLength = 64; // shorter values are not worth a marker
    for (Map.Entry<String, Object> e : f.entrySet()) {
      if (e.getValue() instanceof String s && s.length() > bestLength && !s.startsWith("…[truncated by gateway:")) {
        best = e.getKey();
        bestLength = s.length();
      }
    }
    return best;
  }

  private String essentials(Map<String, Object> fields, int originalBytes) {
    for (int valueBytes : new int[] {ESSENTIAL_VALUE_BYTES, 32}) {
      LinkedHashMap<String, Object> f = new LinkedHashMap<>();
      for (String key : ESSENTIAL_KEYS) {
        Object v = fields.get(key);
        if (v instanceof String s) {
          String kept = prefixWithinBytes(s, valueBytes);
          f.put(key, kept.length() == s.length() ? s : kept + marker(utf8Length(s) - utf8Length(kept)));
        } else if (v instanceof Long || v instanceof Double || v instanceof Boolean || v instanceof RawNumber) {
          f.put(key, v);
        }
      }
      f.put("truncated", Boolean.TRUE);
      f.put("original_bytes", (long) originalBytes);
      String line = render(f);
      if (utf8Length(line) <= maxLineBytes) {
        return line;
      }
    }
    LinkedHashMap<String, Object> f = new LinkedHashMap<>();
    f.put("truncated", Boolean.TRUE);
    f.put("original_bytes", (long) originalBytes);
    return render(f);
  }

  /** The longest prefix of {@code s} of at most {@code maxBytes} UTF-8 bytes, whole characters. */
  static String prefixWithinBytes(String s, int maxBytes) {
    int bytes = 0;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + n > maxBytes) {
        break;
      }
      bytes += n;
      i += Character.charCount(cp);
    }
    return s.substring(0, i);
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3; // a lone surrogate is encoded as '?' (1 byte) by Java; 3 keeps the estimate safe
      }
    }
    return n;
  }

  // --- JSON ----------------------------------------------------------------------------------------

  /**
   * The fields as one JSON object, written straight into a StringBuilder: the same text as
   * Jackson's generator with its defaults ({@link #renderWithJackson}, which the tests compare it
   * with), at a fraction of the cost per line.
   */
  static String render(Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder(256 + fields.size() * 32);
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : fields.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      jsonString(sb, e.getKey());
      sb.append(':');
      jsonValue(sb, e.getValue(), 0);
    }
    return sb.append('}').toString();
  }

  private static void jsonValue(StringBuilder sb, Object v, int depth) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      jsonString(sb, s);
    } else if (v instanceof Boolean b) {
      sb.append(b.booleanValue() ? "true" : "false");
    } else if (v instanceof Long l) {
      sb.append(l.longValue());
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        jsonString(sb, d.toString());
      } else {
        sb.append(Double.toString(d));
      }
    } else if (v instanceof RawNumber n) {
      sb.append(n.text());
    } else if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      jsonString(sb, Base64.getEncoder().encodeToString(bytes));
    } else if (depth > 32) {
      jsonString(sb, String.valueOf(v)); // no client nests this deep; keep the writer bounded
    } else if (v instanceof List<?> list) {
      sb.append('[');
      boolean first = true;
      for (Object o : list) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        jsonValue(sb, o, depth + 1);
      }
      sb.append(']');
    } else if (v instanceof Attributes kv) {
      sb.append('{');
      Set<String> seen = kv.size() > 1 ? new HashSet<>() : null;
      boolean first = true;
      for (int i = 0; i < kv.size(); i++) {
        if (seen == null || seen.add(kv.key(i))) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          jsonString(sb, kv.key(i));
          sb.append(':');
          jsonValue(sb, kv.value(i), depth + 1);
        }
      }
      sb.append('}');
    } else {
      jsonString(sb, v.toString());
    }
  }

  /** A JSON string as Jackson writes it by default: quote, backslash and control characters escaped, the latter as short escapes or as backslash-u00XX (upper-case hex). */
  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    int n = s.length();
    int start = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      sb.append(s, start, i);
      start = i + 1;
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\b' -> sb.append("\\b");
        case '\t' -> sb.append("\\t");
        case '\f' -> sb.append("\\f");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        default -> sb.append("\\u00").append(HEX_UPPER[c >> 4]).append(HEX_UPPER[c & 0xf]);
      }
    }
    sb.append(s, start, n).append('"');
  }

  /** The former renderer, through Jackson's generator: the reference {@link #render} is tested against. */
  static String renderWithJackson(Map<String, Object> fields) {
    StringWriter w = new StringWriter(256 + fields.size() * 32);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        g.writeFieldName(e.getKey());
        value(g, e.getValue(), 0);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return w.toString();
  }

  private static void value(JsonGenerator g, Object v, int depth) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        g.writeString(d.toString());
      } else {
        g.writeNumber(d);
      }
    } else if (v instanceof RawNumber n) {
      g.writeNumber(n.text());
    } else if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      g.writeString(Base64.getEncoder().encodeToString(bytes));
    } else if (depth > 32) {
      g.writeString(String.valueOf(v)); // no client nests this deep; keep the writer bounded
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        value(g, o, depth + 1);
      }
      g.writeEndArray();
    } else if (v instanceof Attributes kv) {
      g.writeStartObject();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < kv.size(); i++) {
        if (seen.add(kv.key(i))) {
          g.writeFieldName(kv.key(i));
          value(g, kv.value(i), depth + 1);
        }
      }
      g.writeEndObject();
    } else {
      g.writeString(v.toString());
    }
  }
}

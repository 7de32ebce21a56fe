package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Stream labels of a record and their text form.
 *
 * <p>Labels: {@code service_name} (resource {@code service.name}, else {@code unknown_service}),
 * {@code event_name} ({@link LogRecord#effectiveEventName()}, else {@value #UNKNOWN_EVENT}), then
 * each configured key found on the record (else on its resource), its name sanitized. A label whose
 * value is empty is left out, as in Prometheus. Values are cut to {@value #MAX_VALUE_CHARS}
 * characters (Loki's {@code max_label_value_length} is 2048 bytes).
 *
 * <p>Text form, as Loki's push API takes it (and as PromQL writes label sets): {@code
 * {event_name="api_request", service_name="claude-code"}}, names sorted, values in double quotes
 * with {@code \}, {@code "} and control characters escaped. Thread-safe.
 */
final class LokiLabels {
  static final String UNKNOWN_SERVICE = "unknown_service";
  static final String UNKNOWN_EVENT = "unknown";
  static final int MAX_VALUE_CHARS = 1024;

  private final List<String> keys;
  private final List<String> names;

  LokiLabels(List<String> extraKeys) {
    this.keys = List.copyOf(extraKeys);
    this.names = extraKeys.stream().map(LokiLabels::sanitize).toList();
  }

  /** The stream labels of one record, sorted by name. */
  SortedMap<String, String> of(LogRecord r) {
    SortedMap<String, String> labels = new TreeMap<>();
    String service = r.resource().attributes().getString("service.name");
    labels.put("service_name", cut(service == null || service.isEmpty() ? UNKNOWN_SERVICE : service));
    String event = r.effectiveEventName();
    labels.put("event_name", cut(event.isEmpty() ? UNKNOWN_EVENT : event));
    for (int i = 0; i < keys.size(); i++) {
      String value = attribute(r, keys.get(i));
      if (value != null && !value.isEmpty()) {
        labels.put(names.get(i), cut(value));
      }
    }
    return labels;
  }

  /** A record attribute as text, else the resource attribute, else null. */
  static String attribute(LogRecord r, String key) {
    Object v = r.attributes().get(key);
    if (v == null) {
      v = r.resource().attributes().get(key);
    }
    return v == null ? null : Attributes.valueToString(v);
  }

  private static String cut(String value) {
    if (value.length() <= MAX_VALUE_CHARS) {
      return value;
    }
    int end = MAX_VALUE_CHARS;
    if (Character.isHighSurrogate(value.charAt(end - 1))) {
      end--;
    }
    return value.substring(0, end);
  }

  /** {@code {a="x", b="y"}}: the label set as Loki's push API and LogQL write it. */
  static String format(Map<String, String> sortedLabels) {
    StringBuilder sb = new StringBuilder(64);
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : sortedLabels.entrySet()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append(e.getKey()).append("=\"");
      escape(sb, e.getValue());
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  /** Escapes a label value as a Go/PromQL double-quoted string (Loki parses it that way). */
  static void escape(StringBuilder sb, String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }

  /**
   * A valid label name: characters outside {@code [a-zA-Z0-9_]} become {@code _}, a leading digit
   * gets a {@code _} in front ({@code team.id} -> {@code team_id}).
   */
  static String sanitize(String key) {
    if (key.isEmpty()) {
      return "_";
    }
    StringBuilder sb = new StringBuilder(key.length() + 1);
    if (key.charAt(0) >= '0' && key.charAt(0) <= '9') {
      sb.append('_');
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }

  /**
   * A valid Loki tenant id (X-Scope-OrgID): letters, digits and {@code !-_.*'()}; anything else
   * becomes {@code _}; at most 150 characters; {@code .} and {@code ..} become {@code _}.
   */
  static String sanitizeTenant(String tenant) {
    StringBuilder sb = new StringBuilder(Math.min(tenant.length(), 150));
    for (int i = 0; i < tenant.length() && sb.length() < 150; i++) {
      char c = tenant.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!-_.*'()".indexOf(c) >= 0;
      sb.append(ok ? c : '_');
    }
    String s = sb.toString();
    return s.equals(".") || s.equals("..") ? "_" : s;
  }
}

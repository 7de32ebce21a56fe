package io.ccotel.gateway.exporters.prometheus;

import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Map;
import java.util.Set;

/**
 * OTLP metric name and unit to Prometheus name, following the OpenTelemetry "Prometheus and
 * OpenMetrics compatibility" rules (name sanitizing, unit suffix, {@code _total} for monotonic
 * sums), plus a fixed table for the Claude Code metrics so that their names are exactly what the
 * existing dashboards query, whatever unit string a CLI version sends ({@code count}, {@code
 * lines}, empty, ...).
 *
 * <p>Names here are the client_java "base" names: a counter's name without its {@code _total}
 * suffix, which the exposition writers append.
 *
 * <p>Stateless and thread-safe.
 */
final class MetricNames {
  /** How an OTLP metric is exposed. */
  enum Kind {
    COUNTER,
    GAUGE,
    HISTOGRAM,
    SUMMARY,
    /** {@code target_info}: base name {@code target}, samples {@code target_info}. */
    INFO
  }

  /**
   * A resolved name: {@code base} without {@code _total}; {@code unit} the UNIT metadata (null when
   * there is none or the name does not end with it, as OpenMetrics requires).
   */
  record Resolved(Kind kind, String base, Unit unit) {
    /** The sample name in the Prometheus text format ({@code base_total} for counters). */
    String expositionName() {
      return switch (kind) {
        case COUNTER -> base + "_total";
        case INFO -> base + "_info";
        default -> base;
      };
    }

    /** Every sample or family name this metric occupies in either text format. */
    Set<String> reservedNames() {
      return reservedNames(kind, base);
    }

    static Set<String> reservedNames(Kind kind, String base) {
      return switch (kind) {
        case COUNTER -> Set.of(base, base + "_total", base + "_created");
        case GAUGE -> Set.of(base);
        case HISTOGRAM ->
            Set.of(base, base + "_bucket", base + "_count", base + "_sum", base + "_created");
        case SUMMARY -> Set.of(base, base + "_count", base + "_sum", base + "_created");
        case INFO -> Set.of(base, base + "_info");
      };
    }
  }

  /** The names dashboards query (claude-code-telemetry.md), by OTLP name; all are counters. */
  private static final Map<String, Resolved> CLAUDE_CODE =
      Map.of(
          "claude_code.session.count", counter("claude_code_session_count", null),
          "claude_code.token.usage", counter("claude_code_token_usage_tokens", "tokens"),
          "claude_code.cost.usage", counter("claude_code_cost_usage_USD", "USD"),
          "claude_code.lines_of_code.count", counter("claude_code_lines_of_code_count", null),
          "claude_code.commit.count", counter("claude_code_commit_count", null),
          "claude_code.pull_request.count", counter("claude_code_pull_request_count", null),
          "claude_code.active_time.total", counter("claude_code_active_time_seconds", "seconds"),
          "claude_code.code_edit_tool.decision",
              counter("claude_code_code_edit_tool_decision", null));

  // UCUM units as OpenTelemetry instruments use them, to the words Prometheus names use (the
  // same table as the Collector's prometheus translator).
  private static final Map<String, String> UNITS =
      Map.ofEntries(
          Map.entry("d", "days"),
          Map.entry("h", "hours"),
          Map.entry("min", "minutes"),
          Map.entry("s", "seconds"),
          Map.entry("ms", "milliseconds"),
          Map.entry("us", "microseconds"),
          Map.entry("ns", "nanoseconds"),
          Map.entry("By", "bytes"),
          Map.entry("KiBy", "kibibytes"),
          Map.entry("MiBy", "mebibytes"),
          Map.entry("GiBy", "gibibytes"),
          Map.entry("TiBy", "tebibytes"),
          Map.entry("KBy", "kilobytes"),
          Map.entry("MBy", "megabytes"),
          Map.entry("GBy", "gigabytes"),
          Map.entry("TBy", "terabytes"),
          Map.entry("m", "meters"),
          Map.entry("V", "volts"),
          Map.entry("A", "amperes"),
          Map.entry("J", "joules"),
          Map.entry("W", "watts"),
          Map.entry("g", "grams"),
          Map.entry("Cel", "celsius"),
          Map.entry("Hz", "hertz"),
          Map.entry("%", "percent"));

  private static final Map<String, String> PER_UNITS =
      Map.of(
          "s", "second",
          "m", "minute",
          "min", "minute",
          "h", "hour",
          "d", "day",
          "w", "week",
          "mo", "month",
          "y", "year");

  /** The resource metadata series of the compatibility rules. */
  static final Resolved TARGET_INFO = new Resolved(Kind.INFO, "target", null);

  private MetricNames() {}

  private static Resolved counter(String base, String unit) {
    return new Resolved(Kind.COUNTER, base, unit == null ? null : new Unit(unit));
  }

  /**
   * The Prometheus name of an OTLP metric exposed as {@code kind}.
   *
   * @param addUnitSuffix whether to append the unit to the name (the Claude Code table is used
   *     either way)
   */
  static Resolved resolve(Kind kind, String otlpName, String otlpUnit, boolean addUnitSuffix) {
    if (kind == Kind.COUNTER) {
      Resolved fixed = CLAUDE_CODE.get(otlpName);
      if (fixed != null) {
        return fixed;
      }
    }
    String base = sanitizeMetricName(otlpName);
    // Spec: "_total" is added unless the name ends with it; the unit suffix comes before any
    // type suffix, so a trailing "_total" is taken off first and put back by the writer.
    if (kind == Kind.COUNTER && base.endsWith("_total") && base.length() > "_total".length()) {
      base = base.substring(0, base.length() - "_total".length());
    }
    String unit = prometheusUnit(otlpUnit, kind == Kind.GAUGE);
    if (addUnitSuffix && !unit.isEmpty() && !base.endsWith("_" + unit) && !base.equals(unit)) {
      base = base + "_" + unit;
    }
    Unit unitMeta = null;
    if (!unit.isEmpty() && base.endsWith("_" + unit) && PrometheusNaming.isValidUnitName(unit)) {
      unitMeta = new Unit(unit);
    }
    return new Resolved(kind, base, unitMeta);
  }

  /**
   * Every character not in {@code [a-zA-Z0-9_:]} becomes {@code _}, runs of {@code _} become one,
   * and a leading digit gets a {@code _} in front (the name must match {@code
   * [a-zA-Z_:][a-zA-Z0-9_:]*}).
   */
  static String sanitizeMetricName(String name) {
    return sanitize(name, true);
  }

  /**
   * Label names: every character not in {@code [a-zA-Z0-9_]} becomes {@code _}, runs of {@code _}
   * become one (the spec's rule; it also keeps names out of the reserved {@code __} prefix), and a
   * leading digit gets a {@code _} in front. {@code anthropic.provider -> anthropic_provider}.
   */
  static String sanitizeLabelName(String name) {
    return sanitize(name, false);
  }

  private static String sanitize(String name, boolean allowColon) {
    StringBuilder sb = new StringBuilder(name.length() + 1);
    boolean lastUnderscore = false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || (allowColon && c == ':');
      char out = ok ? c : '_';
      if (out == '_' && lastUnderscore) {
        continue;
      }
      sb.append(out);
      lastUnderscore = out == '_';
    }
    if (sb.length() == 0 || (sb.charAt(0) >= '0' && sb.charAt(0) <= '9')) {
      sb.insert(0, '_');
    }
    return sb.toString();
  }

  /**
   * The Prometheus word for an OTLP (UCUM) unit, or "" for none: {@code {...}} annotations are
   * dropped entirely, known abbreviations become words ({@code s -> seconds}, {@code By -> bytes},
   * {@code % -> percent}), {@code 1} is {@code ratio} for gauges and nothing otherwise, {@code
   * a/b} becomes {@code a_per_b}; anything else ({@code USD}, {@code tokens}) is kept, sanitized.
   */
  static String prometheusUnit(String otlpUnit, boolean gauge) {
    if (otlpUnit == null) {
      return "";
    }
    String u = otlpUnit.replaceAll("\\{[^}]*\\}", "").trim();
    if (u.isEmpty()) {
      return "";
    }
    if (u.equals("1")) {
      return gauge ? "ratio" : "";
    }
    String word;
    int slash = u.indexOf('/');
    if (slash >= 0) {
      String left = u.substring(0, slash).trim();
      String right = u.substring(slash + 1).trim();
      String leftWord = left.isEmpty() || left.equals("1") ? "" : UNITS.getOrDefault(left, left);
      String rightWord = PER_UNITS.getOrDefault(right, UNITS.getOrDefault(right, right));
      if (rightWord.isEmpty()) {
        word = leftWord;
      } else {
        word = leftWord.isEmpty() ? "per_" + rightWord : leftWord + "_per_" + rightWord;
      }
    } else {
      word = UNITS.getOrDefault(u, u);
    }
    String s = sanitize(word, false);
    // Trim the underscores sanitizing may leave at either end ("_" alone means no unit).
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '_') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '_') {
      end--;
    }
    return s.substring(start, end);
  }
}

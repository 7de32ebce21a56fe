package io.ccotel.gateway.core.processing;

/**
 * The checks of the {@link ValidationProcessor}. Each has a name (its YAML key under {@code
 * validation.rules} and the {@code reason} label of {@code gateway_rejected_items_total} and {@code
 * gateway_repaired_items_total}), a default {@link ValidationConfig.Mode} and, for some, a repair.
 *
 * <table>
 *   <caption>Rules</caption>
 *   <tr><th>rule</th><th>default</th><th>what it finds</th><th>repair</th></tr>
 *   <tr><td>{@code empty_name}</td><td>reject</td><td>a metric or span with an empty name</td><td>none</td></tr>
 *   <tr><td>{@code non_finite_value}</td><td>reject</td><td>NaN or ±Infinity as the value of a sum point,
 *       ±Infinity as a histogram or summary sum (gauges may carry NaN)</td><td>none</td></tr>
 *   <tr><td>{@code negative_monotonic}</td><td>reject</td><td>a negative value in a monotonic sum; a negative
 *       histogram sum (OTLP: "sum should only be filled out when measuring non-negative discrete events")</td>
 *       <td>the value becomes 0; the histogram sum is removed</td></tr>
 *   <tr><td>{@code invalid_histogram}</td><td>reject</td><td>counts beyond 2^63-1 (negative as signed), a
 *       bucket list that does not fit the bounds, bounds not strictly increasing, bucket counts that do not
 *       add up to the count (histograms, exponential histograms, summaries)</td><td>none</td></tr>
 *   <tr><td>{@code future_timestamp}</td><td>reject</td><td>a time more than {@code max_future_skew} after
 *       the gateway's clock</td><td>the time becomes the gateway's time</td></tr>
 *   <tr><td>{@code old_timestamp}</td><td>reject</td><td>a time before 2000-01-01, or unset where OTLP
 *       requires it (point time, span start and end; a log record needs its time or its observed
 *       time)</td><td>none</td></tr>
 *   <tr><td>{@code too_many_attributes}</td><td>reject</td><td>more than {@code max_attributes} attributes on
 *       one item (point, record, span, span event)</td><td>the first {@code max_attributes} are kept (log
 *       records count the rest in {@code dropped_attributes_count})</td></tr>
 *   <tr><td>{@code value_too_long}</td><td>repair</td><td>a string (each string of an array or map) or bytes
 *       value, or a log body, longer than {@code max_attribute_value_bytes} in UTF-8</td>
 *       <td>cut, ending in {@code …[truncated by gateway: N bytes]} (bytes values are cut without a
 *       marker)</td></tr>
 *   <tr><td>{@code invalid_utf8}</td><td>repair</td><td>an unpaired UTF-16 surrogate in a key, value, name
 *       or body (it cannot be written as UTF-8)</td><td>each one becomes U+FFFD</td></tr>
 *   <tr><td>{@code duplicate_keys}</td><td>repair</td><td>the same attribute key twice on one item (OTLP
 *       forbids it)</td><td>one pair per key, with the last value</td></tr>
 *   <tr><td>{@code claude_code_metric_type}</td><td>reject</td><td>a {@code claude_code.*} metric that is not
 *       a monotonic sum</td><td>none</td></tr>
 *   <tr><td>{@code claude_code_missing_attribute}</td><td>reject</td><td>a Claude Code metric point or event
 *       without an attribute every CLI version sends and without which it means nothing</td><td>none</td></tr>
 *   <tr><td>{@code claude_code_attribute_value}</td><td>reject</td><td>a known Claude Code attribute with a
 *       value outside its set, or not a number (numbers may arrive as numeric strings)</td><td>none</td></tr>
 * </table>
 */
public enum ValidationRule {
  EMPTY_NAME("empty_name", ValidationConfig.Mode.REJECT, false),
  NON_FINITE_VALUE("non_finite_value", ValidationConfig.Mode.REJECT, false),
  NEGATIVE_MONOTONIC("negative_monotonic", ValidationConfig.Mode.REJECT, true),
  INVALID_HISTOGRAM("invalid_histogram", ValidationConfig.Mode.REJECT, false),
  FUTURE_TIMESTAMP("future_timestamp", ValidationConfig.Mode.REJECT, true),
  OLD_TIMESTAMP("old_timestamp", ValidationConfig.Mode.REJECT, false),
  TOO_MANY_ATTRIBUTES("too_many_attributes", ValidationConfig.Mode.REJECT, true),
  VALUE_TOO_LONG("value_too_long", ValidationConfig.Mode.REPAIR, true),
  INVALID_UTF8("invalid_utf8", ValidationConfig.Mode.REPAIR, true),
  DUPLICATE_KEYS("duplicate_keys", ValidationConfig.Mode.REPAIR, true),
  CLAUDE_CODE_METRIC_TYPE("claude_code_metric_type", ValidationConfig.Mode.REJECT, false),
  CLAUDE_CODE_MISSING_ATTRIBUTE("claude_code_missing_attribute", ValidationConfig.Mode.REJECT, false),
  CLAUDE_CODE_ATTRIBUTE_VALUE("claude_code_attribute_value", ValidationConfig.Mode.REJECT, false);

  private final String id;
  private final ValidationConfig.Mode defaultMode;
  private final boolean repairable;

  ValidationRule(String id, ValidationConfig.Mode defaultMode, boolean repairable) {
    this.id = id;
    this.defaultMode = defaultMode;
    this.repairable = repairable;
  }

  /** The YAML key and metric label: {@code negative_monotonic}. */
  public String id() {
    return id;
  }

  public ValidationConfig.Mode defaultMode() {
    return defaultMode;
  }

  /** Whether {@code repair} is a valid mode for this rule. */
  public boolean repairable() {
    return repairable;
  }

  /** The rule with this YAML name, or null. */
  public static ValidationRule fromId(String id) {
    for (ValidationRule r : values()) {
      if (r.id.equals(id)) {
        return r;
      }
    }
    return null;
  }
}

package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the {@link ValidationProcessor} (YAML section {@code validation}). Every key is
 * optional; values are checked at start-up and an error names the key.
 *
 * <pre>
 * validation:
 *   enabled: true                       # false: no validation processor at all
 *   max_future_skew: 10m                # times later than now + this are "future_timestamp"
 *   max_attributes: 128                 # attributes per point / record / span / span event
 *   max_attribute_value_bytes: 64KiB    # UTF-8 bytes per string value (and per log body)
 *   rules:                              # per rule: reject | repair | pass (see ValidationRule)
 *     empty_name: reject
 *     non_finite_value: reject
 *     negative_monotonic: reject        # repair: clamp to 0 (histogram: drop the sum)
 *     invalid_histogram: reject
 *     future_timestamp: reject          # repair: the gateway's time
 *     old_timestamp: reject
 *     too_many_attributes: reject       # repair: keep the first max_attributes
 *     value_too_long: repair            # repair: cut, with a "…[truncated by gateway: N bytes]" marker
 *     invalid_utf8: repair              # repair: unpaired surrogates become U+FFFD
 *     duplicate_keys: repair            # repair: one pair per key, last value wins
 *     claude_code_metric_type: reject
 *     claude_code_missing_attribute: reject
 *     claude_code_attribute_value: reject
 * </pre>
 *
 * <p>Modes: {@code reject} drops the item and reports it (partial success, {@code
 * gateway_rejected_items_total{transport="validation",reason=<rule>}}); {@code repair} fixes the
 * item and lets it through ({@code gateway_repaired_items_total{signal,reason=<rule>}}), only for
 * rules that have a repair; {@code pass} turns the check off.
 *
 * @param enabled {@code enabled} (default true): whether the app puts the processor in the
 *     pipelines at all.
 * @param maxFutureSkew {@code max_future_skew} (default 10m): how far after the gateway's clock a
 *     timestamp may be (client clocks drift; Claude Code stamps at collection time).
 * @param maxAttributes {@code max_attributes} (default 128, 1..65536): attributes per item. Claude
 *     Code sends about 30 on its largest events.
 * @param maxAttributeValueBytes {@code max_attribute_value_bytes} (default 64KiB, 256B..64MiB):
 *     UTF-8 bytes of one string value, of each string inside an array or map value, of a bytes
 *     value and of a log record's string body. Raw API body events ({@code OTEL_LOG_RAW_API_BODIES})
 *     exceed it (about 50 KB of request JSON, more with long conversations); they are cut by the
 *     default repair.
 * @param rules {@code rules} (defaults in {@link ValidationRule}): the mode of every rule; the map
 *     always holds every rule.
 */
public record ValidationConfig(
    boolean enabled,
    Duration maxFutureSkew,
    int maxAttributes,
    long maxAttributeValueBytes,
    Map<ValidationRule, Mode> rules) {

  /** What a rule does with an item it finds wrong. */
  public enum Mode {
    /** Drop the item and report it to the client (partial success) and in the metrics. */
    REJECT,
    /** Fix the item (only for rules with a repair) and let it through; counted. */
    REPAIR,
    /** Do not check. */
    PASS;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofMinutes(10);
  public static final int DEFAULT_MAX_ATTRIBUTES = 128;
  public static final long DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES = 64 * 1024;
  static final long MIN_VALUE_BYTES = 256;
  static final long MAX_VALUE_BYTES = 64L * 1024 * 1024;

  static final List<String> KEYS =
      List.of("enabled", "max_future_skew", "max_attributes", "max_attribute_value_bytes", "rules");

  public ValidationConfig {
    Objects.requireNonNull(maxFutureSkew, "maxFutureSkew");
    if (maxFutureSkew.isNegative()) {
      throw new IllegalArgumentException("max_future_skew must not be negative");
    }
    if (maxAttributes < 1 || maxAttributes > 65536) {
      throw new IllegalArgumentException("max_attributes must be between 1 and 65536, got " + maxAttributes);
    }
    if (maxAttributeValueBytes < MIN_VALUE_BYTES || maxAttributeValueBytes > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "max_attribute_value_bytes must be between " + MIN_VALUE_BYTES + " and " + MAX_VALUE_BYTES
              + ", got " + maxAttributeValueBytes);
    }
    EnumMap<ValidationRule, Mode> all = new EnumMap<>(ValidationRule.class);
    for (ValidationRule r : ValidationRule.values()) {
      all.put(r, r.defaultMode());
    }
    if (rules != null) {
      all.putAll(rules);
    }
    for (Map.Entry<ValidationRule, Mode> e : all.entrySet()) {
      if (e.getValue() == Mode.REPAIR && !e.getKey().repairable()) {
        throw new IllegalArgumentException("rule " + e.getKey().id() + " has no repair; use reject or pass");
      }
    }
    rules = Collections.unmodifiableMap(all);
  }

  public static ValidationConfig defaults() {
    return new ValidationConfig(
        true, DEFAULT_MAX_FUTURE_SKEW, DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES, Map.of());
  }

  /** The mode of one rule. */
  public Mode mode(ValidationRule rule) {
    return rules.get(rule);
  }

  /** A copy with one rule's mode changed. */
  public ValidationConfig withRule(ValidationRule rule, Mode mode) {
    EnumMap<ValidationRule, Mode> m = new EnumMap<>(rules);
    m.put(rule, mode);
    return new ValidationConfig(enabled, maxFutureSkew, maxAttributes, maxAttributeValueBytes, m);
  }

  /**
   * Reads the {@code validation} section; an absent or empty section gives {@link #defaults()}.
   *
   * @throws ConfigException naming the key, for an unknown key, a bad value or a rule set to
   *     {@code repair} that has no repair
   */
  public static ValidationConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    boolean enabled = node.bool("enabled", true);
    Duration skew = node.duration("max_future_skew", DEFAULT_MAX_FUTURE_SKEW);
    int maxAttributes = node.intValue("max_attributes", DEFAULT_MAX_ATTRIBUTES, 1, 65536);
    long maxValue =
        node.bytes("max_attribute_value_bytes", DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES, MIN_VALUE_BYTES, MAX_VALUE_BYTES);
    EnumMap<ValidationRule, Mode> rules = new EnumMap<>(ValidationRule.class);
    ConfigNode rulesNode = node.child("rules");
    List<String> ruleIds = new ArrayList<>();
    for (ValidationRule r : ValidationRule.values()) {
      ruleIds.add(r.id());
    }
    rulesNode.checkKnownKeys(ruleIds);
    for (String key : rulesNode.keys()) {
      ValidationRule rule = ValidationRule.fromId(key);
      String mode = rulesNode.oneOf(key, rule.defaultMode().id(), "reject", "repair", "pass");
      Mode m = Mode.valueOf(mode.toUpperCase(Locale.ROOT));
      if (m == Mode.REPAIR && !rule.repairable()) {
        throw new ConfigException(rulesNode.pathOf(key), "this rule has no repair; use reject or pass");
      }
      rules.put(rule, m);
    }
    return new ValidationConfig(enabled, skew, maxAttributes, maxValue, rules);
  }
}

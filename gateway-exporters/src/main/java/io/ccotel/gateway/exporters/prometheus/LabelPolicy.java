package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig.LabelRule;
import io.prometheus.metrics.model.snapshots.Labels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Which attributes become labels, and how they are named (the rules are spelt out on {@link
 * PrometheusExporterConfig}).
 *
 * <p>Candidates are the point's attributes plus, for each key of {@code resourceLabels} the point
 * does not carry itself, that resource attribute. A candidate is kept when the global deny/allow
 * lists and the first {@code label_rules} entry matching the metric let it through (keys as sent,
 * before sanitizing). With {@code scope_labels}, {@code otel_scope_name} and {@code
 * otel_scope_version} are added whatever the lists say. Label names are sanitized ({@link
 * MetricNames#sanitizeLabelName}); values are {@link Attributes#valueToString} (a bool is {@code
 * true}, bytes are base64). When several keys sanitize to one label name their values are joined
 * with {@code ;} in the lexicographic order of the original keys (the OpenTelemetry compatibility
 * rule), so no value silently replaces another. A label named like one the exposition reserves for
 * the type ({@code le} for histograms, {@code quantile} for summaries) is renamed {@code
 * exported_le} / {@code exported_quantile}.
 *
 * <p>Thread-safe (immutable apart from bounded caches).
 */
final class LabelPolicy {
  private static final int CACHE_LIMIT = 10_000;

  private final Set<String> deny;
  private final Set<String> allow;
  private final List<CompiledRule> rules;
  private final List<String> resourceLabels;
  private final boolean scopeLabels;
  private final Map<String, String> nameCache = new ConcurrentHashMap<>();
  private final Map<String, Filter> filterCache = new ConcurrentHashMap<>();
  private final Filter noRule;

  LabelPolicy(
      Collection<String> deny,
      Collection<String> allow,
      List<LabelRule> rules,
      List<String> resourceLabels,
      boolean scopeLabels) {
    this.deny = Set.copyOf(deny);
    this.allow = Set.copyOf(allow);
    List<CompiledRule> compiled = new ArrayList<>(rules.size());
    for (LabelRule r : rules) {
      compiled.add(new CompiledRule(r.metrics(), glob(r.metrics()), new Filter(Set.copyOf(r.deny()), Set.copyOf(r.allow()))));
    }
    this.rules = List.copyOf(compiled);
    this.resourceLabels = List.copyOf(resourceLabels);
    this.scopeLabels = scopeLabels;
    this.noRule = new Filter(Set.of(), Set.of());
  }

  static LabelPolicy of(PrometheusExporterConfig config) {
    return new LabelPolicy(
        config.labelDeny(), config.labelAllow(), config.labelRules(), config.resourceLabels(), config.scopeLabels());
  }

  /** What the first matching {@code label_rules} entry adds to the global lists. */
  record Filter(Set<String> deny, Set<String> allow) {}

  private record CompiledRule(String pattern, Pattern glob, Filter filter) {
    boolean matches(String metric) {
      return glob == null ? pattern.equals(metric) : glob.matcher(metric).matches();
    }
  }

  /** Null for a pattern without wildcards (compared as is). */
  static Pattern glob(String pattern) {
    if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
      return null;
    }
    StringBuilder re = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          re.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        re.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  /** The filter of the first rule matching this OTLP metric name (or none). */
  Filter forMetric(String otlpName) {
    if (rules.isEmpty()) {
      return noRule;
    }
    Filter cached = filterCache.get(otlpName);
    if (cached != null) {
      return cached;
    }
    Filter f = noRule;
    for (CompiledRule r : rules) {
      if (r.matches(otlpName)) {
        f = r.filter;
        break;
      }
    }
    if (filterCache.size() < CACHE_LIMIT) {
      filterCache.put(otlpName, f);
    }
    return f;
  }

  boolean accepts(String key) {
    return !key.isEmpty() && !deny.contains(key) && (allow.isEmpty() || allow.contains(key));
  }

  boolean accepts(Filter f, String key) {
    return accepts(key) && !f.deny.contains(key) && (f.allow.isEmpty() || f.allow.contains(key));
  }

  /**
   * The labels of a point.
   *
   * @param filter {@link #forMetric} of the point's metric
   * @param scope the metric's scope, for {@code scope_labels}; null for none
   * @param kind how the metric is exposed: decides the reserved label name
   */
  Labels labels(Filter filter, Attributes point, Attributes resource, Scope scope, Kind kind) {
    List<String> keys = new ArrayList<>(point.size() + resourceLabels.size() + 2);
    List<String> values = new ArrayList<>(point.size() + resourceLabels.size() + 2);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < point.size(); i++) {
      String key = point.key(i);
      // A repeated key (decoders keep what was sent): the first value counts, as in get().
      if (accepts(filter, key) && seen.add(key)) {
        keys.add(key);
        values.add(labelValue(point.value(i)));
      }
    }
    for (String key : resourceLabels) {
      if (point.get(key) != null || !accepts(filter, key) || seen.contains(key)) {
        continue;
      }
      Object v = resource.get(key);
      if (v != null) {
        seen.add(key);
        keys.add(key);
        values.add(labelValue(v));
      }
    }
    if (scopeLabels && scope != null) {
      // The compatibility spec's names; empty values are left out, as Prometheus drops them anyway.
      if (!scope.name().isEmpty()) {
        keys.add("otel_scope_name");
        values.add(scope.name());
      }
      if (!scope.version().isEmpty()) {
        keys.add("otel_scope_version");
        values.add(scope.version());
      }
    }
    String reserved = switch (kind) {
      case HISTOGRAM -> "le";
      case SUMMARY -> "quantile";
      default -> null;
    };
    return build(keys, values, reserved);
  }

  /**
   * The labels of the {@code target_info} series of a resource: every attribute not in {@code
   * label_deny} (the allow lists are about point labels and would empty it).
   */
  Labels targetInfoLabels(Attributes resource) {
    List<String> keys = new ArrayList<>(resource.size());
    List<String> values = new ArrayList<>(resource.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < resource.size(); i++) {
      String key = resource.key(i);
      if (!key.isEmpty() && !deny.contains(key) && seen.add(key)) {
        keys.add(key);
        values.add(labelValue(resource.value(i)));
      }
    }
    return build(keys, values, null);
  }

  private Labels build(List<String> keys, List<String> values, String reserved) {
    if (keys.isEmpty()) {
      return Labels.EMPTY;
    }
    // Sorted by original key, so that colliding values are joined in that order.
    Integer[] order = new Integer[keys.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> keys.get(a).compareTo(keys.get(b)));
    Map<String, String> byName = new LinkedHashMap<>();
    for (int idx : order) {
      String name = labelName(keys.get(idx));
      if (name.equals(reserved)) {
        name = "exported_" + reserved;
      }
      byName.merge(name, values.get(idx), (a, b) -> a + ";" + b);
    }
    String[] names = byName.keySet().toArray(new String[0]);
    String[] vals = byName.values().toArray(new String[0]);
    return Labels.of(names, vals);
  }

  /**
   * {@link Attributes#valueToString}, except bytes: plain base64, where valueToString gives a
   * quoted JSON string.
   */
  static String labelValue(Object v) {
    if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
    return Attributes.valueToString(v);
  }

  String labelName(String key) {
    String cached = nameCache.get(key);
    if (cached != null) {
      return cached;
    }
    String name = MetricNames.sanitizeLabelName(key);
    if (nameCache.size() < CACHE_LIMIT) {
      nameCache.put(key, name);
    }
    return name;
  }
}

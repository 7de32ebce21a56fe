package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig.LabelRule;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
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
  private final Filter targetInfoFilter;

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
    this.targetInfoFilter = new Filter(Set.of(), Set.of(), true);
  }

  static LabelPolicy of(PrometheusExporterConfig config) {
    return new LabelPolicy(
        config.labelDeny(), config.labelAllow(), config.labelRules(), config.resourceLabels(), config.scopeLabels());
  }

  /**
   * What the first matching {@code label_rules} entry adds to the global lists, with a bounded
   * cache of the decision and label name per attribute key (one lookup per key instead of several
   * set lookups and a name lookup).
   */
  final class Filter {
    final Set<String> deny;
    final Set<String> allow;
    /** target_info: only the global deny list counts. */
    private final boolean targetInfo;
    private final Map<String, KeyInfo> keys = new ConcurrentHashMap<>();
    /**
     * Plans by the hash of (kind, scope presence, point keys), direct-mapped: a slot holds the last
     * plan made for its hash. Written and read without locks: a plan is immutable (final fields),
     * and a lost or replaced one is only made again.
     */
    private final Plan[] plans = new Plan[PLAN_SLOTS];

    Filter(Set<String> deny, Set<String> allow) {
      this(deny, allow, false);
    }

    private Filter(Set<String> deny, Set<String> allow, boolean targetInfo) {
      this.deny = deny;
      this.allow = allow;
      this.targetInfo = targetInfo;
    }

    /** Whether the key passes this filter and the global lists, and its label name. */
    KeyInfo info(String key) {
      KeyInfo cached = keys.get(key);
      if (cached != null) {
        return cached;
      }
      boolean accepted = targetInfo ? !key.isEmpty() && !LabelPolicy.this.deny.contains(key) : accepts(this, key);
      KeyInfo info = accepted ? KeyInfo.of(labelName(key)) : KeyInfo.REFUSED;
      if (keys.size() < CACHE_LIMIT) {
        keys.put(key, info);
      }
      return info;
    }
  }

  /**
   * What a filter says about one attribute key: refused, or accepted with its label name ({@link
   * MetricNames#sanitizeLabelName}), whether client_java takes that name, and the name to use where
   * it is reserved.
   */
  static final class KeyInfo {
    static final KeyInfo REFUSED = new KeyInfo(false, null, false);

    final boolean accepted;
    final String name;
    final boolean valid;

    private KeyInfo(boolean accepted, String name, boolean valid) {
      this.accepted = accepted;
      this.name = name;
      this.valid = valid;
    }

    static KeyInfo of(String name) {
      return new KeyInfo(true, name, PrometheusNaming.isValidLabelName(name));
    }

    /** The label name for a metric of this kind: {@code le} and {@code quantile} get {@code exported_}. */
    String name(Kind kind) {
      if (kind == Kind.HISTOGRAM && name.equals("le")) {
        return "exported_le";
      }
      if (kind == Kind.SUMMARY && name.equals("quantile")) {
        return "exported_quantile";
      }
      return name;
    }
  }

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
   * The labels of a point, as a series key.
   *
   * @param filter {@link #forMetric} of the point's metric
   * @param scope the metric's scope, for {@code scope_labels}; null for none
   * @param kind how the metric is exposed: decides the reserved label name
   * @throws IllegalArgumentException when a label name is one client_java refuses (not expected:
   *     names are sanitized)
   */
  SeriesKey labels(Filter filter, Attributes point, Attributes resource, Scope scope, Kind kind) {
    int scopeMask = scopeMask(scope);
    int hash = planHash(point, kind, scopeMask);
    Plan[] plans = filter.plans;
    int slot = hash & (PLAN_SLOTS - 1);
    Plan plan = plans[slot];
    if (plan == null || !plan.matches(hash, point, kind, scopeMask)) {
      plan = plan(filter, point, kind, scopeMask, hash);
      plans[slot] = plan;
    }
    if (plan.source != null) {
      SeriesKey key = plan.apply(point, resource, scope);
      if (key != null) {
        return key;
      }
    }
    return labelsSlowly(filter, point, resource, scope, kind);
  }

  // ---------------------------------------------------------------------------------------------
  // Plans: points of one metric nearly always carry the same keys in the same order, so the
  // decisions, names and label order worked out for one point serve the next ones.

  private static final int PLAN_SLOTS = 256;

  /** Bit 0: a scope name label is added; bit 1: a scope version label. */
  private int scopeMask(Scope scope) {
    if (!scopeLabels || scope == null) {
      return 0;
    }
    return (scope.name().isEmpty() ? 0 : 1) | (scope.version().isEmpty() ? 0 : 2);
  }

  private static int planHash(Attributes point, Kind kind, int scopeMask) {
    int h = kind.ordinal() * 4 + scopeMask;
    for (int i = 0; i < point.size(); i++) {
      h = 31 * h + point.key(i).hashCode();
    }
    return h ^ (h >>> 16);
  }

  /**
   * How points with exactly these keys (in this order), of this kind and scope presence, become
   * labels: which attribute (or scope field) gives each label, in label-name order. Only made when
   * no two entries share a label name (no repeated key, no collision) and every name is valid;
   * otherwise {@code source} is null and such points take the general path. A point for which one
   * of {@code resourceKeys} is present in the resource takes the general path too (it would add a
   * label).
   */
  static final class Plan {
    private static final int SCOPE_NAME_SOURCE = -1;
    private static final int SCOPE_VERSION_SOURCE = -2;

    private final int hash;
    private final Kind kind;
    private final int scopeMask;
    private final String[] keys;
    private final int[] source;
    private final String[] names;
    private final String[] resourceKeys;

    private Plan(int hash, Kind kind, int scopeMask, String[] keys, int[] source, String[] names, String[] resourceKeys) {
      this.hash = hash;
      this.kind = kind;
      this.scopeMask = scopeMask;
      this.keys = keys;
      this.source = source;
      this.names = names;
      this.resourceKeys = resourceKeys;
    }

    boolean matches(int hash, Attributes point, Kind kind, int scopeMask) {
      if (this.hash != hash || this.kind != kind || this.scopeMask != scopeMask || keys.length != point.size()) {
        return false;
      }
      for (int i = 0; i < keys.length; i++) {
        if (!keys[i].equals(point.key(i))) {
          return false;
        }
      }
      return true;
    }

    /** The key of the point, or null when the resource adds a label (general path). */
    SeriesKey apply(Attributes point, Attributes resource, Scope scope) {
      for (String key : resourceKeys) {
        if (resource.get(key) != null) {
          return null;
        }
      }
      int n = source.length;
      if (n == 0) {
        return SeriesKey.EMPTY;
      }
      String[] values = new String[n];
      for (int i = 0; i < n; i++) {
        int src = source[i];
        values[i] =
            src >= 0
                ? labelValue(point.value(src))
                : src == SCOPE_NAME_SOURCE ? scope.name() : scope.version();
      }
      return SeriesKey.ofSorted(names, values);
    }
  }

  private Plan plan(Filter filter, Attributes point, Kind kind, int scopeMask, int hash) {
    int size = point.size();
    String[] keys = new String[size];
    String[] names = new String[size + 2];
    int[] source = new int[size + 2];
    int n = 0;
    boolean general = false;
    for (int i = 0; i < size; i++) {
      String key = point.key(i);
      keys[i] = key;
      KeyInfo info = filter.info(key);
      if (info.accepted) {
        general |= !info.valid;
        names[n] = info.name(kind);
        source[n++] = i;
      }
    }
    if ((scopeMask & 1) != 0) {
      names[n] = SCOPE_NAME;
      source[n++] = Plan.SCOPE_NAME_SOURCE;
    }
    if ((scopeMask & 2) != 0) {
      names[n] = SCOPE_VERSION;
      source[n++] = Plan.SCOPE_VERSION_SOURCE;
    }
    // Label-name order; entries sharing a name (repeated keys, collisions) need the general path.
    for (int i = 1; i < n; i++) {
      String name = names[i];
      int src = source[i];
      int j = i - 1;
      while (j >= 0) {
        int c = names[j].compareTo(name);
        if (c == 0) {
          general = true;
        }
        if (c <= 0) {
          break;
        }
        names[j + 1] = names[j];
        source[j + 1] = source[j];
        j--;
      }
      names[j + 1] = name;
      source[j + 1] = src;
    }
    List<String> resourceKeys = new ArrayList<>(resourceLabels.size());
    for (String key : resourceLabels) {
      if (filter.info(key).accepted && point.get(key) == null && !resourceKeys.contains(key)) {
        resourceKeys.add(key);
      }
    }
    return new Plan(
        hash,
        kind,
        scopeMask,
        keys,
        general ? null : Arrays.copyOf(source, n),
        general ? null : Arrays.copyOf(names, n),
        resourceKeys.toArray(new String[0]));
  }

  /** The labels of a point without a plan: the rules as they are, step by step. */
  private SeriesKey labelsSlowly(Filter filter, Attributes point, Attributes resource, Scope scope, Kind kind) {
    int pointSize = point.size();
    int cap = pointSize + resourceLabels.size() + 2;
    // Parallel arrays: original key (for the order of joined values), label name, value.
    String[] keys = new String[cap];
    String[] names = new String[cap];
    String[] values = new String[cap];
    int n = 0;
    for (int i = 0; i < pointSize; i++) {
      String key = point.key(i);
      KeyInfo info = filter.info(key);
      if (info.accepted) {
        // A repeated key (decoders keep what was sent) is dropped in build: the first value counts.
        checkValid(info);
        keys[n] = key;
        names[n] = info.name(kind);
        values[n] = labelValue(point.value(i));
        n++;
      }
    }
    for (int r = 0; r < resourceLabels.size(); r++) {
      String key = resourceLabels.get(r);
      KeyInfo info = filter.info(key);
      if (!info.accepted || point.get(key) != null) {
        continue;
      }
      Object v = resource.get(key);
      if (v != null) {
        checkValid(info);
        keys[n] = key;
        names[n] = info.name(kind);
        values[n] = labelValue(v);
        n++;
      }
    }
    int firstScope = n;
    if (scopeLabels && scope != null) {
      // The compatibility spec's names; empty values are left out, as Prometheus drops them anyway.
      // Not subject to the repeated-key rule: a point attribute of the same name is joined with it.
      if (!scope.name().isEmpty()) {
        keys[n] = SCOPE_NAME;
        names[n] = SCOPE_NAME;
        values[n++] = scope.name();
      }
      if (!scope.version().isEmpty()) {
        keys[n] = SCOPE_VERSION;
        names[n] = SCOPE_VERSION;
        values[n++] = scope.version();
      }
    }
    return build(keys, names, values, n, firstScope);
  }

  private static final String SCOPE_NAME = "otel_scope_name";
  private static final String SCOPE_VERSION = "otel_scope_version";

  private static void checkValid(KeyInfo info) {
    if (!info.valid) {
      throw new IllegalArgumentException(info.name + " is not a valid label name");
    }
  }

  /**
   * The labels of the {@code target_info} series of a resource: every attribute not in {@code
   * label_deny} (the allow lists are about point labels and would empty it).
   */
  SeriesKey targetInfoLabels(Attributes resource) {
    int size = resource.size();
    String[] keys = new String[size];
    String[] names = new String[size];
    String[] values = new String[size];
    int n = 0;
    for (int i = 0; i < size; i++) {
      String key = resource.key(i);
      KeyInfo info = targetInfoFilter.info(key);
      if (info.accepted) {
        checkValid(info);
        keys[n] = key;
        names[n] = info.name;
        values[n] = labelValue(resource.value(i));
        n++;
      }
    }
    return build(keys, names, values, n, n);
  }

  /**
   * The series key of the first n entries (original key, label name, value). Entries are ordered by
   * label name, then original key, then position (a stable insertion sort of their indexes: n is a
   * dozen or so). Then, among entries before {@code firstScope}, a repeated original key keeps its
   * first value only (as {@link Attributes#get} would); and entries sharing a label name have their
   * values joined with {@code ;} in the lexicographic order of their original keys, as the
   * compatibility rule asks.
   */
  private static SeriesKey build(String[] keys, String[] names, String[] values, int n, int firstScope) {
    if (n == 0) {
      return SeriesKey.EMPTY;
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    boolean sameName = false;
    for (int i = 1; i < n; i++) {
      int x = order[i];
      String name = names[x];
      int j = i - 1;
      while (j >= 0) {
        int y = order[j];
        int c = names[y].compareTo(name);
        if (c == 0) {
          sameName = true;
          c = keys[y].compareTo(keys[x]);
        }
        if (c <= 0) {
          break;
        }
        order[j + 1] = y;
        j--;
      }
      order[j + 1] = x;
    }
    String[] outNames = new String[n];
    String[] outValues = new String[n];
    if (!sameName) {
      for (int i = 0; i < n; i++) {
        outNames[i] = names[order[i]];
        outValues[i] = values[order[i]];
      }
      return SeriesKey.ofSorted(outNames, outValues);
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      int x = order[i];
      if (m > 0 && outNames[m - 1].equals(names[x])) {
        int prev = order[i - 1]; // same name, so the same run of entries
        if (x < firstScope && prev < firstScope && keys[prev].equals(keys[x])) {
          continue; // a repeated key: the first value counts
        }
        outValues[m - 1] = outValues[m - 1] + ";" + values[x];
      } else {
        outNames[m] = names[x];
        outValues[m] = values[x];
        m++;
      }
    }
    return SeriesKey.ofSorted(m == n ? outNames : Arrays.copyOf(outNames, m), m == n ? outValues : Arrays.copyOf(outValues, m));
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

package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.Attributes;
import io.prometheus.metrics.model.snapshots.Labels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which attributes become labels, and how they are named.
 *
 * <p>Candidates are the point's attributes plus, for each key of {@code resourceLabels} the point
 * does not carry itself, that resource attribute. A candidate is dropped when its key is in the
 * deny list, or when an allow list is set and does not name it (keys as sent, before sanitizing).
 * Label names are sanitized ({@link MetricNames#sanitizeLabelName}); values are {@link
 * Attributes#valueToString} (a bool is {@code true}). When several keys sanitize to one label name
 * their values are joined with {@code ;} in the lexicographic order of the original keys (the
 * OpenTelemetry compatibility rule), so no value silently replaces another.
 *
 * <p>Thread-safe (immutable apart from a bounded cache of sanitized names).
 */
final class LabelPolicy {
  private static final int NAME_CACHE_LIMIT = 10_000;

  private final Set<String> deny;
  private final Set<String> allow;
  private final List<String> resourceLabels;
  private final Map<String, String> nameCache = new ConcurrentHashMap<>();

  LabelPolicy(Collection<String> deny, Collection<String> allow, List<String> resourceLabels) {
    this.deny = Set.copyOf(deny);
    this.allow = Set.copyOf(allow);
    this.resourceLabels = List.copyOf(resourceLabels);
  }

  static LabelPolicy of(PrometheusExporterConfig config) {
    return new LabelPolicy(config.labelDeny(), config.labelAllow(), config.resourceLabels());
  }

  boolean accepts(String key) {
    return !key.isEmpty() && !deny.contains(key) && (allow.isEmpty() || allow.contains(key));
  }

  /**
   * The labels of a point.
   *
   * @param histogram a histogram's own {@code le} label is reserved; an attribute that would take
   *     that name is exposed as {@code exported_le} instead
   */
  Labels labels(Attributes point, Attributes resource, boolean histogram) {
    List<String> keys = new ArrayList<>(point.size() + resourceLabels.size());
    List<String> values = new ArrayList<>(point.size() + resourceLabels.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < point.size(); i++) {
      String key = point.key(i);
      // A repeated key (decoders keep what was sent): the first value counts, as in get().
      if (accepts(key) && seen.add(key)) {
        keys.add(key);
        values.add(labelValue(point.value(i)));
      }
    }
    for (String key : resourceLabels) {
      if (point.get(key) != null || !accepts(key) || seen.contains(key)) {
        continue;
      }
      Object v = resource.get(key);
      if (v != null) {
        seen.add(key);
        keys.add(key);
        values.add(labelValue(v));
      }
    }
    if (keys.isEmpty()) {
      return Labels.EMPTY;
    }
    // Sorted by original key, so that colliding values are joined in that order.
    Integer[] order = new Integer[keys.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> keys.get(a).compareTo(keys.get(b)));
    Map<String, String> byName = new LinkedHashMap<>();
    for (int idx : order) {
      String name = labelName(keys.get(idx));
      if (histogram && name.equals("le")) {
        name = "exported_le";
      }
      String value = values.get(idx);
      byName.merge(name, value, (a, b) -> a + ";" + b);
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
    if (nameCache.size() < NAME_CACHE_LIMIT) {
      nameCache.put(key, name);
    }
    return name;
  }
}

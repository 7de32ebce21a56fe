package io.ccotel.gateway.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A read-only view of one mapping in the YAML configuration, with typed getters whose errors name
 * the full dotted path of the key ({@code exporters.prometheus.endpoint: expected host:port, got
 * "9464x"}). Components parse their own section with it and call {@link #checkKnownKeys} so that
 * a misspelt key is an error at start-up, not a silently ignored setting.
 */
public final class ConfigNode {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(B|KB|KiB|MB|MiB|GB|GiB)?", Pattern.CASE_INSENSITIVE);

  private final String path;
  private final Map<String, Object> values;

  public ConfigNode(String path, Map<String, Object> values) {
    this.path = path;
    this.values = values == null ? Map.of() : values;
  }

  public static ConfigNode empty(String path) {
    return new ConfigNode(path, Map.of());
  }

  public String path() {
    return path;
  }

  public String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public boolean has(String key) {
    return values.containsKey(key) && values.get(key) != null;
  }

  public Set<String> keys() {
    return values.keySet();
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** Fails naming the first key not in {@code known}, listing the keys that are. */
  public void checkKnownKeys(Collection<String> known) {
    for (String k : values.keySet()) {
      if (!known.contains(k)) {
        throw new ConfigException(pathOf(k), "unknown key; known keys here: " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  public ConfigNode child(String key) {
    Object v = values.get(key);
    if (v == null) {
      return empty(pathOf(key));
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new ConfigException(pathOf(key), "expected a mapping (key: value lines), got " + describe(v));
    }
    Map<String, Object> copy = new LinkedHashMap<>();
    m.forEach((k, val) -> copy.put(String.valueOf(k), val));
    return new ConfigNode(pathOf(key), copy);
  }

  /** A child given as a mapping, or null when the key is absent or explicitly null. */
  public Object raw(String key) {
    return values.get(key);
  }

  public String string(String key, String defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Map || v instanceof List) {
      throw new ConfigException(pathOf(key), "expected a single value, got " + describe(v));
    }
    return String.valueOf(v);
  }

  public String requiredString(String key) {
    String s = string(key, null);
    if (s == null || s.isBlank()) {
      throw new ConfigException(pathOf(key), "is required");
    }
    return s;
  }

  public String oneOf(String key, String defaultValue, String... allowed) {
    String s = string(key, defaultValue);
    for (String a : allowed) {
      if (a.equals(s)) {
        return s;
      }
    }
    throw new ConfigException(pathOf(key), "expected one of " + String.join(", ", allowed) + ", got \"" + s + "\"");
  }

  public boolean bool(String key, boolean defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
    if (s.equals("true")) {
      return true;
    }
    if (s.equals("false")) {
      return false;
    }
    throw new ConfigException(pathOf(key), "expected true or false, got " + describe(v));
  }

  public long longValue(String key, long defaultValue, long min, long max) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    long n;
    if (v instanceof Number num && !(v instanceof Double || v instanceof Float)) {
      n = num.longValue();
    } else {
      try {
        n = Long.parseLong(String.valueOf(v).trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(pathOf(key), "expected a whole number, got " + describe(v));
      }
    }
    checkRange(key, n, min, max);
    return n;
  }

  public int intValue(String key, int defaultValue, int min, int max) {
    return (int) longValue(key, defaultValue, min, max);
  }

  /** A duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 7d}. */
  public Duration duration(String key, Duration defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    Matcher m = DURATION.matcher(String.valueOf(v).trim());
    if (!m.matches()) {
      throw new ConfigException(pathOf(key), "expected a duration such as 500ms, 30s, 5m, 24h or 7d, got " + describe(v));
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** A size such as {@code 65536}, {@code 64KiB}, {@code 64MiB}, {@code 1GiB} (KB/MB/GB are powers of 1000). */
  public long bytes(String key, long defaultValue, long min, long max) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    Matcher m = BYTES.matcher(String.valueOf(v).trim());
    if (!m.matches()) {
      throw new ConfigException(pathOf(key), "expected a size such as 65536, 512KiB or 64MiB, got " + describe(v));
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toLowerCase(Locale.ROOT);
    long mult = switch (unit) {
      case "kb" -> 1000L;
      case "kib" -> 1024L;
      case "mb" -> 1000L * 1000;
      case "mib" -> 1024L * 1024;
      case "gb" -> 1000L * 1000 * 1000;
      case "gib" -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    long result = Math.multiplyExact(n, mult);
    checkRange(key, result, min, max);
    return result;
  }

  public List<String> stringList(String key, List<String> defaultValue) {
    Object v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (!(v instanceof List<?> list)) {
      throw new ConfigException(pathOf(key), "expected a list such as [a, b], got " + describe(v));
    }
    List<String> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      Object e = list.get(i);
      if (e == null || e instanceof Map || e instanceof List) {
        throw new ConfigException(pathOf(key) + "[" + i + "]", "expected a single value, got " + describe(e));
      }
      out.add(String.valueOf(e));
    }
    return List.copyOf(out);
  }

  /** A host:port pair; a bare port means all interfaces. */
  public HostPort hostPort(String key, HostPort defaultValue) {
    String s = string(key, null);
    if (s == null) {
      return defaultValue;
    }
    try {
      return HostPort.parse(s);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(pathOf(key), e.getMessage());
    }
  }

  private void checkRange(String key, long n, long min, long max) {
    if (n < min || n > max) {
      throw new ConfigException(pathOf(key), "must be between " + min + " and " + max + ", got " + n);
    }
  }

  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof Map) {
      return "a mapping";
    }
    if (v instanceof List) {
      return "a list";
    }
    return "\"" + v + "\"";
  }
}

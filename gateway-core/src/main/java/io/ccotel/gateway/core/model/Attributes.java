package io.ccotel.gateway.core.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An immutable, ordered list of attribute key/value pairs, as OTLP carries them.
 *
 * <p>Values are plain Java objects: {@link String}, {@link Boolean}, {@link Long}, {@link Double},
 * read-only {@link ByteBuffer} (bytes), {@link List} of values (array) or {@link Attributes}
 * (key/value list). Order is kept as received; {@link #equals} compares keys and values in order,
 * so two sets with the same pairs in another order are different (OTLP clients send a stable order).
 *
 * <p>Thread-safe: instances never change after construction.
 */
public final class Attributes {
  private static final String[] NO_KEYS = new String[0];
  private static final Object[] NO_VALUES = new Object[0];
  private static final Attributes EMPTY = new Attributes(NO_KEYS, NO_VALUES);

  private final String[] keys;
  private final Object[] values;
  private int hash;

  private Attributes(String[] keys, Object[] values) {
    this.keys = keys;
    this.values = values;
  }

  public static Attributes empty() {
    return EMPTY;
  }

  /** Alternating keys and values: {@code of("model", "opus", "type", "input")}. */
  public static Attributes of(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must come in pairs");
    }
    Builder b = builder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      b.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return b.build();
  }

  public static Builder builder() {
    return new Builder(8);
  }

  public static Builder builder(int expectedSize) {
    return new Builder(expectedSize);
  }

  public int size() {
    return keys.length;
  }

  public boolean isEmpty() {
    return keys.length == 0;
  }

  public String key(int i) {
    return keys[i];
  }

  public Object value(int i) {
    return values[i];
  }

  /** The value of the first pair with this key, or null. */
  public Object get(String key) {
    for (int i = 0; i < keys.length; i++) {
      if (keys[i].equals(key)) {
        return values[i];
      }
    }
    return null;
  }

  /** The value as text (see {@link #valueToString}), or null when the key is absent. */
  public String getString(String key) {
    Object v = get(key);
    return v == null ? null : valueToString(v);
  }

  public void forEach(BiConsumer<String, Object> action) {
    for (int i = 0; i < keys.length; i++) {
      action.accept(keys[i], values[i]);
    }
  }

  /** A copy with the pairs of {@code other} put over these (same key: other's value wins). */
  public Attributes withAll(Attributes other) {
    if (other.isEmpty()) {
      return this;
    }
    Builder b = toBuilder();
    other.forEach(b::put);
    return b.build();
  }

  public Builder toBuilder() {
    Builder b = new Builder(keys.length + 4);
    forEach(b::put);
    return b;
  }

  public Map<String, Object> asMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    forEach(m::putIfAbsent);
    return m;
  }

  /**
   * Text form of an attribute value, as the OpenTelemetry-to-Prometheus rules ask for label values:
   * strings as they are, booleans and numbers in their usual form, bytes as base64, arrays and
   * key/value lists as JSON.
   */
  public static String valueToString(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Double d) {
      return doubleToString(d);
    }
    if (v instanceof Boolean || v instanceof Long) {
      return v.toString();
    }
    StringBuilder sb = new StringBuilder();
    appendJson(sb, v);
    return sb.toString();
  }

  private static String doubleToString(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return Double.toString(d);
  }

  /** Appends the value as JSON: numbers stay numbers, NaN and infinities become strings. */
  public static void appendJson(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      appendJsonString(sb, s);
    } else if (v instanceof Boolean || v instanceof Long) {
      sb.append(v);
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        appendJsonString(sb, d.toString());
      } else {
        sb.append(doubleToString(d));
      }
    } else if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      appendJsonString(sb, Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof List<?> list) {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        appendJson(sb, list.get(i));
      }
      sb.append(']');
    } else if (v instanceof Attributes kv) {
      sb.append('{');
      for (int i = 0; i < kv.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        appendJsonString(sb, kv.key(i));
        sb.append(':');
        appendJson(sb, kv.value(i));
      }
      sb.append('}');
    } else {
      appendJsonString(sb, v.toString());
    }
  }

  public static void appendJsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Attributes other)) {
      return false;
    }
    return Arrays.equals(keys, other.keys) && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(keys) + Arrays.hashCode(values);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    appendJson(sb, this);
    return sb.toString();
  }

  /** Collects pairs; a later {@link #put} of an existing key replaces its value in place. */
  public static final class Builder {
    private final List<String> keys;
    private final List<Object> values;

    private Builder(int expected) {
      keys = new ArrayList<>(expected);
      values = new ArrayList<>(expected);
    }

    public Builder put(String key, Object value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      int i = keys.indexOf(key);
      if (i >= 0) {
        values.set(i, value);
      } else {
        keys.add(key);
        values.add(value);
      }
      return this;
    }

    /** Adds without looking for an earlier pair with the same key (decoders keep what was sent). */
    public Builder add(String key, Object value) {
      keys.add(Objects.requireNonNull(key, "key"));
      values.add(Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder remove(String key) {
      int i;
      while ((i = keys.indexOf(key)) >= 0) {
        keys.remove(i);
        values.remove(i);
      }
      return this;
    }

    public int size() {
      return keys.size();
    }

    public Attributes build() {
      if (keys.isEmpty()) {
        return EMPTY;
      }
      return new Attributes(keys.toArray(NO_KEYS), values.toArray(NO_VALUES));
    }
  }
}

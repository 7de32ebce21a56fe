package io.ccotel.gateway.exporters.prometheus;

import io.prometheus.metrics.model.snapshots.Labels;
import java.util.Arrays;

/**
 * The identity of an output series within its metric: label names and values, names sorted
 * ({@link String#compareTo}) and distinct. Cheaper than client_java's {@link Labels} as a hash key:
 * built without validation or a second sort, hashed once at construction, and compared by its two
 * arrays; the series keeps the {@link Labels} made from it once ({@link #toLabels}), so scrapes and
 * saves do not rebuild them.
 *
 * <p>Immutable (the arrays are never changed after construction, and never handed out).
 */
final class SeriesKey {
  static final SeriesKey EMPTY = new SeriesKey(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private final int hash;

  /** Takes the arrays as they are: names sorted and distinct, same length, no nulls. */
  private SeriesKey(String[] names, String[] values) {
    this.names = names;
    this.values = values;
    int h = 1;
    for (int i = 0; i < names.length; i++) {
      h = 31 * h + names[i].hashCode();
      h = 31 * h + values[i].hashCode();
    }
    this.hash = h;
  }

  /** For callers that already sorted the names and removed repeats (the label policy). */
  static SeriesKey ofSorted(String[] names, String[] values) {
    return names.length == 0 ? EMPTY : new SeriesKey(names, values);
  }

  /** The key of these labels (in whatever order client_java keeps them). */
  static SeriesKey of(Labels labels) {
    int n = labels.size();
    String[] names = new String[n];
    String[] values = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = labels.getName(i);
      values[i] = labels.getValue(i);
    }
    sortByName(names, values, n);
    for (int i = 1; i < n; i++) {
      if (names[i].equals(names[i - 1])) {
        throw new IllegalArgumentException("duplicate label name " + names[i]);
      }
    }
    return ofSorted(names, values);
  }

  /** Insertion sort of the first n names, moving values along (stable; n is small). */
  static void sortByName(String[] names, String[] values, int n) {
    for (int i = 1; i < n; i++) {
      String name = names[i];
      String value = values[i];
      int j = i - 1;
      while (j >= 0 && names[j].compareTo(name) > 0) {
        names[j + 1] = names[j];
        values[j + 1] = values[j];
        j--;
      }
      names[j + 1] = name;
      values[j + 1] = value;
    }
  }

  int size() {
    return names.length;
  }

  String name(int i) {
    return names[i];
  }

  String value(int i) {
    return values[i];
  }

  /** client_java's labels for this key; validates the names (throws IllegalArgumentException). */
  Labels toLabels() {
    return names.length == 0 ? Labels.EMPTY : Labels.of(names, values);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof SeriesKey k
        && hash == k.hash
        && Arrays.equals(names, k.names)
        && Arrays.equals(values, k.values);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(names[i]).append("=\"").append(values[i]).append('"');
    }
    return sb.append('}').toString();
  }
}

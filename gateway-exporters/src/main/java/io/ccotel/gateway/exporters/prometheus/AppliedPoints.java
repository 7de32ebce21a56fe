package io.ccotel.gateway.exporters.prometheus;

import java.util.Arrays;

/**
 * The fingerprints of applied delta points, with the time each was applied, in insertion order:
 * what {@link MetricAccumulator} remembers to recognise client retries. Behaves as a {@code
 * LinkedHashMap<Fingerprint, Long>} in insertion order whose entries are only ever removed eldest
 * first, but holds an entry in a few primitive array slots (no node, key or boxed value objects): a
 * ring of (hi, lo, time) in insertion order plus an open-addressing index of ring slots (linear
 * probing, deletion by backward shift). Hundreds of thousands of entries are the normal case, and
 * every applied point adds one and, once full, evicts one: so an index cell also holds its entry's
 * hash, and probing (lookups, deletions) reads the ring only for a cell whose hash matches (fewer
 * cache misses).
 *
 * <p>Not thread-safe (guarded by the accumulator's lock).
 */
final class AppliedPoints {
  private static final int MIN_CAPACITY = 16;
  /** Largest ring (its index has twice the cells, within an array's reach). */
  private static final int MAX_CAPACITY = 1 << 29;

  // Ring, insertion order: entry k (0 = eldest) is at (head + k) & ringMask.
  private long[] his;
  private long[] los;
  private long[] ats;
  private int ringMask;
  private int head;
  private int size;
  // Index: (hash << 32) | (ring slot + 1), or 0 for an empty cell; at most half full.
  private long[] index;
  private int indexMask;

  AppliedPoints() {
    this(MIN_CAPACITY);
  }

  AppliedPoints(int expected) {
    allocate(capacityFor(expected));
  }

  private static int capacityFor(int expected) {
    int cap = MIN_CAPACITY;
    while (cap < expected && cap < MAX_CAPACITY) {
      cap <<= 1;
    }
    return cap;
  }

  private void allocate(int ringCapacity) {
    his = new long[ringCapacity];
    los = new long[ringCapacity];
    ats = new long[ringCapacity];
    ringMask = ringCapacity - 1;
    index = new long[ringCapacity * 2];
    indexMask = index.length - 1;
    head = 0;
    size = 0;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  private static int hash(long hi, long lo) {
    long h = hi ^ lo; // a digest: its bits are uniform already
    return (int) (h ^ (h >>> 32));
  }

  private static int slotOf(long cell) {
    return (int) cell - 1;
  }

  private static int hashOf(long cell) {
    return (int) (cell >>> 32);
  }

  /** The cell of the index holding this fingerprint, or -1. */
  private int find(long hi, long lo) {
    int h = hash(hi, lo);
    int i = h & indexMask;
    while (true) {
      long v = index[i];
      if (v == 0) {
        return -1;
      }
      if (hashOf(v) == h) {
        int slot = slotOf(v);
        if (los[slot] == lo && his[slot] == hi) {
          return i;
        }
      }
      i = (i + 1) & indexMask;
    }
  }

  boolean contains(Fingerprint f) {
    return find(f.hi(), f.lo()) >= 0;
  }

  /** The time the point was remembered at, or null. */
  Long get(Fingerprint f) {
    int cell = find(f.hi(), f.lo());
    return cell < 0 ? null : ats[slotOf(index[cell])];
  }

  /**
   * Remembers a fingerprint as the newest entry; one already remembered keeps its place and takes
   * the new time (as {@link java.util.LinkedHashMap#put} in insertion order).
   */
  void put(Fingerprint f, long at) {
    put(f.hi(), f.lo(), at);
  }

  void put(long hi, long lo, long at) {
    int cell = find(hi, lo);
    if (cell >= 0) {
      ats[slotOf(index[cell])] = at;
      return;
    }
    if (size == his.length) {
      if (his.length == MAX_CAPACITY) {
        removeEldest(); // over half a billion entries (12 GB): the eldest goes rather than fail
      } else {
        grow();
      }
    }
    int slot = (head + size) & ringMask;
    his[slot] = hi;
    los[slot] = lo;
    ats[slot] = at;
    size++;
    int h = hash(hi, lo);
    int i = h & indexMask;
    while (index[i] != 0) {
      i = (i + 1) & indexMask;
    }
    index[i] = ((long) h << 32) | (slot + 1);
  }

  private void grow() {
    long[] h = his;
    long[] l = los;
    long[] a = ats;
    int oldHead = head;
    int oldSize = size;
    int oldMask = ringMask;
    allocate(h.length * 2);
    for (int k = 0; k < oldSize; k++) {
      int s = (oldHead + k) & oldMask;
      put(h[s], l[s], a[s]);
    }
  }

  /** The time of the eldest entry; only when not empty. */
  long eldestAt() {
    return ats[head];
  }

  /** Forgets the eldest entry; only when not empty. */
  void removeEldest() {
    int slot = head;
    int cell = find(his[slot], los[slot]);
    deleteCell(cell);
    head = (head + 1) & ringMask;
    size--;
  }

  /** Linear-probing deletion: moves later cells of the cluster back so that lookups still find them. */
  private void deleteCell(int cell) {
    int gap = cell;
    int i = cell;
    while (true) {
      i = (i + 1) & indexMask;
      long v = index[i];
      if (v == 0) {
        break;
      }
      int home = hashOf(v) & indexMask;
      // Move it into the gap when its home is not within (gap, i] (cyclically).
      boolean stays = gap <= i ? (home > gap && home <= i) : (home > gap || home <= i);
      if (!stays) {
        index[gap] = v;
        gap = i;
      }
    }
    index[gap] = 0;
  }

  /**
   * Forgets entries eldest first while the eldest is older than {@code cutoff} or there are more
   * than {@code max}.
   */
  void forget(long cutoff, int max) {
    while (size > 0 && (ats[head] < cutoff || size > max)) {
      removeEldest();
    }
  }

  void clear() {
    Arrays.fill(index, 0L);
    head = 0;
    size = 0;
  }

  /** Entry k in insertion order (0 = eldest). */
  long hi(int k) {
    return his[(head + k) & ringMask];
  }

  long lo(int k) {
    return los[(head + k) & ringMask];
  }

  long at(int k) {
    return ats[(head + k) & ringMask];
  }
}

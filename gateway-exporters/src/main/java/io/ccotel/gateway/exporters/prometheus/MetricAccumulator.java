package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Resolved;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus exporter's state: OTLP points in, one exact Prometheus series per (name, label
 * set) out. The gateway is the single writer of every counter (design.md), so totals stay exact
 * whatever mix of temporalities, processes and retries the clients send.
 *
 * <p>Output series identity is the Prometheus metric name plus the labels left by the {@link
 * LabelPolicy}; points whose attributes differ only in dropped keys (such as {@code session.id})
 * add up into one series. Per OTLP kind:
 *
 * <ul>
 *   <li><b>Delta monotonic sums</b> (Claude Code's default): every delta is added, whatever its
 *       start time (sparse series and gaps are normal). Only an exact repeat of an applied point
 *       (same metric name, resource, scope, full attribute set, start and end time and value: a
 *       client retry) is dropped, and counted in {@link #duplicatePoints()}. Negative or
 *       non-finite deltas are rejected.
 *   <li><b>Cumulative monotonic sums</b>: each writer (metric name, resource, scope, full
 *       attribute set, start time) is tracked on its own and contributes its increase since its
 *       last value. A writer seen for the first time contributes its whole value (it counts from
 *       its start time); a value below the writer's last one is a restart, and the new value is
 *       all new; a new start time is a new writer. So several processes sharing one label set and
 *       client restarts stay exact, and the output never steps down. (Internally a series is a
 *       base plus its writers' current values, so one writer's total is exactly its last value.)
 *   <li><b>Gauges and cumulative non-monotonic sums</b>: last value by point time (an older point
 *       never replaces a newer one); exposed as gauges.
 *   <li><b>Delta non-monotonic sums</b>: the deltas are added (retries dropped as above) and the
 *       running sum is exposed as a gauge.
 *   <li><b>Explicit-bucket histograms</b>: delta points add counts, sum and bucket counts;
 *       cumulative points add each writer's increase as for sums. Exposed as classic histograms. A
 *       point whose bounds differ from its output series' bounds is rejected ({@link
 *       RejectReason#BUCKET_LAYOUT_CHANGED}), never merged. A point without a sum makes the series'
 *       sum unknown, and client_java then leaves out {@code _sum} and {@code _count}.
 *   <li><b>Exponential histograms, summaries</b>: rejected ({@link RejectReason#UNSUPPORTED_TYPE}).
 * </ul>
 *
 * <p>A metric whose Prometheus name is already taken by a metric of another type is rejected
 * ({@link RejectReason#TYPE_CONFLICT}); a point that would create more than {@code max_series}
 * series is rejected ({@link RejectReason#SERIES_LIMIT}). Points flagged "no recorded value" are
 * skipped.
 *
 * <p>Thread safety: {@link #apply} is meant for one thread at a time (the exporter's queue worker);
 * {@link #snapshot}, {@link #expireIdle} and the counters may be called from any thread. State is
 * guarded by one lock; a snapshot holds it only to copy values, the exposition is built outside.
 */
final class MetricAccumulator {
  private static final Logger log = LoggerFactory.getLogger(MetricAccumulator.class);

  /**
   * How long an applied delta point is remembered to recognise a retry of it. Clients retry within
   * seconds (the CLI's export timeout is about 10 s), so an hour is ample; see {@link #remember}.
   */
  static final Duration DUPLICATE_WINDOW = Duration.ofHours(1);

  private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(5);
  private static final ThreadLocal<Fingerprint.Builder> FINGERPRINTS =
      ThreadLocal.withInitial(Fingerprint.Builder::new);

  private final String id;
  private final LabelPolicy labelPolicy;
  private final boolean addUnitSuffixes;
  private final int maxSeries;
  private final long idleTimeoutMillis;
  private final int maxRememberedPoints;
  private final int maxWriters;
  private final Clock clock;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Map<String, Family> families = new HashMap<>();
  private final Map<String, Family> reservedNames = new HashMap<>();
  // Insertion order is gateway-clock order, so the eldest entries are the first to forget.
  private final LinkedHashMap<Fingerprint, Long> appliedPoints = new LinkedHashMap<>();
  // Access order: when the cap is reached, the writer heard from least recently goes first.
  private final LinkedHashMap<Fingerprint, Writer> writers = new LinkedHashMap<>(64, 0.75f, true);
  private int seriesTotal;

  private volatile int seriesCount;
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLongArray rejected = new AtomicLongArray(RejectReason.values().length);
  private final AtomicLong evictedWriters = new AtomicLong();
  private final long[] lastWarnNanos = new long[RejectReason.values().length];

  MetricAccumulator(String id, PrometheusExporterConfig config, Clock clock) {
    this.id = id;
    this.labelPolicy = LabelPolicy.of(config);
    this.addUnitSuffixes = config.addUnitSuffixes();
    this.maxSeries = config.maxSeries();
    this.idleTimeoutMillis = config.seriesIdleTimeout().toMillis();
    // Remembered retries and cumulative writers are bounded too, in proportion to the series cap.
    this.maxRememberedPoints = (int) Math.min(Integer.MAX_VALUE, Math.max(100_000L, 5L * maxSeries));
    this.maxWriters = (int) Math.min(Integer.MAX_VALUE, Math.max(100_000L, 4L * maxSeries));
    this.clock = clock;
    Arrays.fill(lastWarnNanos, System.nanoTime() - WARN_INTERVAL_NANOS);
  }

  // ---------------------------------------------------------------------------------------------
  // Intake

  /** Applies every point of the batch. Never throws for bad data: it is rejected and counted. */
  void apply(MetricsBatch batch) {
    for (Metric m : batch.metrics()) {
      apply(m);
    }
  }

  void apply(Metric m) {
    if (m.points().isEmpty()) {
      return;
    }
    Mode mode = mode(m);
    if (mode.reject != null) {
      reject(mode.reject, m.points().size(), m.name());
      return;
    }
    Resolved name = MetricNames.resolve(mode.kind, m.name(), m.unit(), addUnitSuffixes);
    // Labels and identities are computed before taking the lock, to keep scrapes waiting less.
    Fingerprint.Builder fp = FINGERPRINTS.get();
    Fingerprint metricId =
        fp.reset()
            .putString(m.name())
            .putString(m.kind().name())
            .putResource(m.resource())
            .putScope(m.scope())
            .build();
    List<Prepared> prepared = new ArrayList<>(m.points().size());
    for (DataPoint p : m.points()) {
      try {
        Labels labels =
            labelPolicy.labels(p.attributes(), m.resource().attributes(), mode.kind == Kind.HISTOGRAM);
        Fingerprint identity =
            switch (mode.aggregation) {
              case ADD -> pointIdentity(fp, metricId, p);
              case PER_WRITER -> fp.reset().put(metricId).putAttributes(p.attributes()).putLong(p.startTimeNanos()).build();
              case LAST_VALUE -> null;
            };
        prepared.add(new Prepared(p, labels, identity));
      } catch (RuntimeException e) {
        // Labels client_java refuses; unexpected, as names are sanitized. Count, never throw.
        reject(RejectReason.INVALID_VALUE, 1, m.name());
      }
    }
    long now = clock.millis();
    lock.lock();
    try {
      Family family = family(name, m.description());
      if (family == null) {
        reject(RejectReason.TYPE_CONFLICT, prepared.size(), m.name() + " -> " + name.expositionName());
        return;
      }
      for (Prepared p : prepared) {
        switch (mode.aggregation) {
          case ADD -> {
            if (mode.kind == Kind.HISTOGRAM) {
              addHistogram(family, p, now);
            } else {
              addNumber(family, mode.monotonic, p, now);
            }
          }
          case PER_WRITER -> {
            if (mode.kind == Kind.HISTOGRAM) {
              writerHistogram(family, p, now);
            } else {
              writerNumber(family, p, now);
            }
          }
          case LAST_VALUE -> lastValue(family, p, now);
        }
      }
      if (family.series.isEmpty()) {
        removeFamily(family); // every point was rejected: do not hold on to the name
      }
      seriesCount = seriesTotal;
    } finally {
      lock.unlock();
    }
  }

  private static Fingerprint pointIdentity(Fingerprint.Builder fp, Fingerprint metricId, DataPoint p) {
    fp.reset().put(metricId).putAttributes(p.attributes()).putLong(p.startTimeNanos()).putLong(p.timeNanos());
    if (p instanceof NumberPoint n) {
      fp.putByte('n').putDouble(n.value());
    } else if (p instanceof HistogramPoint h) {
      fp.putByte('h').putLong(h.count()).putDouble(h.sum()).putInt(h.bucketCounts().size());
      for (Long c : h.bucketCounts()) {
        fp.putLong(c);
      }
      fp.putInt(h.explicitBounds().size());
      for (Double b : h.explicitBounds()) {
        fp.putDouble(b);
      }
    }
    return fp.build();
  }

  private enum Aggregation {
    /** Delta: add every point, drop exact repeats. */
    ADD,
    /** Cumulative: add each writer's increase. */
    PER_WRITER,
    /** Gauge: the newest point wins. */
    LAST_VALUE
  }

  private record Mode(Kind kind, Aggregation aggregation, boolean monotonic, RejectReason reject) {
    static Mode of(Kind kind, Aggregation aggregation, boolean monotonic) {
      return new Mode(kind, aggregation, monotonic, null);
    }

    static Mode rejected(RejectReason reason) {
      return new Mode(null, null, false, reason);
    }
  }

  private static Mode mode(Metric m) {
    return switch (m.kind()) {
      case GAUGE -> Mode.of(Kind.GAUGE, Aggregation.LAST_VALUE, false);
      case SUM ->
          switch (m.temporality()) {
            case DELTA -> Mode.of(m.monotonic() ? Kind.COUNTER : Kind.GAUGE, Aggregation.ADD, m.monotonic());
            case CUMULATIVE ->
                m.monotonic()
                    ? Mode.of(Kind.COUNTER, Aggregation.PER_WRITER, true)
                    : Mode.of(Kind.GAUGE, Aggregation.LAST_VALUE, false);
            case UNSPECIFIED -> Mode.rejected(RejectReason.UNKNOWN_TEMPORALITY);
          };
      case HISTOGRAM ->
          switch (m.temporality()) {
            case DELTA -> Mode.of(Kind.HISTOGRAM, Aggregation.ADD, true);
            case CUMULATIVE -> Mode.of(Kind.HISTOGRAM, Aggregation.PER_WRITER, true);
            case UNSPECIFIED -> Mode.rejected(RejectReason.UNKNOWN_TEMPORALITY);
          };
      case EXPONENTIAL_HISTOGRAM, SUMMARY -> Mode.rejected(RejectReason.UNSUPPORTED_TYPE);
    };
  }

  private record Prepared(DataPoint point, Labels labels, Fingerprint identity) {}

  private void addNumber(Family f, boolean monotonic, Prepared p, long now) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    double v = n.value();
    if (!Double.isFinite(v) || (monotonic && v < 0)) {
      reject(RejectReason.INVALID_VALUE, 1, null);
      return;
    }
    if (appliedPoints.containsKey(p.identity)) {
      duplicates.incrementAndGet();
      return;
    }
    NumberSeries s = numberSeries(f, p.labels);
    if (s == null) {
      return;
    }
    s.base += v;
    s.timeNanos = Math.max(s.timeNanos, n.timeNanos());
    s.touchedMillis = now;
    remember(p.identity, now);
  }

  private void writerNumber(Family f, Prepared p, long now) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    double v = n.value();
    if (!Double.isFinite(v) || v < 0) {
      reject(RejectReason.INVALID_VALUE, 1, null);
      return;
    }
    Writer w = writers.get(p.identity);
    if (w == null) {
      // A new writer counts from its start time: all of its value is new.
      NumberSeries s = numberSeries(f, p.labels);
      if (s == null) {
        return; // not applied; the writer's whole value counts once there is room
      }
      w = newWriter(p.identity, s);
    } else if (n.timeNanos() < w.timeNanos) {
      reject(RejectReason.OUT_OF_ORDER, 1, null);
      return;
    } else if (n.timeNanos() == w.timeNanos && v == w.value) {
      duplicates.incrementAndGet();
      w.seenMillis = now;
      return;
    } else if (v < w.value) {
      // Lower than before with the same start time: the writer restarted from zero. What it had
      // counted stays in the series; its new value is all new.
      ((NumberSeries) w.series).base += w.value;
    }
    NumberSeries s = (NumberSeries) w.series;
    w.value = v;
    w.timeNanos = n.timeNanos();
    w.seenMillis = now;
    s.timeNanos = Math.max(s.timeNanos, n.timeNanos());
    s.touchedMillis = now;
  }

  private void lastValue(Family f, Prepared p, long now) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    NumberSeries s = numberSeries(f, p.labels);
    if (s == null) {
      return;
    }
    // Equal times: the later arrival wins. An older point never replaces a newer one.
    if (n.timeNanos() >= s.timeNanos) {
      s.base = n.value();
      s.timeNanos = n.timeNanos();
    }
    s.touchedMillis = now;
  }

  private void addHistogram(Family f, Prepared p, long now) {
    HistogramPoint h = (HistogramPoint) p.point;
    if ((h.flags() & 1) != 0) {
      return;
    }
    Layout layout = Layout.of(h);
    if (layout == null) {
      reject(RejectReason.INVALID_VALUE, 1, null);
      return;
    }
    if (appliedPoints.containsKey(p.identity)) {
      duplicates.incrementAndGet();
      return;
    }
    HistogramSeries s = histogramSeries(f, p.labels, layout.bounds);
    if (s == null) {
      return;
    }
    for (int i = 0; i < s.counts.length; i++) {
      s.counts[i] += layout.counts[i];
    }
    if (h.hasSum()) {
      s.sum += h.sum();
    } else {
      s.sumMissing = true;
    }
    s.touchedMillis = now;
    remember(p.identity, now);
  }

  private void writerHistogram(Family f, Prepared p, long now) {
    HistogramPoint h = (HistogramPoint) p.point;
    if ((h.flags() & 1) != 0) {
      return;
    }
    Layout layout = Layout.of(h);
    if (layout == null) {
      reject(RejectReason.INVALID_VALUE, 1, null);
      return;
    }
    Writer w = writers.get(p.identity);
    HistogramSeries s;
    if (w == null) {
      s = histogramSeries(f, p.labels, layout.bounds);
      if (s == null) {
        return;
      }
      w = newWriter(p.identity, s);
    } else {
      s = (HistogramSeries) w.series;
      if (!Arrays.equals(s.bounds, layout.bounds)) {
        reject(RejectReason.BUCKET_LAYOUT_CHANGED, 1, f.name.base());
        return;
      }
      if (h.timeNanos() < w.timeNanos) {
        reject(RejectReason.OUT_OF_ORDER, 1, null);
        return;
      }
      if (h.timeNanos() == w.timeNanos
          && Arrays.equals(layout.counts, w.counts)
          && Double.compare(h.sum(), w.sum) == 0) {
        duplicates.incrementAndGet();
        w.seenMillis = now;
        return;
      }
      if (anyBelow(layout.counts, w.counts)) {
        fold(w); // the writer restarted: keep what it had counted
      }
    }
    w.counts = layout.counts;
    w.sum = h.sum();
    w.timeNanos = h.timeNanos();
    w.seenMillis = now;
    s.touchedMillis = now;
  }

  private static boolean anyBelow(long[] now, long[] before) {
    for (int i = 0; i < now.length; i++) {
      if (now[i] < before[i]) {
        return true;
      }
    }
    return false;
  }

  /** Bucket bounds and (non-cumulative) counts of a valid explicit-bucket point. */
  private record Layout(double[] bounds, long[] counts) {
    static Layout of(HistogramPoint h) {
      List<Double> b = h.explicitBounds();
      List<Long> c = h.bucketCounts();
      if (c.isEmpty()) {
        // No buckets: only count and sum, shown as the +Inf bucket alone.
        return h.count() < 0 ? null : new Layout(new double[0], new long[] {h.count()});
      }
      if (c.size() != b.size() + 1) {
        return null;
      }
      double[] bounds = new double[b.size()];
      for (int i = 0; i < bounds.length; i++) {
        double v = b.get(i);
        if (!Double.isFinite(v) || (i > 0 && v <= bounds[i - 1])) {
          return null;
        }
        bounds[i] = v;
      }
      long[] counts = new long[c.size()];
      for (int i = 0; i < counts.length; i++) {
        long v = c.get(i);
        if (v < 0) {
          return null; // beyond 2^63 as an unsigned fixed64: not a real count
        }
        counts[i] = v;
      }
      return new Layout(bounds, counts);
    }
  }

  private Writer newWriter(Fingerprint identity, Series series) {
    Writer w = new Writer(identity, series);
    writers.put(identity, w);
    series.writers.add(w);
    if (writers.size() > maxWriters) {
      Iterator<Writer> it = writers.values().iterator();
      Writer eldest = it.next();
      it.remove();
      retire(eldest);
      evictedWriters.incrementAndGet();
    }
    return w;
  }

  /**
   * Detaches a writer from its series, keeping what it counted in the series' base. Should the
   * writer come back, it is new again and counts its whole value once more: hence writers are only
   * forgotten after the idle timeout or when the (large) writer table is full.
   */
  private static void retire(Writer w) {
    fold(w);
    w.series.writers.remove(w);
  }

  /** Moves a writer's current value into its series' base (restart or retirement). */
  private static void fold(Writer w) {
    if (w.series instanceof NumberSeries n) {
      n.base += w.value;
      w.value = 0;
    } else if (w.series instanceof HistogramSeries h && w.counts != null) {
      for (int i = 0; i < h.counts.length; i++) {
        h.counts[i] += w.counts[i];
      }
      if (Double.isNaN(w.sum)) {
        h.sumMissing = true;
      } else {
        h.sum += w.sum;
      }
      w.counts = null;
      w.sum = 0;
    }
  }

  /**
   * Remembers an applied delta point so that a retry of it is dropped. Bounded two ways: entries
   * are forgotten {@link #DUPLICATE_WINDOW} after they were applied (gateway clock, so a client's
   * skewed clock cannot pin them), and beyond {@code maxRememberedPoints} the eldest go first. A
   * retry arriving after its point was forgotten would be counted twice; clients retry within
   * seconds, far inside both bounds.
   */
  private void remember(Fingerprint identity, long now) {
    appliedPoints.put(identity, now);
    forgetAppliedPoints(now);
  }

  private void forgetAppliedPoints(long now) {
    long cutoff = now - DUPLICATE_WINDOW.toMillis();
    Iterator<Long> it = appliedPoints.values().iterator();
    while (it.hasNext()) {
      long at = it.next();
      if (at >= cutoff && appliedPoints.size() <= maxRememberedPoints) {
        break;
      }
      it.remove();
    }
  }

  private Family family(Resolved name, String help) {
    Family f = families.get(name.base());
    if (f != null) {
      if (f.name.kind() != name.kind()) {
        return null;
      }
      if (f.help.isEmpty() && !help.isEmpty()) {
        f.help = help;
      }
      return f;
    }
    for (String r : name.reservedNames()) {
      if (reservedNames.containsKey(r)) {
        return null;
      }
    }
    f = new Family(name, help);
    families.put(name.base(), f);
    for (String r : name.reservedNames()) {
      reservedNames.put(r, f);
    }
    return f;
  }

  private void removeFamily(Family f) {
    families.remove(f.name.base());
    releaseNames(f);
  }

  private void releaseNames(Family f) {
    for (String r : f.name.reservedNames()) {
      reservedNames.remove(r);
    }
  }

  private NumberSeries numberSeries(Family f, Labels labels) {
    Series s = f.series.get(labels);
    if (s == null) {
      if (!roomForSeries()) {
        return null;
      }
      s = new NumberSeries();
      f.series.put(labels, s);
      seriesTotal++;
    }
    return (NumberSeries) s;
  }

  private HistogramSeries histogramSeries(Family f, Labels labels, double[] bounds) {
    HistogramSeries s = (HistogramSeries) f.series.get(labels);
    if (s == null) {
      if (!roomForSeries()) {
        return null;
      }
      s = new HistogramSeries(bounds);
      f.series.put(labels, s);
      seriesTotal++;
    } else if (!Arrays.equals(s.bounds, bounds)) {
      reject(RejectReason.BUCKET_LAYOUT_CHANGED, 1, f.name.base());
      return null;
    }
    return s;
  }

  private boolean roomForSeries() {
    if (seriesTotal < maxSeries) {
      return true;
    }
    reject(RejectReason.SERIES_LIMIT, 1, "max_series=" + maxSeries);
    return false;
  }

  private void reject(RejectReason reason, long points, String detail) {
    rejected.addAndGet(reason.ordinal(), points);
    // Never a log line per point: the first rejection of a kind, then at most one per 5 minutes.
    long nowNanos = System.nanoTime();
    synchronized (lastWarnNanos) {
      if (nowNanos - lastWarnNanos[reason.ordinal()] < WARN_INTERVAL_NANOS) {
        return;
      }
      lastWarnNanos[reason.ordinal()] = nowNanos;
    }
    log.warn(
        "Prometheus exporter {}: rejected {} point(s), reason {}{}; further ones are counted in gateway_prometheus_rejected_points_total",
        id,
        points,
        reason.label(),
        detail == null ? "" : " (" + detail + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // Expiry

  /**
   * Removes series, and cumulative writers, that received nothing for {@code series_idle_timeout}
   * (0 = never), and forgets applied points older than {@link #DUPLICATE_WINDOW}.
   *
   * @return the number of series removed
   */
  int expireIdle() {
    long now = clock.millis();
    int removed = 0;
    lock.lock();
    try {
      forgetAppliedPoints(now);
      if (idleTimeoutMillis > 0) {
        long cutoff = now - idleTimeoutMillis;
        // Idle writers first: what they counted stays in their series.
        Iterator<Writer> idle = writers.values().iterator();
        while (idle.hasNext()) {
          Writer w = idle.next();
          if (w.seenMillis < cutoff) {
            idle.remove();
            retire(w);
          }
        }
        Iterator<Family> families = this.families.values().iterator();
        while (families.hasNext()) {
          Family f = families.next();
          Iterator<Series> series = f.series.values().iterator();
          while (series.hasNext()) {
            Series s = series.next();
            if (s.touchedMillis < cutoff) {
              series.remove();
              for (Writer w : s.writers) {
                writers.remove(w.identity);
              }
              removed++;
            }
          }
          if (f.series.isEmpty()) {
            families.remove();
            releaseNames(f);
          }
        }
        seriesTotal -= removed;
        seriesCount = seriesTotal;
      }
    } finally {
      lock.unlock();
    }
    return removed;
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  /** The current state as client_java snapshots. Safe from any thread. */
  List<MetricSnapshot> snapshot() {
    List<FamilyCopy> copies;
    lock.lock();
    try {
      copies = new ArrayList<>(families.size());
      for (Family f : families.values()) {
        if (!f.series.isEmpty()) {
          copies.add(FamilyCopy.of(f));
        }
      }
    } finally {
      lock.unlock();
    }
    List<MetricSnapshot> out = new ArrayList<>(copies.size());
    for (FamilyCopy c : copies) {
      try {
        out.add(c.toSnapshot());
      } catch (RuntimeException e) {
        // Should not happen (names and labels are valid by construction); never fail a scrape.
        log.warn("Prometheus exporter {}: cannot expose {}", id, c.name.expositionName(), e);
      }
    }
    return out;
  }

  int seriesCount() {
    return seriesCount;
  }

  long duplicatePoints() {
    return duplicates.get();
  }

  long rejectedPoints(RejectReason reason) {
    return rejected.get(reason.ordinal());
  }

  long evictedWriters() {
    return evictedWriters.get();
  }

  int writerCount() {
    lock.lock();
    try {
      return writers.size();
    } finally {
      lock.unlock();
    }
  }

  int rememberedPointCount() {
    lock.lock();
    try {
      return appliedPoints.size();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State

  private static final class Family {
    final Resolved name;
    String help;
    final Map<Labels, Series> series = new HashMap<>();

    Family(Resolved name, String help) {
      this.name = name;
      this.help = help;
    }
  }

  /**
   * An output series. Its value is {@code base} plus the current values of its attached
   * cumulative writers, summed when a snapshot is taken: a single writer's total is then exactly
   * its last value, with no rounding from adding up increases.
   */
  private abstract static class Series {
    long touchedMillis;
    // Insertion order: sums are taken in a stable order; removal is O(1) for retirements.
    final Set<Writer> writers = new LinkedHashSet<>(2);
  }

  private static final class NumberSeries extends Series {
    /** Gauges: the last value. Sums: added deltas plus what retired or restarted writers counted. */
    double base;
    long timeNanos = Long.MIN_VALUE;
    /** Counters: the highest value exposed so far (see {@link FamilyCopy#of}). */
    double exposed;
  }

  private static final class HistogramSeries extends Series {
    final double[] bounds;
    final long[] counts;
    double sum;
    boolean sumMissing;

    HistogramSeries(double[] bounds) {
      this.bounds = bounds;
      this.counts = new long[bounds.length + 1];
    }
  }

  /** One cumulative writer: its last value (sums) or last buckets and sum (histograms). */
  private static final class Writer {
    final Fingerprint identity;
    final Series series;
    double value;
    long[] counts;
    double sum;
    long timeNanos;
    long seenMillis;

    Writer(Fingerprint identity, Series series) {
      this.identity = identity;
      this.series = series;
    }
  }

  /** Values copied under the lock; snapshots are built from this outside it. */
  private record FamilyCopy(
      Resolved name,
      String help,
      Labels[] labels,
      double[] values,
      double[][] bounds,
      long[][] counts,
      boolean[] sumMissing) {

    static FamilyCopy of(Family f) {
      int n = f.series.size();
      Labels[] labels = new Labels[n];
      double[] values = new double[n];
      boolean histogram = f.name.kind() == Kind.HISTOGRAM;
      double[][] bounds = histogram ? new double[n][] : null;
      long[][] counts = histogram ? new long[n][] : null;
      boolean[] sumMissing = histogram ? new boolean[n] : null;
      int i = 0;
      for (Map.Entry<Labels, Series> e : f.series.entrySet()) {
        labels[i] = e.getKey();
        if (e.getValue() instanceof HistogramSeries h) {
          long[] c = h.counts.clone();
          double sum = h.sum;
          boolean missing = h.sumMissing;
          for (Writer w : h.writers) {
            for (int b = 0; b < c.length; b++) {
              c[b] += w.counts[b];
            }
            missing |= Double.isNaN(w.sum);
            sum += w.sum;
          }
          values[i] = sum;
          bounds[i] = h.bounds; // never changed after creation
          counts[i] = c;
          sumMissing[i] = missing;
        } else {
          NumberSeries ns = (NumberSeries) e.getValue();
          double v = ns.base;
          for (Writer w : ns.writers) {
            v += w.value;
          }
          if (f.name.kind() == Kind.COUNTER) {
            // Every contribution is >= 0, so the true total never falls; but when a writer is
            // folded into the base the floating-point sum is associated differently and may come
            // out an ulp lower, which Prometheus would read as a counter reset. Never step down.
            v = Math.max(v, ns.exposed);
            ns.exposed = v;
          }
          values[i] = v;
        }
        i++;
      }
      return new FamilyCopy(f.name, f.help, labels, values, bounds, counts, sumMissing);
    }

    MetricSnapshot toSnapshot() {
      String help = this.help.isEmpty() ? null : this.help;
      switch (name.kind()) {
        case COUNTER -> {
          CounterSnapshot.Builder b = CounterSnapshot.builder().name(name.base()).help(help);
          if (name.unit() != null) {
            b.unit(name.unit());
          }
          for (int i = 0; i < labels.length; i++) {
            b.dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .value(values[i])
                    .labels(labels[i])
                    .build());
          }
          return b.build();
        }
        case GAUGE -> {
          GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name.base()).help(help);
          if (name.unit() != null) {
            b.unit(name.unit());
          }
          for (int i = 0; i < labels.length; i++) {
            b.dataPoint(
                GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .value(values[i])
                    .labels(labels[i])
                    .build());
          }
          return b.build();
        }
        default -> {
          HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name.base()).help(help);
          if (name.unit() != null) {
            b.unit(name.unit());
          }
          for (int i = 0; i < labels.length; i++) {
            double[] upper = Arrays.copyOf(bounds[i], bounds[i].length + 1);
            upper[upper.length - 1] = Double.POSITIVE_INFINITY;
            HistogramSnapshot.HistogramDataPointSnapshot.Builder p =
                HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(labels[i])
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts[i]));
            if (!sumMissing[i]) {
              p.sum(values[i]);
            }
            b.dataPoint(p.build());
          }
          return b.build();
        }
      }
    }
  }
}

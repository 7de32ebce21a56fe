package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.exporters.prometheus.LabelPolicy.Filter;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Resolved;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
 *       client retry) is dropped, and counted in {@link #duplicatePoints()}; it is accepted, not
 *       refused, as it was applied the first time. Negative or non-finite deltas are refused.
 *   <li><b>Cumulative monotonic sums</b>: each writer (metric name, resource, scope, full
 *       attribute set, start time) is tracked on its own and contributes its increase since its
 *       last value. A writer seen for the first time contributes its whole value (it counts from
 *       its start time); a value below the writer's last one is a restart, and the new value is
 *       all new; a new start time is a new writer. So several processes sharing one label set and
 *       client restarts stay exact, and the output never steps down. (Internally a series is a
 *       base plus its writers' current values, so one writer's total is exactly its last value.) A
 *       point older than its writer's last one is stale: already contained in the newer value,
 *       ignored and counted in {@link #stalePoints()}.
 *   <li><b>Gauges and cumulative non-monotonic sums</b>: last value by point time (an older point
 *       never replaces a newer one and counts as stale); exposed as gauges.
 *   <li><b>Delta non-monotonic sums</b>: the deltas are added (retries dropped as above) and the
 *       running sum is exposed as a gauge.
 *   <li><b>Explicit-bucket histograms</b>: delta points add counts, sum and bucket counts;
 *       cumulative points add each writer's increase as for sums. Exposed as classic histograms. A
 *       point whose bounds differ from its output series' bounds is refused ({@link
 *       RejectReason#BUCKET_LAYOUT_CHANGED}), never merged, so no bucket ever holds counts of two
 *       layouts; once the old series expires the new layout is taken. A point without a sum makes
 *       the series' sum unknown, and client_java then leaves out {@code _sum} and {@code _count}.
 *   <li><b>Summaries</b> (always cumulative in OTLP): exposed as Prometheus summaries. {@code
 *       _count} and {@code _sum} follow the cumulative writer rules above (each writer's increase
 *       adds up, a lower count is a restart). Quantiles cannot be merged: the series shows the
 *       quantiles of the newest point (by point time) of any of its writers, so when several
 *       writers share a label set the quantiles are one writer's, not a merge.
 *   <li><b>Exponential histograms</b>: refused ({@link RejectReason#UNSUPPORTED_TYPE}). Converting
 *       them to explicit buckets keeps a stable layout only for non-negative scales and a range
 *       chosen in advance; the client can send explicit buckets instead.
 * </ul>
 *
 * <p>A metric whose Prometheus name is already taken by a metric of another type is refused
 * ({@link RejectReason#TYPE_CONFLICT}); a point that would create more than {@code max_series}
 * series, or more than {@code max_series_per_metric} for its metric, is refused ({@link
 * RejectReason#SERIES_LIMIT}, {@link RejectReason#SERIES_LIMIT_PER_METRIC}) while existing series
 * keep taking points. Points flagged "no recorded value" are skipped. With {@code target_info}, each
 * distinct resource whose points were applied keeps one {@code target_info} series alive.
 *
 * <p>Thread safety: every method may be called from any thread; {@link #apply} is called by many
 * receiver threads at once. State is guarded by one lock, held per metric of a batch while its
 * points are applied (labels and identities are computed before taking it), and by a snapshot
 * only while values are copied; the exposition is built outside it.
 *
 * <p>The whole state can be written to bytes and read back ({@link #saveState}, {@link
 * #restoreState}; the layout is in {@link StateFile}).
 */
final class MetricAccumulator {
  private static final Logger log = LoggerFactory.getLogger(MetricAccumulator.class);

  /**
   * How long an applied delta point is remembered to recognise a retry of it. Clients retry within
   * seconds (the CLI's export timeout is about 10 s), so an hour is ample; see {@link #remember}.
   */
  static final Duration DUPLICATE_WINDOW = Duration.ofHours(1);

  static final String TARGET_INFO_HELP = "Target metadata";

  private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(5);
  private static final ThreadLocal<Fingerprint.Builder> FINGERPRINTS =
      ThreadLocal.withInitial(Fingerprint.Builder::new);

  private final String id;
  private final LabelPolicy labelPolicy;
  private final boolean addUnitSuffixes;
  private final boolean targetInfo;
  private final int maxSeries;
  private final int maxSeriesPerMetric;
  private final long idleTimeoutMillis;
  private final int maxRememberedPoints;
  private final int maxWriters;
  private final Clock clock;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final Map<String, Family> families = new HashMap<>();
  private final Map<String, Family> reservedNames = new HashMap<>();
  // Insertion order is gateway-clock order, so the eldest entries are the first to forget.
  private AppliedPoints appliedPoints = new AppliedPoints();
  // Access order: when the cap is reached, the writer heard from least recently goes first.
  private final LinkedHashMap<Fingerprint, Writer> writers = new LinkedHashMap<>(64, 0.75f, true);
  private int seriesTotal;
  private long modCount;
  private volatile int lastStateSize; // to size the next save's buffer

  private volatile int seriesCount;
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong stale = new AtomicLong();
  private final AtomicLongArray rejected = new AtomicLongArray(RejectReason.values().length);
  private final AtomicLong evictedWriters = new AtomicLong();
  private final long[] lastWarnNanos = new long[RejectReason.values().length];

  MetricAccumulator(String id, PrometheusExporterConfig config, Clock clock) {
    this.id = id;
    this.labelPolicy = LabelPolicy.of(config);
    this.addUnitSuffixes = config.addUnitSuffixes();
    this.targetInfo = config.targetInfo();
    this.maxSeries = config.maxSeries();
    this.maxSeriesPerMetric = config.maxSeriesPerMetric();
    this.idleTimeoutMillis = config.seriesIdleTimeout().toMillis();
    // Remembered retries and cumulative writers are bounded too, in proportion to the series cap.
    this.maxRememberedPoints = (int) Math.min(Integer.MAX_VALUE, Math.max(100_000L, 5L * maxSeries));
    this.maxWriters = (int) Math.min(Integer.MAX_VALUE, Math.max(100_000L, 4L * maxSeries));
    this.clock = clock;
    Arrays.fill(lastWarnNanos, System.nanoTime() - WARN_INTERVAL_NANOS);
  }

  // ---------------------------------------------------------------------------------------------
  // Intake

  /**
   * Applies every point of the batch. Never throws for bad data: it is refused, counted, and
   * reported in the result. The batch is not kept.
   */
  Refusals apply(MetricsBatch batch) {
    Refusals refusals = new Refusals();
    // Resources by identity: a decoded request shares one Resource object among its metrics.
    Map<Resource, Boolean> applied = targetInfo ? new IdentityHashMap<>() : null;
    for (Metric m : batch.metrics()) {
      boolean any = apply(m, refusals);
      if (any && applied != null) {
        applied.put(m.resource(), Boolean.TRUE);
      }
    }
    if (applied != null && !applied.isEmpty()) {
      touchTargets(applied.keySet());
    }
    return refusals;
  }

  /** @return whether any point of the metric was taken (applied, or a repeat of an applied one) */
  private boolean apply(Metric m, Refusals refusals) {
    if (m.points().isEmpty()) {
      return false;
    }
    Mode mode = mode(m);
    if (mode.reject != null) {
      reject(mode.reject, m.points().size(), m.name(), refusals);
      return false;
    }
    Resolved name = MetricNames.resolve(mode.kind, m.name(), m.unit(), addUnitSuffixes);
    Filter filter = labelPolicy.forMetric(m.name());
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
    int unprepared = 0;
    for (DataPoint p : m.points()) {
      try {
        SeriesKey labels = labelPolicy.labels(filter, p.attributes(), m.resource().attributes(), m.scope(), mode.kind);
        Fingerprint identity =
            switch (mode.aggregation) {
              case ADD -> pointIdentity(fp, metricId, p);
              case PER_WRITER ->
                  fp.reset().put(metricId).putAttributes(p.attributes()).putLong(p.startTimeNanos()).build();
              case LAST_VALUE -> null;
            };
        prepared.add(new Prepared(p, labels, identity));
      } catch (RuntimeException e) {
        // Labels client_java refuses; unexpected, as names are sanitized. Count, never throw.
        unprepared++;
      }
    }
    reject(RejectReason.INVALID_VALUE, unprepared, m.name(), refusals);
    if (prepared.isEmpty()) {
      return false;
    }
    Ctx c = new Ctx(m.name(), refusals, clock.millis());
    lock.lock();
    try {
      modCount++;
      c.family = family(name, m.description());
      if (c.family == null) {
        reject(RejectReason.TYPE_CONFLICT, prepared.size(), m.name(), refusals);
        return false;
      }
      for (Prepared p : prepared) {
        switch (mode.aggregation) {
          case ADD -> {
            if (mode.kind == Kind.HISTOGRAM) {
              addHistogram(c, p);
            } else {
              addNumber(c, mode.monotonic, p);
            }
          }
          case PER_WRITER -> {
            switch (mode.kind) {
              case HISTOGRAM -> writerHistogram(c, p);
              case SUMMARY -> writerSummary(c, p);
              default -> writerNumber(c, p);
            }
          }
          case LAST_VALUE -> lastValue(c, p);
        }
      }
      if (c.family.series.isEmpty()) {
        removeFamily(c.family); // every point was refused: do not hold on to the name
      }
      seriesCount = seriesTotal;
    } finally {
      lock.unlock();
    }
    return c.refused < prepared.size();
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
      // OTLP summaries carry no temporality: they are cumulative by definition.
      case SUMMARY -> Mode.of(Kind.SUMMARY, Aggregation.PER_WRITER, true);
      case EXPONENTIAL_HISTOGRAM -> Mode.rejected(RejectReason.UNSUPPORTED_TYPE);
    };
  }

  private record Prepared(DataPoint point, SeriesKey labels, Fingerprint identity) {}

  /** One metric being applied, under the lock. */
  private static final class Ctx {
    final String metric;
    final Refusals refusals;
    final long now;
    Family family;
    int refused;

    Ctx(String metric, Refusals refusals, long now) {
      this.metric = metric;
      this.refusals = refusals;
      this.now = now;
    }
  }

  private void refuse(Ctx c, RejectReason reason) {
    c.refused++;
    reject(reason, 1, c.metric, c.refusals);
  }

  private void addNumber(Ctx c, boolean monotonic, Prepared p) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    double v = n.value();
    if (!Double.isFinite(v) || (monotonic && v < 0)) {
      refuse(c, RejectReason.INVALID_VALUE);
      return;
    }
    if (appliedPoints.contains(p.identity)) {
      duplicates.incrementAndGet();
      return;
    }
    NumberSeries s = (NumberSeries) series(c, p.labels, null);
    if (s == null) {
      return;
    }
    s.base += v;
    s.timeNanos = Math.max(s.timeNanos, n.timeNanos());
    s.touchedMillis = c.now;
    remember(p.identity, c.now);
  }

  private void writerNumber(Ctx c, Prepared p) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    double v = n.value();
    if (!Double.isFinite(v) || v < 0) {
      refuse(c, RejectReason.INVALID_VALUE);
      return;
    }
    Writer w = writers.get(p.identity);
    if (w == null) {
      // A new writer counts from its start time: all of its value is new.
      Series s = series(c, p.labels, null);
      if (s == null) {
        return; // not applied; the writer's whole value counts once there is room
      }
      w = newWriter(p.identity, s);
    } else if (n.timeNanos() < w.timeNanos) {
      stale.incrementAndGet(); // its count is contained in the newer value already applied
      w.seenMillis = c.now;
      return;
    } else if (n.timeNanos() == w.timeNanos && v == w.value) {
      duplicates.incrementAndGet();
      w.seenMillis = c.now;
      return;
    } else if (v < w.value) {
      // Lower than before with the same start time: the writer restarted from zero. What it had
      // counted stays in the series; its new value is all new.
      fold(w);
    }
    NumberSeries s = (NumberSeries) w.series;
    w.value = v;
    w.timeNanos = n.timeNanos();
    w.seenMillis = c.now;
    s.timeNanos = Math.max(s.timeNanos, n.timeNanos());
    s.touchedMillis = c.now;
  }

  private void lastValue(Ctx c, Prepared p) {
    NumberPoint n = (NumberPoint) p.point;
    if (n.noRecordedValue()) {
      return;
    }
    NumberSeries s = (NumberSeries) series(c, p.labels, null);
    if (s == null) {
      return;
    }
    // Equal times: the later arrival wins. An older point never replaces a newer one.
    if (n.timeNanos() >= s.timeNanos) {
      s.base = n.value();
      s.timeNanos = n.timeNanos();
    } else {
      stale.incrementAndGet();
    }
    s.touchedMillis = c.now;
  }

  private void addHistogram(Ctx c, Prepared p) {
    HistogramPoint h = (HistogramPoint) p.point;
    if ((h.flags() & 1) != 0) {
      return;
    }
    Layout layout = Layout.of(h);
    if (layout == null) {
      refuse(c, RejectReason.INVALID_VALUE);
      return;
    }
    if (appliedPoints.contains(p.identity)) {
      duplicates.incrementAndGet();
      return;
    }
    HistogramSeries s = histogramSeries(c, p.labels, layout.bounds);
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
    s.touchedMillis = c.now;
    remember(p.identity, c.now);
  }

  private void writerHistogram(Ctx c, Prepared p) {
    HistogramPoint h = (HistogramPoint) p.point;
    if ((h.flags() & 1) != 0) {
      return;
    }
    Layout layout = Layout.of(h);
    if (layout == null) {
      refuse(c, RejectReason.INVALID_VALUE);
      return;
    }
    Writer w = writers.get(p.identity);
    HistogramSeries s;
    if (w == null) {
      s = histogramSeries(c, p.labels, layout.bounds);
      if (s == null) {
        return;
      }
      w = newWriter(p.identity, s);
    } else {
      s = (HistogramSeries) w.series;
      if (!Arrays.equals(s.bounds, layout.bounds)) {
        refuse(c, RejectReason.BUCKET_LAYOUT_CHANGED);
        return;
      }
      if (h.timeNanos() < w.timeNanos) {
        stale.incrementAndGet();
        w.seenMillis = c.now;
        return;
      }
      if (h.timeNanos() == w.timeNanos
          && Arrays.equals(layout.counts, w.counts)
          && Double.compare(h.sum(), w.sum) == 0) {
        duplicates.incrementAndGet();
        w.seenMillis = c.now;
        return;
      }
      if (anyBelow(layout.counts, w.counts)) {
        fold(w); // the writer restarted: keep what it had counted
      }
    }
    w.counts = layout.counts;
    w.sum = h.sum();
    w.timeNanos = h.timeNanos();
    w.seenMillis = c.now;
    s.touchedMillis = c.now;
  }

  private void writerSummary(Ctx c, Prepared p) {
    SummaryPoint sp = (SummaryPoint) p.point;
    if ((sp.flags() & 1) != 0) {
      return;
    }
    double[][] q = quantiles(sp);
    if (sp.count() < 0 || Double.isInfinite(sp.sum()) || q == null) {
      refuse(c, RejectReason.INVALID_VALUE);
      return;
    }
    Writer w = writers.get(p.identity);
    SummarySeries s;
    if (w == null) {
      s = (SummarySeries) series(c, p.labels, null);
      if (s == null) {
        return;
      }
      w = newWriter(p.identity, s);
    } else {
      s = (SummarySeries) w.series;
      if (sp.timeNanos() < w.timeNanos) {
        stale.incrementAndGet();
        w.seenMillis = c.now;
        return;
      }
      if (sp.timeNanos() == w.timeNanos && sp.count() == w.counts[0] && Double.compare(sp.sum(), w.sum) == 0) {
        duplicates.incrementAndGet();
        w.seenMillis = c.now;
        return;
      }
      if (sp.count() < w.counts[0]) {
        fold(w); // the writer restarted
      }
    }
    w.counts = new long[] {sp.count()};
    w.sum = sp.sum();
    w.timeNanos = sp.timeNanos();
    w.seenMillis = c.now;
    if (sp.timeNanos() >= s.quantileTimeNanos) {
      s.quantiles = q[0];
      s.quantileValues = q[1];
      s.quantileTimeNanos = sp.timeNanos();
    }
    s.touchedMillis = c.now;
  }

  /** Quantiles sorted by quantile, or null when one is outside [0, 1] or repeated. */
  private static double[][] quantiles(SummaryPoint sp) {
    int n = sp.quantiles().size();
    double[][] out = {new double[n], new double[n]};
    List<SummaryPoint.Quantile> sorted = new ArrayList<>(sp.quantiles());
    sorted.sort((a, b) -> Double.compare(a.quantile(), b.quantile()));
    for (int i = 0; i < n; i++) {
      double q = sorted.get(i).quantile();
      if (!(q >= 0 && q <= 1) || (i > 0 && q == out[0][i - 1])) {
        return null;
      }
      out[0][i] = q;
      out[1][i] = sorted.get(i).value();
    }
    return out;
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
    } else if (w.series instanceof SummarySeries s && w.counts != null) {
      s.count += w.counts[0];
      if (Double.isNaN(w.sum)) {
        s.sumMissing = true;
      } else {
        s.sum += w.sum;
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
    appliedPoints.forget(now - DUPLICATE_WINDOW.toMillis(), maxRememberedPoints);
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

  /**
   * The series of these labels in the context's family, created when there is room under both
   * caps (else the point is refused and null returned).
   */
  private Series series(Ctx c, SeriesKey labels, double[] bounds) {
    Family f = c.family;
    Series s = f.series.get(labels);
    if (s != null) {
      return s;
    }
    if (seriesTotal >= maxSeries) {
      refuse(c, RejectReason.SERIES_LIMIT);
      return null;
    }
    if (f.series.size() >= maxSeriesPerMetric) {
      refuse(c, RejectReason.SERIES_LIMIT_PER_METRIC);
      return null;
    }
    s = newSeries(f.name.kind(), bounds);
    f.add(labels, s);
    seriesTotal++;
    return s;
  }

  private static Series newSeries(Kind kind, double[] bounds) {
    return switch (kind) {
      case COUNTER, GAUGE -> new NumberSeries();
      case HISTOGRAM -> new HistogramSeries(bounds);
      case SUMMARY -> new SummarySeries();
      case INFO -> new InfoSeries();
    };
  }

  private HistogramSeries histogramSeries(Ctx c, SeriesKey labels, double[] bounds) {
    HistogramSeries s = (HistogramSeries) c.family.series.get(labels);
    if (s == null) {
      return (HistogramSeries) series(c, labels, bounds);
    }
    if (!Arrays.equals(s.bounds, bounds)) {
      refuse(c, RejectReason.BUCKET_LAYOUT_CHANGED);
      return null;
    }
    return s;
  }

  /**
   * Creates or touches the {@code target_info} series of these resources. Not a client point: when
   * the caps leave no room, or an OTLP metric took the name, there is simply no such series.
   */
  private void touchTargets(Set<Resource> resources) {
    List<SeriesKey> targets = new ArrayList<>(resources.size());
    for (Resource r : resources) {
      if (r.attributes().isEmpty()) {
        continue;
      }
      try {
        targets.add(labelPolicy.targetInfoLabels(r.attributes()));
      } catch (RuntimeException e) {
        // Labels client_java refuses; unexpected, as names are sanitized. No target_info then.
      }
    }
    if (targets.isEmpty()) {
      return;
    }
    long now = clock.millis();
    lock.lock();
    try {
      modCount++;
      Family f = family(MetricNames.TARGET_INFO, TARGET_INFO_HELP);
      if (f == null) {
        return;
      }
      for (SeriesKey labels : targets) {
        Series s = f.series.get(labels);
        if (s == null) {
          if (seriesTotal >= maxSeries || f.series.size() >= maxSeriesPerMetric) {
            continue;
          }
          s = new InfoSeries();
          f.add(labels, s);
          seriesTotal++;
        }
        s.touchedMillis = now;
      }
      if (f.series.isEmpty()) {
        removeFamily(f);
      }
      seriesCount = seriesTotal;
    } finally {
      lock.unlock();
    }
  }

  private void reject(RejectReason reason, long points, String metric, Refusals refusals) {
    if (points <= 0) {
      return;
    }
    refusals.add(reason, points, metric);
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
        "Prometheus exporter {}: refused {} point(s) of {}, reason {}; further ones are counted in gateway_prometheus_rejected_points_total",
        id,
        points,
        metric,
        reason.label());
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
            modCount++;
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
              f.version++;
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
        if (removed > 0) {
          modCount++;
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
    sortCopies(copies);
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

  /**
   * Puts the copies of families whose series order was not known in client_java's order (outside
   * the lock), and keeps that order for the next scrapes while the family's series stay the same.
   */
  private void sortCopies(List<FamilyCopy> copies) {
    List<FamilyCopy> sorted = null;
    for (FamilyCopy c : copies) {
      if (!c.inOrder) {
        c.series.sort(BY_LABELS);
        if (sorted == null) {
          sorted = new ArrayList<>();
        }
        sorted.add(c);
      }
    }
    if (sorted == null) {
      return;
    }
    lock.lock();
    try {
      for (FamilyCopy c : sorted) {
        if (c.family.version == c.version) {
          Series[] order = new Series[c.series.size()];
          for (int i = 0; i < order.length; i++) {
            order[i] = c.series.get(i).series;
          }
          c.family.sorted = order;
          c.family.sortedVersion = c.version;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private static final Comparator<SeriesCopy> BY_LABELS = (a, b) -> a.labels.compareTo(b.labels);

  int seriesCount() {
    return seriesCount;
  }

  long duplicatePoints() {
    return duplicates.get();
  }

  long stalePoints() {
    return stale.get();
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

  /** Grows with every change of the state; a checkpoint is skipped when it has not moved. */
  long modCount() {
    lock.lock();
    try {
      return modCount;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State

  private static final class Family {
    final Resolved name;
    String help;
    final Map<SeriesKey, Series> series = new HashMap<>();
    /** Grows whenever a series is added or removed. */
    int version;
    /**
     * The series in the order of their labels ({@link Labels#compareTo}, the order client_java
     * sorts a snapshot's data points in), as of {@link #sortedVersion}: handing them over in that
     * order makes client_java's sort a single pass. Computed outside the lock by {@link #snapshot}.
     */
    Series[] sorted;
    int sortedVersion = -1;

    Family(Resolved name, String help) {
      this.name = name;
      this.help = help;
    }

    /** Adds a new series, with client_java's labels made once for it. */
    void add(SeriesKey key, Series s) {
      s.labels = key.toLabels();
      series.put(key, s);
      version++;
    }
  }

  /**
   * An output series. Its value is {@code base} plus the current values of its attached
   * cumulative writers, summed when a snapshot is taken: a single writer's total is then exactly
   * its last value, with no rounding from adding up increases.
   */
  private abstract static class Series {
    /** client_java's form of the series' key, made once when the series is created. */
    Labels labels;
    long touchedMillis;
    // Insertion order: sums are taken in a stable order; removal is O(1) for retirements.
    final Set<Writer> writers = new LinkedHashSet<>(2);

    /** The values (not the writers) as they are now, for {@link #saveState}. */
    abstract Series copy();
  }

  private static final class NumberSeries extends Series {
    /** Gauges: the last value. Sums: added deltas plus what retired or restarted writers counted. */
    double base;
    long timeNanos = Long.MIN_VALUE;
    /** Counters: the highest value exposed so far (see {@link FamilyCopy#of}). */
    double exposed;

    @Override
    Series copy() {
      NumberSeries c = new NumberSeries();
      c.touchedMillis = touchedMillis;
      c.base = base;
      c.timeNanos = timeNanos;
      c.exposed = exposed;
      return c;
    }
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

    @Override
    Series copy() {
      HistogramSeries c = new HistogramSeries(bounds); // bounds never change
      c.touchedMillis = touchedMillis;
      System.arraycopy(counts, 0, c.counts, 0, counts.length); // counts change in place
      c.sum = sum;
      c.sumMissing = sumMissing;
      return c;
    }
  }

  private static final class SummarySeries extends Series {
    /** What restarted or retired writers counted; the live writers' values are added on output. */
    long count;
    double sum;
    boolean sumMissing;
    double[] quantiles = new double[0];
    double[] quantileValues = new double[0];
    long quantileTimeNanos = Long.MIN_VALUE;

    @Override
    Series copy() {
      SummarySeries c = new SummarySeries();
      c.touchedMillis = touchedMillis;
      c.count = count;
      c.sum = sum;
      c.sumMissing = sumMissing;
      c.quantiles = quantiles; // arrays are replaced, never changed in place
      c.quantileValues = quantileValues;
      c.quantileTimeNanos = quantileTimeNanos;
      return c;
    }
  }

  /** A {@code target_info} series: labels only, value 1. */
  private static final class InfoSeries extends Series {
    @Override
    Series copy() {
      InfoSeries c = new InfoSeries();
      c.touchedMillis = touchedMillis;
      return c;
    }
  }

  /** One cumulative writer: its last value (sums), buckets and sum (histograms), count and sum (summaries). */
  private static final class Writer {
    final Fingerprint identity;
    final Series series;
    double value;
    long[] counts;
    double sum;
    long timeNanos;
    long seenMillis;
    /** Its position in the writer table while a save copies the state (under the lock). */
    int saveIndex;

    Writer(Fingerprint identity, Series series) {
      this.identity = identity;
      this.series = series;
    }

    /** Its values, detached from its series; counts arrays are replaced, never changed in place. */
    Writer copy() {
      Writer c = new Writer(identity, null);
      c.value = value;
      c.counts = counts;
      c.sum = sum;
      c.timeNanos = timeNanos;
      c.seenMillis = seenMillis;
      return c;
    }
  }

  /** One series' values copied under the lock (and the series, to remember the order). */
  private record SeriesCopy(
      Series series, Labels labels, double value, long count, double[] bounds, long[] counts, boolean sumMissing,
      double[] quantiles, double[] quantileValues) {}

  /**
   * Values copied under the lock; snapshots are built from this outside it. {@code inOrder}: the
   * series are in the order of their labels already (the family's cached order, as of {@code
   * version}).
   */
  private record FamilyCopy(
      Family family, int version, boolean inOrder, Resolved name, String help, List<SeriesCopy> series) {

    static FamilyCopy of(Family f) {
      List<SeriesCopy> out = new ArrayList<>(f.series.size());
      boolean inOrder = f.sorted != null && f.sortedVersion == f.version;
      Iterable<Series> all = inOrder ? Arrays.asList(f.sorted) : f.series.values();
      for (Series series : all) {
        Labels labels = series.labels;
        if (series instanceof HistogramSeries h) {
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
          out.add(new SeriesCopy(series, labels, sum, 0, h.bounds, c, missing, null, null));
        } else if (series instanceof SummarySeries s) {
          long count = s.count;
          double sum = s.sum;
          boolean missing = s.sumMissing;
          for (Writer w : s.writers) {
            count += w.counts[0];
            missing |= Double.isNaN(w.sum);
            sum += w.sum;
          }
          // Arrays are replaced, never changed in place: sharing them is safe.
          out.add(new SeriesCopy(series, labels, sum, count, null, null, missing, s.quantiles, s.quantileValues));
        } else if (series instanceof NumberSeries ns) {
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
          out.add(new SeriesCopy(series, labels, v, 0, null, null, false, null, null));
        } else {
          out.add(new SeriesCopy(series, labels, 1, 0, null, null, false, null, null));
        }
      }
      return new FamilyCopy(f, f.version, inOrder, f.name, f.help, out);
    }

    MetricSnapshot toSnapshot() {
      String help = this.help.isEmpty() ? null : this.help;
      Unit unit = name.unit();
      switch (name.kind()) {
        case COUNTER -> {
          CounterSnapshot.Builder b = CounterSnapshot.builder().name(name.base()).help(help);
          if (unit != null) {
            b.unit(unit);
          }
          for (SeriesCopy s : series) {
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(s.value).labels(s.labels).build());
          }
          return b.build();
        }
        case GAUGE -> {
          GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name.base()).help(help);
          if (unit != null) {
            b.unit(unit);
          }
          for (SeriesCopy s : series) {
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(s.value).labels(s.labels).build());
          }
          return b.build();
        }
        case HISTOGRAM -> {
          HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name.base()).help(help);
          if (unit != null) {
            b.unit(unit);
          }
          for (SeriesCopy s : series) {
            double[] upper = Arrays.copyOf(s.bounds, s.bounds.length + 1);
            upper[upper.length - 1] = Double.POSITIVE_INFINITY;
            HistogramSnapshot.HistogramDataPointSnapshot.Builder p =
                HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(s.labels)
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, s.counts));
            if (!s.sumMissing) {
              p.sum(s.value);
            }
            b.dataPoint(p.build());
          }
          return b.build();
        }
        case SUMMARY -> {
          SummarySnapshot.Builder b = SummarySnapshot.builder().name(name.base()).help(help);
          if (unit != null) {
            b.unit(unit);
          }
          for (SeriesCopy s : series) {
            List<Quantile> q = new ArrayList<>(s.quantiles.length);
            for (int i = 0; i < s.quantiles.length; i++) {
              q.add(new Quantile(s.quantiles[i], s.quantileValues[i]));
            }
            SummarySnapshot.SummaryDataPointSnapshot.Builder p =
                SummarySnapshot.SummaryDataPointSnapshot.builder()
                    .labels(s.labels)
                    .quantiles(Quantiles.of(q))
                    .count(s.count);
            if (!s.sumMissing) {
              p.sum(s.value);
            }
            b.dataPoint(p.build());
          }
          return b.build();
        }
        default -> {
          InfoSnapshot.Builder b = InfoSnapshot.builder().name(name.base()).help(help);
          for (SeriesCopy s : series) {
            b.dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder().labels(s.labels).build());
          }
          return b.build();
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence (layout: StateFile)

  /** What {@link #restoreState} found. */
  record Restored(long savedAtMillis, int families, int series, int writers, int rememberedPoints) {}

  /**
   * The whole state as bytes (the body of a {@link StateFile}). Copied under the lock in one go, so
   * that series values, writers and remembered points are consistent with each other (a point is
   * either in a total and remembered, or in neither); encoding and I/O happen outside it.
   */
  byte[] saveState() {
    Frozen frozen;
    lock.lock();
    try {
      frozen = freeze();
    } finally {
      lock.unlock();
    }
    StateOutput out = new StateOutput(lastStateSize);
    writeState(out, frozen);
    lastStateSize = out.size();
    return out.toByteArray();
  }

  /** A copy of the state: series copies without writers, writer copies without series. */
  private record Frozen(
      long now,
      List<FrozenFamily> families,
      Writer[] writers,
      long[] appliedHi,
      long[] appliedLo,
      long[] appliedAt) {}

  private record FrozenFamily(Resolved name, String help, Labels[] labels, Series[] series, int[][] writers) {}

  private Frozen freeze() {
    Writer[] writerCopies = new Writer[writers.size()];
    int n = 0;
    for (Writer w : writers.values()) {
      w.saveIndex = n;
      writerCopies[n++] = w.copy();
    }
    List<FrozenFamily> frozen = new ArrayList<>(families.size());
    for (Family f : families.values()) {
      int size = f.series.size();
      Labels[] labels = new Labels[size];
      Series[] series = new Series[size];
      int[][] attached = new int[size][];
      int i = 0;
      for (Series s : f.series.values()) {
        labels[i] = s.labels;
        series[i] = s.copy();
        int[] idx = new int[s.writers.size()];
        int k = 0;
        for (Writer w : s.writers) {
          idx[k++] = w.saveIndex;
        }
        attached[i++] = idx;
      }
      frozen.add(new FrozenFamily(f.name, f.help, labels, series, attached));
    }
    int count = appliedPoints.size();
    long[] appliedHi = new long[count];
    long[] appliedLo = new long[count];
    long[] appliedAt = new long[count];
    for (int i = 0; i < count; i++) {
      appliedHi[i] = appliedPoints.hi(i);
      appliedLo[i] = appliedPoints.lo(i);
      appliedAt[i] = appliedPoints.at(i);
    }
    return new Frozen(clock.millis(), frozen, writerCopies, appliedHi, appliedLo, appliedAt);
  }

  private static void writeState(StateOutput out, Frozen state) {
    out.writeLong(state.now);
    out.writeInt(state.families.size());
    for (FrozenFamily ff : state.families) {
      out.writeByte(kindCode(ff.name.kind()));
      writeString(out, ff.name.base());
      writeString(out, ff.name.unit() == null ? "" : ff.name.unit().toString());
      writeString(out, ff.help);
      out.writeInt(ff.series.length);
      for (int si = 0; si < ff.series.length; si++) {
        Labels labels = ff.labels[si];
        out.writeInt(labels.size());
        for (int i = 0; i < labels.size(); i++) {
          writeString(out, labels.getName(i));
          writeString(out, labels.getValue(i));
        }
        Series s = ff.series[si];
        out.writeLong(s.touchedMillis);
        if (s instanceof NumberSeries n) {
          out.writeDouble(n.base);
          out.writeLong(n.timeNanos);
          out.writeDouble(n.exposed);
        } else if (s instanceof HistogramSeries h) {
          writeDoubles(out, h.bounds);
          writeLongs(out, h.counts);
          out.writeDouble(h.sum);
          out.writeBoolean(h.sumMissing);
        } else if (s instanceof SummarySeries m) {
          out.writeLong(m.count);
          out.writeDouble(m.sum);
          out.writeBoolean(m.sumMissing);
          out.writeLong(m.quantileTimeNanos);
          writeDoubles(out, m.quantiles);
          writeDoubles(out, m.quantileValues);
        }
        out.writeInt(ff.writers[si].length);
        for (int index : ff.writers[si]) {
          out.writeInt(index);
        }
      }
    }
    out.writeInt(state.writers.length);
    for (Writer w : state.writers) {
      out.writeLong(w.identity.hi());
      out.writeLong(w.identity.lo());
      out.writeDouble(w.value);
      if (w.counts == null) {
        out.writeInt(-1);
      } else {
        writeLongs(out, w.counts);
      }
      out.writeDouble(w.sum);
      out.writeLong(w.timeNanos);
      out.writeLong(w.seenMillis);
    }
    out.writeInt(state.appliedAt.length);
    for (int i = 0; i < state.appliedAt.length; i++) {
      out.writeLong(state.appliedHi[i]);
      out.writeLong(state.appliedLo[i]);
      out.writeLong(state.appliedAt[i]);
    }
  }

  /**
   * Replaces the whole state with what {@link #saveState} wrote (meant for start-up, before any
   * point is applied). Nothing changes when the bytes are invalid.
   *
   * @throws IOException when the bytes are not a valid state (truncated, inconsistent)
   */
  Restored restoreState(byte[] body) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(body));
    Map<String, Family> newFamilies = new HashMap<>();
    Map<String, Family> newReserved = new HashMap<>();
    List<int[]> attachments = new ArrayList<>(); // writer index -> series, resolved below
    List<Series> attachedTo = new ArrayList<>();
    int seriesRead = 0;
    long savedAt;
    List<Writer> writerList;
    AppliedPoints applied;
    try {
      savedAt = in.readLong();
      int familyCount = count(in, 1);
      for (int fi = 0; fi < familyCount; fi++) {
        Kind kind = kindOf(in.readByte());
        String base = readString(in);
        String unit = readString(in);
        String help = readString(in);
        if (!PrometheusNaming.isValidMetricName(base) || (!unit.isEmpty() && !PrometheusNaming.isValidUnitName(unit))) {
          throw new IOException("invalid metric name or unit: " + base + " " + unit);
        }
        Resolved name = new Resolved(kind, base, unit.isEmpty() ? null : new Unit(unit));
        Family f = new Family(name, help);
        if (newFamilies.put(base, f) != null) {
          throw new IOException("metric " + base + " appears twice");
        }
        for (String r : name.reservedNames()) {
          if (newReserved.put(r, f) != null) {
            throw new IOException("name " + r + " is used by two metrics");
          }
        }
        int seriesCount = count(in, 12);
        for (int si = 0; si < seriesCount; si++) {
          int labelCount = count(in, 8);
          String[] names = new String[labelCount];
          String[] values = new String[labelCount];
          for (int i = 0; i < labelCount; i++) {
            names[i] = readString(in);
            values[i] = readString(in);
          }
          Labels labels;
          SeriesKey key;
          try {
            labels = Labels.of(names, values);
            key = SeriesKey.of(labels);
          } catch (IllegalArgumentException e) {
            throw new IOException("invalid labels in " + base, e);
          }
          long touched = in.readLong();
          Series s;
          switch (kind) {
            case COUNTER, GAUGE -> {
              NumberSeries n = new NumberSeries();
              n.base = in.readDouble();
              n.timeNanos = in.readLong();
              n.exposed = in.readDouble();
              s = n;
            }
            case HISTOGRAM -> {
              double[] bounds = readDoubles(in);
              for (int i = 0; i < bounds.length; i++) {
                if (!Double.isFinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
                  throw new IOException("invalid bucket bounds in " + base);
                }
              }
              HistogramSeries h = new HistogramSeries(bounds);
              long[] counts = readLongs(in);
              if (counts.length != h.counts.length) {
                throw new IOException("bucket counts do not match the bounds in " + base);
              }
              System.arraycopy(counts, 0, h.counts, 0, counts.length);
              h.sum = in.readDouble();
              h.sumMissing = in.readBoolean();
              s = h;
            }
            case SUMMARY -> {
              SummarySeries m = new SummarySeries();
              m.count = in.readLong();
              m.sum = in.readDouble();
              m.sumMissing = in.readBoolean();
              m.quantileTimeNanos = in.readLong();
              m.quantiles = readDoubles(in);
              m.quantileValues = readDoubles(in);
              if (m.quantiles.length != m.quantileValues.length) {
                throw new IOException("quantiles do not match their values in " + base);
              }
              for (int i = 0; i < m.quantiles.length; i++) {
                if (!(m.quantiles[i] >= 0 && m.quantiles[i] <= 1) || (i > 0 && m.quantiles[i] <= m.quantiles[i - 1])) {
                  throw new IOException("invalid quantiles in " + base);
                }
              }
              s = m;
            }
            default -> s = new InfoSeries();
          }
          s.touchedMillis = touched;
          s.labels = labels;
          if (f.series.put(key, s) != null) {
            throw new IOException("a series of " + base + " appears twice");
          }
          seriesRead++;
          int writerCount = count(in, 4);
          for (int i = 0; i < writerCount; i++) {
            attachments.add(new int[] {in.readInt()});
            attachedTo.add(s);
          }
        }
      }
      int writerCount = count(in, 40);
      writerList = new ArrayList<>(writerCount);
      Series[] seriesOf = new Series[writerCount];
      for (int i = 0; i < attachments.size(); i++) {
        int index = attachments.get(i)[0];
        if (index < 0 || index >= writerCount || seriesOf[index] != null) {
          throw new IOException("writer " + index + " is not attached to exactly one series");
        }
        seriesOf[index] = attachedTo.get(i);
      }
      for (int i = 0; i < writerCount; i++) {
        if (seriesOf[i] == null) {
          throw new IOException("writer " + i + " belongs to no series");
        }
        Writer w = new Writer(new Fingerprint(in.readLong(), in.readLong()), seriesOf[i]);
        w.value = in.readDouble();
        int n = in.readInt();
        w.counts = n < 0 ? null : readLongs(in, n);
        w.sum = in.readDouble();
        w.timeNanos = in.readLong();
        w.seenMillis = in.readLong();
        boolean fits;
        if (w.series instanceof NumberSeries) {
          fits = w.counts == null;
        } else if (w.series instanceof HistogramSeries h) {
          fits = w.counts != null && w.counts.length == h.counts.length;
        } else if (w.series instanceof SummarySeries) {
          fits = w.counts != null && w.counts.length == 1;
        } else {
          fits = false;
        }
        if (!fits) {
          throw new IOException("writer " + i + " does not fit its series");
        }
        writerList.add(w);
      }
      int appliedCount = count(in, 24);
      applied = new AppliedPoints(appliedCount);
      for (int i = 0; i < appliedCount; i++) {
        applied.put(in.readLong(), in.readLong(), in.readLong());
      }
      if (in.available() != 0) {
        throw new IOException(in.available() + " bytes after the end of the state");
      }
    } catch (EOFException e) {
      throw new IOException("the state ends early (truncated)", e);
    }
    // Series order within a series' writer set must be the saved one (it decides float sums):
    // attachments were read in that order, so add them now.
    for (int i = 0; i < attachments.size(); i++) {
      attachedTo.get(i).writers.add(writerList.get(attachments.get(i)[0]));
    }
    int appliedRead = applied.size(); // before the old ones are forgotten
    lock.lock();
    try {
      families.clear();
      families.putAll(newFamilies);
      reservedNames.clear();
      reservedNames.putAll(newReserved);
      writers.clear();
      for (Writer w : writerList) {
        writers.put(w.identity, w);
      }
      appliedPoints = applied;
      forgetAppliedPoints(clock.millis());
      seriesTotal = seriesRead;
      seriesCount = seriesTotal;
      modCount++;
    } finally {
      lock.unlock();
    }
    return new Restored(savedAt, newFamilies.size(), seriesRead, writerList.size(), appliedRead);
  }

  private static int kindCode(Kind kind) {
    // Fixed codes, part of the file format: never reorder.
    return switch (kind) {
      case COUNTER -> 0;
      case GAUGE -> 1;
      case HISTOGRAM -> 2;
      case SUMMARY -> 3;
      case INFO -> 4;
    };
  }

  private static Kind kindOf(int code) throws IOException {
    return switch (code) {
      case 0 -> Kind.COUNTER;
      case 1 -> Kind.GAUGE;
      case 2 -> Kind.HISTOGRAM;
      case 3 -> Kind.SUMMARY;
      case 4 -> Kind.INFO;
      default -> throw new IOException("unknown metric kind " + code);
    };
  }

  /** A count read from the state, checked against what is left (each item takes minBytes). */
  private static int count(DataInputStream in, int minBytes) throws IOException {
    int n = in.readInt();
    if (n < 0 || (long) n * minBytes > in.available()) {
      throw new IOException("invalid count " + n);
    }
    return n;
  }

  private static void writeString(StateOutput out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = count(in, 1);
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void writeDoubles(StateOutput out, double[] a) {
    out.writeInt(a.length);
    for (double d : a) {
      out.writeDouble(d);
    }
  }

  private static double[] readDoubles(DataInputStream in) throws IOException {
    double[] a = new double[count(in, 8)];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readDouble();
    }
    return a;
  }

  private static void writeLongs(StateOutput out, long[] a) {
    out.writeInt(a.length);
    for (long v : a) {
      out.writeLong(v);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    return readLongs(in, count(in, 8));
  }

  private static long[] readLongs(DataInputStream in, int n) throws IOException {
    if ((long) n * 8 > in.available()) {
      throw new IOException("invalid count " + n);
    }
    long[] a = new long[n];
    for (int i = 0; i < n; i++) {
      a[i] = in.readLong();
    }
    return a;
  }

  /**
   * A growable big-endian buffer, written as {@link DataOutputStream} would (the reader uses a
   * {@link DataInputStream}) but without a call per byte: it is filled under the lock, so speed
   * matters (about 100 000 series and writers per 10 ms).
   */
  private static final class StateOutput {
    private byte[] buf;
    private int pos;

    StateOutput(int expected) {
      buf = new byte[Math.max(4096, expected + expected / 8)];
    }

    private void ensure(int more) {
      if (pos + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(pos + more, buf.length * 2));
      }
    }

    void writeByte(int v) {
      ensure(1);
      buf[pos++] = (byte) v;
    }

    void writeBoolean(boolean v) {
      writeByte(v ? 1 : 0);
    }

    void writeInt(int v) {
      ensure(4);
      buf[pos++] = (byte) (v >>> 24);
      buf[pos++] = (byte) (v >>> 16);
      buf[pos++] = (byte) (v >>> 8);
      buf[pos++] = (byte) v;
    }

    void writeLong(long v) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (v >>> shift);
      }
    }

    void writeDouble(double v) {
      writeLong(Double.doubleToLongBits(v));
    }

    void write(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, buf, pos, b.length);
      pos += b.length;
    }

    int size() {
      return pos;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, pos);
    }
  }
}

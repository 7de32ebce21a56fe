package io.ccotel.gateway.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Open-loop load in phases (e.g. 0.5x, then 3x, then 0.5x the maximum rate) against one gateway,
 * for the overload and soak scenarios. Requests go out at fixed intended times whatever the
 * answers; latency counts from the intended time. When {@code maxInFlight} requests are already
 * waiting for an answer, a request due is <b>not sent</b> and counted as skipped, so the report
 * always shows offered next to sent (the load generator never throttles silently). Requests sent
 * more than 100 ms after their intended time (this process could not keep up) are counted as late.
 *
 * <p>Bodies come from a {@link RetimedPool}, so no point is ever a repeat however long it runs,
 * and a {@link Ledger} adds up, per Prometheus sample name, the values of every point the gateway
 * acknowledged (and, separately, of requests whose fate is unknown: timeouts, I/O errors, answers
 * other than success or a retryable refusal), to compare with the gateway's {@code /metrics}.
 *
 * <p>Answers count in the phase their request was sent in. One instance per gateway; phases run
 * one after the other on the calling thread.
 */
final class OpenLoop {
  static final long LATE_NANOS = 100_000_000L;

  private final Sender sender;
  private final RetimedPool pool;
  private final AtomicLong cursor;
  private final int maxInFlight;
  private final Semaphore inFlight;
  private final double averageItems;
  private final Ledger ledger;
  private volatile Phase current;

  OpenLoop(Sender sender, RetimedPool pool, List<Workload.Payload> payloads, AtomicLong cursor, int maxInFlight) {
    this.sender = sender;
    this.pool = pool;
    this.cursor = cursor;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.averageItems = payloads.stream().mapToLong(Workload.Payload::items).average().orElse(1);
    this.ledger = new Ledger(pool.names());
  }

  Ledger ledger() {
    return ledger;
  }

  /** The phase running (or last run); null before the first. */
  Phase current() {
    return current;
  }

  int maxInFlight() {
    return maxInFlight;
  }

  /** Requests sent and not answered yet. */
  int inFlight() {
    return maxInFlight - inFlight.availablePermits();
  }

  /** Waits until every request sent has been answered (or timed out); false on timeout. */
  boolean awaitAnswers(long millis) throws InterruptedException {
    if (inFlight.tryAcquire(maxInFlight, millis, TimeUnit.MILLISECONDS)) {
      inFlight.release(maxInFlight);
      return true;
    }
    return false;
  }

  /**
   * An answer that is the gateway's retryable refusal (not taken, try again later): HTTP 503 or
   * 429; gRPC UNAVAILABLE or RESOURCE_EXHAUSTED only with a RetryInfo detail (a bare UNAVAILABLE is
   * what grpc-java also reports for a broken connection).
   */
  static boolean overloaded(Sender.Outcome o) {
    String error = o.error();
    return error.equals("http_503") || error.equals("http_429")
        || ((error.equals("grpc_UNAVAILABLE") || error.equals("grpc_RESOURCE_EXHAUSTED")) && o.retryHint());
  }

  /** Runs one phase: {@code itemsPerSecond} offered for {@code seconds}. {@code settleSeconds}: see {@link Phase#settled}. */
  Phase phase(String name, double itemsPerSecond, double seconds, double settleSeconds) {
    Phase ph = new Phase(name, itemsPerSecond, seconds, settleSeconds);
    current = ph;
    double intervalNanos = 1e9 * averageItems / itemsPerSecond;
    long start = System.nanoTime();
    ph.startNanos = start;
    long end = start + (long) (seconds * 1e9);
    for (long k = 0; ; k++) {
      long intended = start + (long) (k * intervalNanos);
      if (intended >= end) {
        break;
      }
      long wait = intended - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ph.offered.increment();
      if (!inFlight.tryAcquire()) {
        ph.skipped.increment();
        continue;
      }
      if (System.nanoTime() - intended > LATE_NANOS) {
        ph.late.increment();
      }
      long index = cursor.getAndIncrement();
      Workload.Payload p = pool.get(index);
      double[] sums = pool.sums(index);
      ph.sent.increment();
      ph.sentItems.add(p.items());
      int second = (int) ((intended - start) / 1_000_000_000L);
      sender.send(p).whenComplete((outcome, err) -> {
        long micros = Math.max(0, (System.nanoTime() - intended) / 1000);
        inFlight.release();
        ph.answered(second, intended - start, micros, p.items(), sums, outcome, err);
      });
    }
    ph.endNanos = System.nanoTime();
    return ph;
  }

  /** What one phase sent and got back. Counters are live: answers keep arriving after the phase. */
  final class Phase {
    final String name;
    final double itemsPerSecond;
    final double seconds;
    /** Requests intended at or after this many seconds into the phase are "settled". */
    final double settleSeconds;
    long startNanos;
    long endNanos;
    final LongAdder offered = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder late = new LongAdder();
    final LongAdder sent = new LongAdder();
    final LongAdder sentItems = new LongAdder();
    final LongAdder ok = new LongAdder();
    final LongAdder okItems = new LongAdder();
    final LongAdder partial = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder overloadedHinted = new LongAdder();
    final Map<String, LongAdder> other = new ConcurrentHashMap<>();
    /** Distinct error answers (kind, retry hint, message; numbers of 3+ digits as N), with counts. */
    final Map<String, LongAdder> hints = new ConcurrentHashMap<>();
    final Histogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(120), 3);
    final Histogram settledLatency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(120), 3);
    final LongAdder settledAnswered = new LongAdder();
    final LongAdder settledErrors = new LongAdder();
    final LongAdder settledSent = new LongAdder();
    /** Per second of intended send time: answered ok, overloaded, other. */
    final long[][] perSecond;

    Phase(String name, double itemsPerSecond, double seconds, double settleSeconds) {
      this.name = name;
      this.itemsPerSecond = itemsPerSecond;
      this.seconds = seconds;
      this.settleSeconds = settleSeconds;
      this.perSecond = new long[(int) Math.ceil(seconds) + 1][3];
    }

    void answered(int second, long offsetNanos, long micros, int items, double[] sums, Sender.Outcome outcome, Throwable err) {
      boolean settled = offsetNanos >= settleSeconds * 1e9;
      latency.recordValue(Math.min(micros, TimeUnit.SECONDS.toMicros(120)));
      int kind;
      if (err != null) {
        other.computeIfAbsent(Sender.ioKind(err), k -> new LongAdder()).increment();
        ledger.unknown(sums, items);
        kind = 2;
      } else if (outcome.ok() && outcome.rejected() == 0) {
        ok.increment();
        okItems.add(items);
        ledger.acked(sums, items);
        kind = 0;
      } else if (outcome.ok()) {
        // A partial success: which points were taken is not known; the ledger cannot be exact.
        partial.increment();
        okItems.add(items - outcome.rejected());
        ledger.unknown(sums, items);
        ledger.partials.increment();
        kind = 0;
      } else if (overloaded(outcome)) {
        overloaded.increment();
        if (outcome.retryHint()) {
          overloadedHinted.increment();
        }
        note(outcome);
        // The gateway's answer: not taken.
        kind = 1;
      } else {
        other.computeIfAbsent(outcome.error() + (outcome.error().startsWith("grpc_UNAVAILABLE") ? " (no retry hint)" : ""), k -> new LongAdder()).increment();
        note(outcome);
        ledger.unknown(sums, items);
        kind = 2;
      }
      synchronized (perSecond) {
        if (second < perSecond.length) {
          perSecond[second][kind]++;
        }
      }
      if (settled) {
        settledAnswered.increment();
        if (kind != 0) {
          settledErrors.increment();
        }
        settledLatency.recordValue(Math.min(micros, TimeUnit.SECONDS.toMicros(120)));
      }
    }

    private void note(Sender.Outcome outcome) {
      String key = outcome.error() + " " + outcome.message().replaceAll("\\d{3,}", "N");
      if (hints.size() < 8 || hints.containsKey(key)) {
        hints.computeIfAbsent(key, k -> new LongAdder()).increment();
      }
    }

    double wallSeconds() {
      return (endNanos - startNanos) / 1e9;
    }

    long answers() {
      return ok.sum() + partial.sum() + overloaded.sum() + otherSum();
    }

    long otherSum() {
      return other.values().stream().mapToLong(LongAdder::sum).sum();
    }

    String otherText() {
      if (other.isEmpty()) {
        return "none";
      }
      StringBuilder sb = new StringBuilder();
      new TreeMap<>(other).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(v.sum()));
      return sb.toString();
    }

    double offeredPerSecond() {
      return offered.sum() * averageItems / seconds;
    }

    double sentPerSecond() {
      return sentItems.sum() / seconds;
    }

    double acceptedPerSecond() {
      return okItems.sum() / seconds;
    }

    String report(String unit) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("  %-9s %,.0f %s/s for %.0f s: offered %,.0f/s, sent %,.0f/s (%,d of %,d requests; %,d skipped at the bound of %d in flight, %,d sent >100 ms late)%n",
          name, itemsPerSecond, unit, seconds, offeredPerSecond(), sentPerSecond(), sent.sum(), offered.sum(), skipped.sum(), maxInFlight, late.sum()));
      sb.append(String.format("            accepted %,.0f %s/s; answers: ok %,d, overloaded (HTTP 503, or UNAVAILABLE with RetryInfo) %,d (with retry hint %,d), partial %,d, other %s; unanswered %,d%n",
          acceptedPerSecond(), unit, ok.sum(), overloaded.sum(), overloadedHinted.sum(), partial.sum(), otherText(), sent.sum() - answers()));
      sb.append(String.format("            latency from intended send time: p50 %.1f, p99 %.1f, max %.1f ms%n",
          latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0));
      new TreeMap<>(hints).forEach((h, n) -> sb.append(String.format("            %,d x %s%n", n.sum(), h)));
      return sb.toString();
    }

    /**
     * The first second (of intended send time) from which every second to the end of the phase had
     * at most {@code maxErrorShare} of its answers other than ok; -1 if none.
     */
    int recoveredAfter(double maxErrorShare) {
      synchronized (perSecond) {
        int n = Math.min(perSecond.length, (int) Math.ceil(seconds));
        int from = -1;
        for (int i = n - 1; i >= 0; i--) {
          long[] c = perSecond[i];
          long all = c[0] + c[1] + c[2];
          if (all == 0 || (double) (c[1] + c[2]) / all > maxErrorShare) {
            break;
          }
          from = i;
        }
        return from;
      }
    }

    /** "ok/overloaded/other" per second, e.g. for the recovery phase. */
    String timeline() {
      StringBuilder sb = new StringBuilder();
      synchronized (perSecond) {
        for (int i = 0; i < Math.min(perSecond.length, (int) Math.ceil(seconds)); i++) {
          long[] c = perSecond[i];
          sb.append(i == 0 ? "" : " ").append(c[0]).append('/').append(c[1]).append('/').append(c[2]);
        }
      }
      return sb.toString();
    }
  }

  /** Values acknowledged (and of unknown fate) per Prometheus sample name; Kahan sums. */
  static final class Ledger {
    final List<String> names;
    private final double[] acked;
    private final double[] ackedC;
    private final double[] unknown;
    private final double[] unknownC;
    final LongAdder ackedItems = new LongAdder();
    final LongAdder unknownItems = new LongAdder();
    final LongAdder partials = new LongAdder();

    Ledger(List<String> names) {
      this.names = names;
      this.acked = new double[names.size()];
      this.ackedC = new double[names.size()];
      this.unknown = new double[names.size()];
      this.unknownC = new double[names.size()];
    }

    synchronized void acked(double[] sums, int items) {
      add(acked, ackedC, sums);
      ackedItems.add(items);
    }

    synchronized void unknown(double[] sums, int items) {
      add(unknown, unknownC, sums);
      unknownItems.add(items);
    }

    private static void add(double[] s, double[] c, double[] v) {
      for (int i = 0; i < s.length && i < v.length; i++) {
        double y = v[i] - c[i];
        double t = s[i] + y;
        c[i] = (t - s[i]) - y;
        s[i] = t;
      }
    }

    synchronized double acked(int i) {
      return acked[i];
    }

    synchronized double unknown(int i) {
      return unknown[i];
    }

    /** One line per name of the comparison with the gateway's totals. */
    record Check(String name, double expected, double unknownValue, double observed, double relativeError, boolean lost, boolean excess) {}

    /**
     * Compares {@code baseline + acked} (and {@code + unknown} as the upper bound) with the
     * gateway's totals after the drain, to {@code tolerance} relative.
     */
    List<Check> compare(Map<String, Double> baseline, Map<String, Double> observed, double tolerance) {
      List<Check> out = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        double expected = baseline.getOrDefault(n, 0.0) + acked(i);
        double upper = expected + unknown(i);
        double got = observed.getOrDefault(n, 0.0);
        double scale = Math.max(Math.abs(expected), 1e-300);
        double rel = (got - expected) / scale;
        boolean lost = got < expected - tolerance * scale;
        boolean excess = got > upper + tolerance * Math.max(Math.abs(upper), 1e-300);
        out.add(new Check(n, expected, unknown(i), got, rel, lost, excess));
      }
      return out;
    }
  }
}

package io.ccotel.gateway.bench;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One load run against a running gateway: warm-up, then a measured window of fixed length; stops
 * by itself. Two modes:
 *
 * <ul>
 *   <li><b>max</b> (closed loop): {@code concurrency} requests always in flight, the next sent as
 *       soon as one is answered. Measures the highest rate the gateway sustains.
 *   <li><b>rate</b> (open loop): requests at fixed intended times ({@code rate} items/s divided by
 *       items per request), whatever the answers; latency is counted from the intended time, so a
 *       stall shows in the percentiles (no coordinated omission). At most {@code concurrency}
 *       requests in flight; when that bound holds a request back, the run says so ({@code
 *       backlogged}).
 * </ul>
 *
 * Not reused: one instance per run.
 */
final class LoadRun {
  /** How a run went. Rates are per second of the measured window. */
  record Result(
      Workload workload,
      String mode,
      double seconds,
      long requests,
      long okRequests,
      long items,
      long acceptedItems,
      long rejectedItems,
      Map<String, Long> errors,
      List<String> refusals,
      double p50Millis,
      double p99Millis,
      double p999Millis,
      double maxMillis,
      long backlogged,
      double gatewayCpuPercent,
      double gatewayJitCpuPercent,
      double warmupSeconds,
      long gatewayRssMaxBytes,
      long gatewayRssEndBytes,
      double loadgenCpuPercent,
      double othersCpuPercent,
      GatewayScrape.Result scrapeBefore,
      GatewayScrape.Result scrapeAfter) {
    double acceptedPerSecond() {
      return acceptedItems / seconds;
    }

    double requestsPerSecond() {
      return requests / seconds;
    }

    /** Delta of a gateway counter over the window (both scrapes needed), else NaN. */
    double delta(String metric) {
      if (scrapeBefore == null || scrapeAfter == null) {
        return Double.NaN;
      }
      return scrapeAfter.get(metric) - scrapeBefore.get(metric);
    }

    String errorsText() {
      if (errors.isEmpty()) {
        return "none";
      }
      StringBuilder sb = new StringBuilder();
      errors.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
      return sb.toString();
    }
  }

  private final Sender sender;
  private final List<Workload.Payload> pool;
  private final Workload workload;
  private final long pid;
  private final GatewayScrape scrape;

  /** JIT compiler threads below this (% of one core) over 2 s: warm enough to measure. */
  static final double JIT_SETTLED_PERCENT = 10;

  private double maxWarmupSeconds;
  private Runnable windowStart = () -> {};
  private Runnable windowEnd = () -> {};

  private final AtomicLong poolIndex;
  private volatile boolean measuring;
  private final LongAdder requests = new LongAdder();
  private final LongAdder okRequests = new LongAdder();
  private final LongAdder items = new LongAdder();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final LongAdder backlogged = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  /** The first partial-success messages (a few distinct ones), for the report. */
  private final Map<String, Boolean> refusalMessages = new ConcurrentHashMap<>();
  private final Recorder latency = new Recorder(TimeUnit.SECONDS.toMicros(120), 3);

  /**
   * @param pid the gateway's pid for CPU and RSS (-1: not measured)
   * @param scrape the gateway's /metrics (null: not read)
   */
  LoadRun(Sender sender, Workload workload, List<Workload.Payload> pool, long pid, GatewayScrape scrape) {
    this(sender, workload, pool, new AtomicLong(), pid, scrape);
  }

  /**
   * @param cursor where in the pool to go on: runs against one gateway share it, so a later run
   *     never resends what an earlier one sent (the gateway would drop it as a client retry)
   */
  LoadRun(Sender sender, Workload workload, List<Workload.Payload> pool, AtomicLong cursor, long pid, GatewayScrape scrape) {
    this.poolIndex = cursor;
    this.sender = sender;
    this.workload = workload;
    this.pool = pool;
    this.pid = pid;
    this.scrape = scrape;
  }

  /**
   * Hooks run just before the measured window opens and just after it closes (outside it), e.g.
   * to start and dump a JFR recording of the gateway.
   */
  LoadRun window(Runnable start, Runnable end) {
    this.windowStart = start;
    this.windowEnd = end;
    return this;
  }

  /**
   * Warm up for longer than the given warm-up until the gateway's JIT compiler threads used less
   * than {@value #JIT_SETTLED_PERCENT}% of a core in two 2-second intervals in a row, up to
   * {@code seconds} in all.
   */
  LoadRun warmUntilJitSettles(double seconds) {
    this.maxWarmupSeconds = seconds;
    return this;
  }

  /** Closed loop: {@code concurrency} requests in flight for warm-up + duration. */
  Result max(int concurrency, double warmupSeconds, double durationSeconds) throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    return run("max, " + concurrency + " in flight", warmupSeconds, durationSeconds, end -> {
      while (System.nanoTime() < end) {
        if (!inFlight.tryAcquire(50, TimeUnit.MILLISECONDS)) {
          continue;
        }
        long sent = System.nanoTime();
        sendOne(sent, inFlight);
      }
    }, inFlight, concurrency);
  }

  /** Open loop: {@code itemsPerSecond} offered for warm-up + duration. */
  Result rate(double itemsPerSecond, int maxInFlight, double warmupSeconds, double durationSeconds) throws InterruptedException {
    Semaphore inFlight = new Semaphore(maxInFlight);
    double perRequest = averageItems();
    double intervalNanos = 1e9 * perRequest / itemsPerSecond;
    return run(String.format("rate %,.0f %s/s", itemsPerSecond, workload.signal().unit), warmupSeconds, durationSeconds, end -> {
      long start = System.nanoTime();
      for (long k = 0; ; k++) {
        long intended = start + (long) (k * intervalNanos);
        if (intended >= end) {
          break;
        }
        long wait = intended - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (!inFlight.tryAcquire()) {
          if (measuring) {
            backlogged.increment();
          }
          inFlight.acquire();
        }
        sendOne(intended, inFlight);
      }
    }, inFlight, maxInFlight);
  }

  private double averageItems() {
    long sum = 0;
    for (Workload.Payload p : pool) {
      sum += p.items();
    }
    return (double) sum / pool.size();
  }

  private void sendOne(long startNanos, Semaphore inFlight) {
    Workload.Payload p = pool.get((int) (poolIndex.getAndIncrement() % pool.size()));
    boolean counted = measuring;
    sender.send(p).whenComplete((outcome, err) -> {
      long micros = (System.nanoTime() - startNanos) / 1000;
      inFlight.release();
      if (!counted || !measuring) {
        return; // sent in the warm-up, or answered after the window
      }
      requests.increment();
      items.add(p.items());
      if (err != null) {
        errors.computeIfAbsent(Sender.ioKind(err), k -> new LongAdder()).increment();
      } else if (outcome.ok()) {
        okRequests.increment();
        accepted.add(p.items() - outcome.rejected());
        rejected.add(outcome.rejected());
        if (outcome.rejected() > 0 && refusalMessages.size() < 3) {
          refusalMessages.putIfAbsent(outcome.message().replaceAll("\\d+", "N"), Boolean.TRUE);
        }
      } else {
        errors.computeIfAbsent(outcome.error(), k -> new LongAdder()).increment();
      }
      latency.recordValue(Math.min(micros, TimeUnit.SECONDS.toMicros(120)));
    });
  }

  private interface Loop {
    void run(long endNanos) throws InterruptedException;
  }

  private Result run(String mode, double warmupSeconds, double durationSeconds, Loop loop, Semaphore inFlight, int permits)
      throws InterruptedException {
    long warmStart = System.nanoTime();
    loop.run(warmStart + (long) (warmupSeconds * 1e9));
    // Then on until the gateway's JIT has settled: on a small machine the compiler threads take
    // a core for tens of seconds after start, which is not the steady state being measured.
    if (pid > 0 && maxWarmupSeconds > warmupSeconds) {
      long cap = warmStart + (long) (maxWarmupSeconds * 1e9);
      int quiet = 0;
      while (System.nanoTime() < cap && quiet < 2) {
        Map<Long, Long> jit0 = ProcStats.jitCpu(pid);
        long c0 = System.nanoTime();
        loop.run(Math.min(cap, c0 + 2_000_000_000L));
        double jitPercent = 100.0 * ProcStats.jitDeltaNanos(jit0, ProcStats.jitCpu(pid)) / (System.nanoTime() - c0);
        quiet = jitPercent < JIT_SETTLED_PERCENT ? quiet + 1 : 0;
      }
    }
    double warmedSeconds = (System.nanoTime() - warmStart) / 1e9;
    // Window: counted are the requests sent and answered inside it.
    GatewayScrape.Result before = scrape == null ? null : scrape.scrape();
    windowStart.run();
    long cpu0 = pid > 0 ? ProcStats.cpuNanos(pid) : -1;
    Map<Long, Long> jitCpu0 = pid > 0 ? ProcStats.jitCpu(pid) : Map.of();
    long self0 = ProcStats.cpuNanos(ProcessHandle.current().pid());
    long machine0 = ProcStats.machineBusyNanos();
    latency.reset();
    long t0 = System.nanoTime();
    measuring = true;
    long end = t0 + (long) (durationSeconds * 1e9);
    RssSampler rss = new RssSampler(pid);
    rss.start();
    loop.run(end);
    measuring = false;
    long t1 = System.nanoTime();
    long cpu1 = pid > 0 ? ProcStats.cpuNanos(pid) : -1;
    Map<Long, Long> jitCpu1 = pid > 0 ? ProcStats.jitCpu(pid) : Map.of();
    long self1 = ProcStats.cpuNanos(ProcessHandle.current().pid());
    long machine1 = ProcStats.machineBusyNanos();
    rss.interrupt();
    rss.join();
    Histogram h = latency.getIntervalHistogram();
    windowEnd.run();
    // Let what is in flight finish (not counted) before the gateway is read or stopped.
    inFlight.tryAcquire(permits, 30, TimeUnit.SECONDS);
    GatewayScrape.Result after = scrape == null ? null : scrape.scrape();
    double seconds = (t1 - t0) / 1e9;
    Map<String, Long> errs = new TreeMap<>();
    errors.forEach((k, v) -> errs.put(k, v.sum()));
    return new Result(
        workload,
        mode,
        seconds,
        requests.sum(),
        okRequests.sum(),
        items.sum(),
        accepted.sum(),
        rejected.sum(),
        errs,
        List.copyOf(refusalMessages.keySet()),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0,
        backlogged.sum(),
        cpu0 < 0 || cpu1 < 0 ? Double.NaN : 100.0 * (cpu1 - cpu0) / (t1 - t0),
        pid <= 0 ? Double.NaN : 100.0 * ProcStats.jitDeltaNanos(jitCpu0, jitCpu1) / (t1 - t0),
        warmedSeconds,
        rss.max,
        pid > 0 ? ProcStats.rssBytes(pid) : -1,
        self0 < 0 || self1 < 0 ? Double.NaN : 100.0 * (self1 - self0) / (t1 - t0),
        machine0 < 0 || machine1 < 0 || cpu0 < 0 || self0 < 0 ? Double.NaN
            : 100.0 * ((machine1 - machine0) - (cpu1 - cpu0) - (self1 - self0)) / (t1 - t0),
        before,
        after);
  }

  /** Samples the gateway's RSS every 200 ms. */
  private static final class RssSampler extends Thread {
    private final long pid;
    volatile long max = -1;

    RssSampler(long pid) {
      super("rss-sampler");
      setDaemon(true);
      this.pid = pid;
    }

    @Override
    public void run() {
      if (pid <= 0) {
        return;
      }
      while (!isInterrupted()) {
        max = Math.max(max, ProcStats.rssBytes(pid));
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          break;
        }
      }
      max = Math.max(max, ProcStats.rssBytes(pid));
    }
  }

  static String report(Result r) {
    StringBuilder sb = new StringBuilder();
    String unit = r.workload().signal().unit;
    sb.append(String.format("%s | %s | %.1f s measured after %.0f s of warm-up%n", r.workload().describe(), r.mode(), r.seconds(), r.warmupSeconds()));
    sb.append(String.format("  accepted   %,.0f %s/s (%,d %s; %,d refused in partial successes)%n", r.acceptedPerSecond(), unit, r.acceptedItems(), unit, r.rejectedItems()));
    sb.append(String.format("  requests   %,.0f/s (%,d answered in the window, %,d ok)%n", r.requestsPerSecond(), r.requests(), r.okRequests()));
    sb.append(String.format("  latency    p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n", r.p50Millis(), r.p99Millis(), r.p999Millis(), r.maxMillis()));
    sb.append(String.format("  errors     %s%n", r.errorsText()));
    for (String m : r.refusals()) {
      sb.append(String.format("  refused    \"%s\"%n", m));
    }
    if (r.backlogged() > 0) {
      sb.append(String.format("  backlogged %,d requests waited for the in-flight bound (the rate was not offered in full)%n", r.backlogged()));
    }
    if (!Double.isNaN(r.gatewayCpuPercent())) {
      sb.append(String.format("  gateway    CPU %.1f%% of one core (JIT compiler threads %.1f%% of it), RSS max %.0f MiB (end %.0f MiB)%n",
          r.gatewayCpuPercent(), r.gatewayJitCpuPercent(), r.gatewayRssMaxBytes() / 1048576.0, r.gatewayRssEndBytes() / 1048576.0));
    }
    sb.append(String.format("  loadgen    CPU %.1f%% of one core (same machine); everything else on the machine (kernel, other builds): %.0f%% of one core, of %d%n",
        r.loadgenCpuPercent(), r.othersCpuPercent(), Runtime.getRuntime().availableProcessors() * 100));
    if (r.scrapeAfter() != null) {
      GatewayScrape.Result a = r.scrapeAfter();
      sb.append(String.format("  /metrics   %,d claude_code_* samples, gateway_prometheus_series %,.0f, duplicates dropped in window %,.0f%n",
          a.claudeSamples(), a.get("gateway_prometheus_series"), r.delta("gateway_prometheus_duplicate_points_total")));
      double loki = r.delta("gateway_loki_sent_entries_total");
      if (loki > 0 || r.workload().signal() == Workload.Signal.LOGS) {
        sb.append(String.format("  loki       %,.0f entries/s delivered in the window (gateway_loki_sent_entries_total)%n", loki / r.seconds()));
      }
    }
    return sb.toString();
  }
}

package io.ccotel.gateway.core.pipeline;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure in front of the pipeline: a request is only decoded and processed when the bytes of
 * the requests already in flight (received, not yet answered) leave room for it, and while the
 * Java heap, as measured after the last garbage collection, is below its limit. Otherwise the
 * receiver answers at once with a retryable refusal (HTTP 503 with {@code Retry-After}, gRPC
 * UNAVAILABLE with RetryInfo), so overload turns into client retries instead of memory growth.
 *
 * <p>A request larger than the whole budget is still taken when nothing else is in flight, so a
 * large but legal request is never refused forever.
 *
 * <p>Metrics: {@code gateway_inflight_bytes}, {@code gateway_inflight_limit_bytes}, {@code
 * gateway_heap_after_gc_ratio} and {@code gateway_overload_refusals_total{reason}}
 * ({@code inflight_bytes} or {@code heap}); receivers also count the request as {@code
 * gateway_requests_total{outcome="overloaded"}}.
 *
 * <p>Thread-safe; acquiring and releasing is one CAS loop, no lock.
 */
public final class IntakeLimiter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IntakeLimiter.class);
  private static final long WARN_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();

  /** Why a request was refused. */
  public enum Reason {
    INFLIGHT_BYTES("inflight_bytes"),
    HEAP("heap");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final long maxInflightBytes;
  private final double maxHeapAfterGc;
  private final Duration retryAfter;
  private final AtomicLong inflight = new AtomicLong();
  private final AtomicBoolean heapHigh = new AtomicBoolean();
  private volatile double heapAfterGc;
  private final Counter[] refusals;
  private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
  private final List<Runnable> unsubscribe = new ArrayList<>();
  private final Runnable fullCollection;
  private final java.util.function.LongSupplier nanoTime;
  private final AtomicLong lastFullCollectionNanos = new AtomicLong(Long.MIN_VALUE);
  /** At most one requested full collection per this long while the heap stays high. */
  static final long FULL_COLLECTION_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();

  /**
   * @param maxInflightBytes the budget of request bytes in flight; {@code Long.MAX_VALUE} for none
   * @param maxHeapAfterGc refuse while heap used after the last GC exceeds this fraction of the
   *     maximum heap (0 &lt; f ≤ 1; 1 turns the check off)
   * @param retryAfter the hint given to refused clients
   * @param registry where the metrics go; null for none
   */
  public IntakeLimiter(long maxInflightBytes, double maxHeapAfterGc, Duration retryAfter, MeterRegistry registry) {
    this(maxInflightBytes, maxHeapAfterGc, retryAfter, registry, true);
  }

  /** @param watchGc false in tests that feed {@link #heapAfterGc} themselves */
  IntakeLimiter(
      long maxInflightBytes, double maxHeapAfterGc, Duration retryAfter, MeterRegistry registry, boolean watchGc) {
    this(maxInflightBytes, maxHeapAfterGc, retryAfter, registry, watchGc, IntakeLimiter::collectInBackground,
        System::nanoTime);
  }

  /**
   * @param fullCollection asks for a full collection (System.gc on a thread of its own; tests count)
   * @param nanoTime the clock that spaces those requests
   */
  IntakeLimiter(
      long maxInflightBytes,
      double maxHeapAfterGc,
      Duration retryAfter,
      MeterRegistry registry,
      boolean watchGc,
      Runnable fullCollection,
      java.util.function.LongSupplier nanoTime) {
    this.fullCollection = fullCollection;
    this.nanoTime = nanoTime;
    if (maxInflightBytes <= 0) {
      throw new IllegalArgumentException("maxInflightBytes must be positive, got " + maxInflightBytes);
    }
    if (!(maxHeapAfterGc > 0 && maxHeapAfterGc <= 1)) {
      throw new IllegalArgumentException("maxHeapAfterGc must be in (0, 1], got " + maxHeapAfterGc);
    }
    this.maxInflightBytes = maxInflightBytes;
    this.maxHeapAfterGc = maxHeapAfterGc;
    this.retryAfter = retryAfter;
    this.refusals = new Counter[Reason.values().length];
    if (registry != null) {
      Gauge.builder("gateway.inflight", inflight, AtomicLong::get)
          .description("Bytes of requests received and not yet answered")
          .baseUnit("bytes")
          .register(registry);
      Gauge.builder("gateway.inflight.limit", () -> maxInflightBytes == Long.MAX_VALUE ? -1 : maxInflightBytes)
          .description("The in-flight bytes above which requests are refused with a retryable answer (-1 = no limit)")
          .baseUnit("bytes")
          .register(registry);
      Gauge.builder("gateway.heap.after.gc.ratio", this, l -> l.heapAfterGc)
          .description("Heap used after the last garbage collection, as a fraction of the maximum heap")
          .register(registry);
      for (Reason r : Reason.values()) {
        refusals[r.ordinal()] = Counter.builder("gateway.overload.refusals")
            .description("Requests refused with a retryable answer because the gateway was overloaded, by reason")
            .tag("reason", r.label())
            .register(registry);
      }
    }
    if (maxHeapAfterGc < 1 && watchGc) {
      watchGc();
    }
  }

  /** No limit (tests and tools). */
  public static IntakeLimiter unlimited() {
    return new IntakeLimiter(Long.MAX_VALUE, 1.0, Duration.ofSeconds(1), null);
  }

  /**
   * The default budget: a sixteenth of the maximum heap, at least 4 MiB. A decoded request takes
   * several times its wire size on the heap (protobuf objects, the internal model, the encoded
   * copy for the durable log), so this keeps the requests in flight well inside the heap.
   */
  public static long defaultMaxInflightBytes() {
    return Math.max(4L << 20, Runtime.getRuntime().maxMemory() / 16);
  }

  public long maxInflightBytes() {
    return maxInflightBytes;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  public long inflightBytes() {
    return inflight.get();
  }

  /**
   * A permit for a request of this many bytes, or null when the gateway is overloaded (the caller
   * answers {@link #refusal} and counts the request as {@code overloaded}). Close the permit once
   * the request is answered.
   */
  public Permit tryAcquire(long bytes) {
    long charge = Math.max(0, bytes);
    while (true) {
      long now = inflight.get();
      if (refuses(now, charge)) {
        return null;
      }
      if (inflight.compareAndSet(now, now + charge)) {
        return new Permit(charge);
      }
    }
  }

  /**
   * Whether a request of this many bytes would be refused right now, without taking a permit: a
   * receiver asks before reading a body whose length it knows, so that under overload the body is
   * skipped rather than read. A refusal is counted as {@link #tryAcquire}'s are.
   */
  public boolean refusesNow(long bytes) {
    return refuses(inflight.get(), Math.max(0, bytes));
  }

  /** The rule, with {@code inflightNow} bytes in flight; counts a refusal. */
  private boolean refuses(long inflightNow, long charge) {
    if (heapHigh.get()) {
      refused(Reason.HEAP);
      return true;
    }
    if (inflightNow > 0 && inflightNow + charge > maxInflightBytes) {
      refused(Reason.INFLIGHT_BYTES);
      return true;
    }
    return false;
  }

  /** What a refused client is told. */
  public ConsumeResult refusal() {
    return ConsumeResult.retryable(
        "the gateway is overloaded (requests in flight or memory at their limit); retry later", retryAfter);
  }

  private void refused(Reason reason) {
    Counter c = refusals[reason.ordinal()];
    if (c != null) {
      c.increment();
    }
    long now = System.nanoTime();
    long last = lastWarnNanos.get();
    if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(last, now)) {
      log.warn(
          "Overloaded: refusing requests with a retryable answer ({}; in flight {} of {} bytes, heap after GC {}% of max);"
              + " counted in gateway_overload_refusals_total, logged at most once a minute",
          reason.label(),
          inflight.get(),
          maxInflightBytes == Long.MAX_VALUE ? "unlimited" : Long.toString(maxInflightBytes),
          Math.round(heapAfterGc * 100));
    }
  }

  /** Heap after GC as the collectors report it (package-private for tests of the heap rule). */
  void heapAfterGc(double ratio) {
    heapAfterGc = ratio;
    boolean high = ratio > maxHeapAfterGc;
    heapHigh.set(high);
    if (high) {
      // After a young collection the old generation still holds its garbage, and with intake
      // refused little is allocated, so no full collection may come for a long time: the gateway
      // would refuse everything on a stale figure. Ask for one (as the Collector's memory_limiter
      // does), at most every 10 s; its notification brings the true figure.
      long now = nanoTime.getAsLong();
      long last = lastFullCollectionNanos.get();
      if ((last == Long.MIN_VALUE || now - last >= FULL_COLLECTION_INTERVAL_NANOS)
          && lastFullCollectionNanos.compareAndSet(last, now)) {
        fullCollection.run();
      }
    }
  }

  private static void collectInBackground() {
    Thread t = new Thread(System::gc, "gateway-heap-check");
    t.setDaemon(true);
    t.start();
  }

  private void watchGc() {
    long max = Runtime.getRuntime().maxMemory();
    Set<String> heapPools = new HashSet<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool.getName());
      }
    }
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (!(gc instanceof NotificationEmitter emitter)) {
        continue;
      }
      NotificationListener listener = (Notification n, Object handback) -> {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
          return;
        }
        GarbageCollectionNotificationInfo info =
            GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
          if (heapPools.contains(e.getKey())) {
            used += e.getValue().getUsed();
          }
        }
        heapAfterGc(max > 0 && max != Long.MAX_VALUE ? (double) used / max : 0);
      };
      emitter.addNotificationListener(listener, null, null);
      unsubscribe.add(() -> {
        try {
          emitter.removeNotificationListener(listener);
        } catch (ListenerNotFoundException ignored) {
          // already gone
        }
      });
    }
  }

  @Override
  public void close() {
    unsubscribe.forEach(Runnable::run);
    unsubscribe.clear();
  }

  /** Bytes held by one request until it is answered. Closing twice is harmless. */
  public final class Permit implements AutoCloseable {
    private final long bytes;
    private final AtomicBoolean open = new AtomicBoolean(true);

    private Permit(long bytes) {
      this.bytes = bytes;
    }

    public long bytes() {
      return bytes;
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        inflight.addAndGet(-bytes);
      }
    }
  }
}

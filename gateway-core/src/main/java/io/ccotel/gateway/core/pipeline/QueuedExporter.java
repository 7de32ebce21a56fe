package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exporter behind its own bounded queue, drained by one worker thread. The bound is in items
 * (data points, records, spans), so a few huge batches cannot hide behind a small batch count.
 *
 * <p>Reserving capacity and enqueueing are separate steps so that the {@link Fanout} can take room
 * in every queue first and enqueue only when all have room: a batch then reaches all exporters or
 * none, and the client's retry of a refused batch is never applied twice.
 *
 * <p>Thread-safe. {@link #shutdown} stops intake, exports what is queued (until the deadline),
 * then stops the exporter.
 */
public final class QueuedExporter implements Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(QueuedExporter.class);
  private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Exporter exporter;
  private final GatewayMetrics metrics;
  private final long capacityItems;
  private final AtomicLong reservedItems = new AtomicLong();
  private final BlockingQueue<TelemetryBatch> queue;
  private final Thread worker;
  private volatile boolean accepting = true;
  private volatile boolean stopped;
  private long lastFailureLogNanos = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
  private final Object idleLock = new Object();
  private volatile boolean busy;

  public QueuedExporter(Exporter exporter, GatewayMetrics metrics, long capacityItems) {
    if (capacityItems <= 0) {
      throw new IllegalArgumentException("queue capacity must be > 0");
    }
    this.exporter = exporter;
    this.metrics = metrics;
    this.capacityItems = capacityItems;
    // Unbounded in batches: the bound that matters is the item reservation above it.
    this.queue = new LinkedBlockingQueue<>();
    this.worker = new Thread(this::drain, "exporter-" + exporter.id());
    this.worker.setDaemon(true);
    metrics.queueGauges(exporter.id(), reservedItems::get, capacityItems);
  }

  public Exporter exporter() {
    return exporter;
  }

  public String id() {
    return exporter.id();
  }

  /** Items queued or reserved and not yet exported. */
  public long queuedItems() {
    return reservedItems.get();
  }

  /**
   * Takes room for a batch of this many items. False when the queue is full or closed. Every
   * successful reservation must be followed by {@link #enqueueReserved} or {@link #release}.
   */
  boolean tryReserve(int items) {
    if (!accepting) {
      return false;
    }
    // A batch larger than the whole queue is still taken when the queue is empty, else it could
    // never be delivered; the batch size itself is bounded by the receivers' body limits.
    while (true) {
      long cur = reservedItems.get();
      long next = cur + items;
      if (next > capacityItems && cur > 0) {
        return false;
      }
      if (reservedItems.compareAndSet(cur, next)) {
        return true;
      }
    }
  }

  void release(int items) {
    reservedItems.addAndGet(-items);
  }

  /** Enqueues a batch whose room was reserved; the worker exports it even during shutdown. */
  void enqueueReserved(TelemetryBatch batch) {
    queue.add(batch);
  }

  @Override
  public void start() throws Exception {
    exporter.start();
    worker.start();
  }

  private void drain() {
    while (!stopped || !queue.isEmpty()) {
      TelemetryBatch batch;
      try {
        batch = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        if (stopped) {
          break;
        }
        continue;
      }
      if (batch == null) {
        continue;
      }
      busy = true;
      int items = batch.itemCount();
      try {
        exporter.export(batch);
        metrics.exported(exporter.id(), batch.signal(), items);
      } catch (Exception | LinkageError e) {
        metrics.exportFailed(exporter.id(), batch.signal(), items);
        long now = System.nanoTime();
        if (now - lastFailureLogNanos >= FAILURE_LOG_INTERVAL_NANOS) {
          lastFailureLogNanos = now;
          log.warn("Exporter {} failed; {} {} dropped (further failures within a minute are only counted in gateway_exporter_failed_items_total)",
              exporter.id(), items, batch.signal().itemName(), e);
        }
      } finally {
        release(items);
        busy = false;
        synchronized (idleLock) {
          idleLock.notifyAll();
        }
      }
    }
  }

  /**
   * Waits until every batch queued so far has been exported (or the timeout passes). For tests
   * and for an orderly shutdown.
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idleLock) {
      while (!queue.isEmpty() || busy || reservedItems.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idleLock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
      }
    }
    return true;
  }

  @Override
  public void shutdown(Duration deadline) {
    if (!accepting && stopped) {
      return;
    }
    accepting = false;
    long end = System.nanoTime() + deadline.toNanos();
    try {
      if (worker.isAlive()) {
        awaitIdle(deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopped = true;
    worker.interrupt();
    try {
      worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!queue.isEmpty()) {
      log.warn("Exporter {}: {} batches still queued at the shutdown deadline were not exported",
          exporter.id(), queue.size());
    }
    exporter.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
  }
}

package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assembled data path: for each signal a processor chain ending in a fanout over that signal's
 * exporter queues. Receivers are handed {@link #consumer()}; they never look exporters up.
 *
 * <p>Lifecycle: {@link #start} starts every exporter and its queue worker; {@link #shutdown}
 * (after the receivers stopped) exports what is queued, then stops the exporters.
 */
public final class Pipeline implements Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  private final Map<Signal, BatchConsumer> bySignal;
  private final Map<String, QueuedExporter> queues;
  private final Map<String, Exporter> inline;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

  Pipeline(Map<Signal, BatchConsumer> bySignal, Map<String, QueuedExporter> queues, Map<String, Exporter> inline) {
    this.bySignal = new EnumMap<>(bySignal);
    this.queues = new LinkedHashMap<>(queues);
    this.inline = new LinkedHashMap<>(inline);
  }

  /** Every exporter that is in a pipeline, queued or inline, by id. */
  public boolean runs(String exporterId) {
    return queues.containsKey(exporterId) || inline.containsKey(exporterId);
  }

  /** Routes each batch by its signal; a signal with no pipeline is accepted and dropped. */
  public BatchConsumer consumer() {
    return this::consume;
  }

  public ConsumeResult consume(TelemetryBatch batch) {
    // Counted before the closed check, so that shutdown can wait for every call that got past it:
    // an inline exporter must not apply a batch after its final state was saved.
    inFlight.incrementAndGet();
    try {
      if (closed) {
        return ConsumeResult.retryable("the gateway is shutting down; retry later", Duration.ofSeconds(1));
      }
      BatchConsumer c = bySignal.get(batch.signal());
      return c == null ? ConsumeResult.ok() : c.consume(batch);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  public boolean hasPipeline(Signal signal) {
    return bySignal.containsKey(signal);
  }

  public Map<String, QueuedExporter> queues() {
    return queues;
  }

  /** Waits until every queue is empty; for tests and shutdown. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    for (QueuedExporter q : queues.values()) {
      if (!q.awaitIdle(Duration.ofNanos(Math.max(0, end - System.nanoTime())))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void start() throws Exception {
    List<Lifecycle> started = new ArrayList<>();
    try {
      for (Exporter e : inline.values()) {
        e.start();
        started.add(e);
      }
      for (QueuedExporter q : queues.values()) {
        q.start();
        started.add(q);
      }
    } catch (Exception e) {
      for (Lifecycle l : started) {
        l.shutdown(Duration.ofSeconds(1));
      }
      throw e;
    }
  }

  @Override
  public void shutdown(Duration deadline) {
    closed = true;
    long end = System.nanoTime() + deadline.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < end) {
      Thread.onSpinWait();
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (QueuedExporter q : queues.values()) {
      try {
        q.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
      } catch (RuntimeException e) {
        log.warn("Exporter {} did not shut down cleanly", q.id(), e);
      }
    }
    for (Exporter e : inline.values()) {
      try {
        e.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
      } catch (RuntimeException ex) {
        log.warn("Exporter {} did not shut down cleanly", e.id(), ex);
      }
    }
  }
}

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

  /** Durable mode: the intake, and the queued exporters with the signals routed to them. */
  private final DurableIntake durable;
  private final Map<String, java.util.Set<Signal>> durableRoutes;
  private final Map<String, java.util.Set<Signal>> inlineRoutes;
  private final Map<String, LogDrain> drains = new LinkedHashMap<>();

  Pipeline(Map<Signal, BatchConsumer> bySignal, Map<String, QueuedExporter> queues, Map<String, Exporter> inline) {
    this(bySignal, queues, inline, null, Map.of(), Map.of());
  }

  Pipeline(
      Map<Signal, BatchConsumer> bySignal,
      Map<String, QueuedExporter> queues,
      Map<String, Exporter> inline,
      DurableIntake durable,
      Map<String, java.util.Set<Signal>> durableRoutes,
      Map<String, java.util.Set<Signal>> inlineRoutes) {
    this.bySignal = new EnumMap<>(bySignal);
    this.queues = new LinkedHashMap<>(queues);
    this.inline = new LinkedHashMap<>(inline);
    this.durable = durable;
    this.durableRoutes = new LinkedHashMap<>(durableRoutes);
    this.inlineRoutes = new LinkedHashMap<>(inlineRoutes);
  }

  /** The durable log's intake, or null when durability is off. */
  public DurableIntake durableIntake() {
    return durable;
  }

  /** Every exporter that is in a pipeline, queued or inline, by id. */
  public boolean runs(String exporterId) {
    return queues.containsKey(exporterId) || inline.containsKey(exporterId) || durableRoutes.containsKey(exporterId);
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
    for (LogDrain d : drains.values()) {
      if (!d.awaitIdle(Duration.ofNanos(Math.max(0, end - System.nanoTime())))) {
        return false;
      }
    }
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
      if (durable != null) {
        startDurable(started);
      }
      for (Exporter e : inline.values()) {
        if (durable != null) {
          continue; // started by startDurable
        }
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

  private void startDurable(List<Lifecycle> started) throws Exception {
    var durableLog = durable.log();
    java.util.Set<String> known = new java.util.HashSet<>(inline.keySet());
    known.addAll(durableRoutes.keySet());
    for (String name : durableLog.readerNames()) {
      if (!known.contains(name)) {
        log.info("Durable log: exporter {} is no longer configured; its cursor is removed", name);
        durableLog.removeReader(name);
      }
    }
    for (Map.Entry<String, Exporter> e : inline.entrySet()) {
      Exporter exporter = e.getValue();
      boolean keepsState = exporter.bindCheckpoints(durable.forExporter(e.getKey()));
      exporter.start();
      started.add(exporter);
      if (keepsState && exporter.restoredPosition() != Exporter.NO_STATE) {
        var reader = durableLog.reader(e.getKey());
        durable.registerCheckpointReader(e.getKey(), reader);
        long t0 = System.nanoTime();
        int replayed = durable.replay(exporter, reader, exporter.restoredPosition(), inlineRoutes.get(e.getKey()));
        log.info("Exporter {}: state restored up to durable log position {}; replayed {} batches after it in {} ms",
            e.getKey(), exporter.restoredPosition(), replayed, (System.nanoTime() - t0) / 1_000_000);
      } else if (keepsState) {
        // No saved state yet (a first start): its first checkpoint commits this reader. Without
        // a reader nothing would ever release the log's segments, and the log would fill up.
        durable.registerCheckpointReader(e.getKey(), durableLog.reader(e.getKey(), true));
      } else {
        // No saved state at all: what is applied is done with; the reader follows the intake.
        durable.registerFollowingReader(durableLog.reader(e.getKey(), true));
      }
    }
    for (Map.Entry<String, java.util.Set<Signal>> e : durableRoutes.entrySet()) {
      // A new exporter starts at the end of the log: what was acknowledged before it existed was
      // never meant for it. An existing one resumes after its committed position.
      var reader = durableLog.reader(e.getKey(), true);
      LogDrain drain = new LogDrain(exporterOf(e.getKey()), reader, e.getValue(), metricsOf());
      drain.start();
      drains.put(e.getKey(), drain);
      started.add(drain);
    }
  }

  private final Map<String, Exporter> durableExporters = new LinkedHashMap<>();
  private io.ccotel.gateway.core.metrics.GatewayMetrics durableMetrics;

  void durableExporters(Map<String, Exporter> exporters, io.ccotel.gateway.core.metrics.GatewayMetrics metrics) {
    durableExporters.putAll(exporters);
    durableMetrics = metrics;
  }

  private Exporter exporterOf(String id) {
    return durableExporters.get(id);
  }

  private io.ccotel.gateway.core.metrics.GatewayMetrics metricsOf() {
    return durableMetrics;
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
    for (LogDrain d : drains.values()) {
      try {
        d.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
      } catch (RuntimeException ex) {
        log.warn("Exporter {} did not shut down cleanly", d.id(), ex);
      }
    }
    for (Exporter e : inline.values()) {
      try {
        e.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
      } catch (RuntimeException ex) {
        log.warn("Exporter {} did not shut down cleanly", e.id(), ex);
      }
    }
    if (durable != null) {
      durable.log().close();
    }
  }
}

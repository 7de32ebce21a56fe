package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.durable.DurableLog;
import io.ccotel.gateway.core.durable.LogEntry;
import io.ccotel.gateway.core.durable.LogFullException;
import io.ccotel.gateway.core.durable.LogReader;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of every processor chain when durability is on: a batch is appended to the durable log
 * (and fsynced, per the log's policy) before the client is answered; then the inline exporters of
 * its signal apply it, and their refusals become the partial-success part of the answer. Queued
 * exporters read the log through their own {@link LogDrain}.
 *
 * <p>Exactly once for inline exporters with saved state: appends and applies run under the read
 * side of a lock; a checkpoint ({@link CheckpointBarrier#atConsistentPoint}) takes the write side,
 * so its snapshot holds exactly the records up to the log's last position. After a crash the
 * exporter restores its snapshot and {@link #replay} feeds it the records after that position.
 *
 * <p>Thread-safe.
 */
public final class DurableIntake {
  private static final Logger log = LoggerFactory.getLogger(DurableIntake.class);

  private final DurableLog durableLog;
  private final GatewayMetrics metrics;
  private final Duration retryAfter;
  private final Map<Signal, List<Exporter>> inlineBySignal;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  DurableIntake(DurableLog durableLog, GatewayMetrics metrics, Duration retryAfter, Map<Signal, List<Exporter>> inlineBySignal) {
    this.durableLog = durableLog;
    this.metrics = metrics;
    this.retryAfter = retryAfter;
    this.inlineBySignal = new EnumMap<>(inlineBySignal);
  }

  public DurableLog log() {
    return durableLog;
  }

  /** The consumer for one signal: append, then apply its inline exporters. */
  BatchConsumer consumerFor(Signal signal) {
    List<Exporter> inline = inlineBySignal.getOrDefault(signal, List.of());
    return batch -> consume(batch, inline);
  }

  private ConsumeResult consume(TelemetryBatch batch, List<Exporter> inline) {
    if (batch.isEmpty()) {
      return ConsumeResult.ok();
    }
    byte[] bytes = BatchCodec.encode(batch);
    lock.readLock().lock();
    try {
      long position;
      try {
        position = durableLog.append(bytes);
      } catch (LogFullException e) {
        metrics.refusedQueueFull("durable_log", batch.signal(), batch.itemCount());
        return ConsumeResult.retryable("the gateway's durable log is full (" + e.getMessage()
            + "); an exporter is behind; retry later", retryAfter);
      } catch (IOException | IllegalStateException e) {
        metrics.refusedQueueFull("durable_log", batch.signal(), batch.itemCount());
        log.warn("Durable log append failed; answering retryable", e);
        return ConsumeResult.retryable("the gateway cannot write its durable log now; retry later", retryAfter);
      }
      ConsumeResult result = applyInline(batch, inline);
      for (LogReader follower : followers) {
        follower.commit(position); // cheap: persisted by the log every commit_interval
      }
      return result;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Readers of inline exporters without saved state: done with a record once it is applied. */
  private final List<LogReader> followers = new java.util.concurrent.CopyOnWriteArrayList<>();

  void registerFollowingReader(LogReader reader) {
    followers.add(reader);
  }

  private ConsumeResult applyInline(TelemetryBatch batch, List<Exporter> inline) {
    ConsumeResult result = ConsumeResult.ok();
    int items = batch.itemCount();
    for (Exporter e : inline) {
      ConsumeResult r;
      try {
        r = e.apply(batch);
      } catch (RuntimeException ex) {
        metrics.exportFailed(e.id(), batch.signal(), items);
        log.warn("Exporter {} failed to apply a batch of {} {}", e.id(), items, batch.signal().itemName(), ex);
        continue;
      }
      metrics.exported(e.id(), batch.signal(), items - r.rejectedItems());
      if (r.outcome() == ConsumeResult.Outcome.PARTIAL) {
        result = result.plusRejected(r.rejectedItems(), r.message());
      }
    }
    return result;
  }

  /** Runs the snapshot with no append or apply in flight; see {@link CheckpointBarrier}. */
  public long atConsistentPoint(Runnable snapshot) {
    lock.writeLock().lock();
    try {
      long position = durableLog.nextPosition() - 1;
      snapshot.run();
      return position;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Set by the pipeline: the readers that hold the log for the inline exporters' checkpoints. */
  private final Map<String, LogReader> checkpointReaders = new java.util.concurrent.ConcurrentHashMap<>();

  void registerCheckpointReader(String exporterId, LogReader reader) {
    checkpointReaders.put(exporterId, reader);
  }

  /** The barrier as one exporter sees it: its checkpoints commit its own reader. */
  CheckpointBarrier forExporter(String exporterId) {
    return new CheckpointBarrier() {
      @Override
      public long atConsistentPoint(Runnable snapshot) {
        return DurableIntake.this.atConsistentPoint(snapshot);
      }

      @Override
      public void checkpointed(long position) {
        LogReader reader = checkpointReaders.get(exporterId);
        if (reader == null || position < 0 || position < reader.committed()) {
          return;
        }
        try {
          reader.commitSync(position);
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
          log.warn("Could not record checkpoint position {} of exporter {} in the durable log", position, exporterId, e);
        }
      }
    };
  }

  /**
   * Feeds an inline exporter the records after its restored position (before the receivers
   * start). Records already in its state are applied again only if the snapshot missed them; the
   * exporter's duplicate detection keeps a re-applied delta from counting twice.
   *
   * @return the number of batches replayed
   */
  int replay(Exporter exporter, LogReader reader, long restoredPosition, java.util.Set<Signal> signals)
      throws IOException, InterruptedException {
    long from = Math.max(restoredPosition + 1, durableLog.firstPosition());
    reader.seek(Math.min(from, durableLog.nextPosition()));
    int batches = 0;
    while (true) {
      List<LogEntry> entries = reader.poll(256, Duration.ZERO);
      if (entries.isEmpty()) {
        return batches;
      }
      for (LogEntry entry : entries) {
        if (!signals.contains(BatchCodec.signal(entry.payload()))) {
          continue;
        }
        TelemetryBatch batch;
        try {
          batch = BatchCodec.decode(entry.payload());
        } catch (IllegalArgumentException e) {
          log.warn("Durable log record {} cannot be decoded; skipped", entry.position(), e);
          continue;
        }
        exporter.apply(batch);
        batches++;
      }
    }
  }
}

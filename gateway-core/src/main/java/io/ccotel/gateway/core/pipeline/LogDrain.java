package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.durable.LogEntry;
import io.ccotel.gateway.core.durable.LogReader;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable mode's replacement for {@link QueuedExporter}: one thread reads the exporter's own
 * cursor of the durable log, exports the batches of the signals routed to it, and commits its
 * position once the exporter has delivered them. After a crash it resumes after the last committed
 * position, so an acknowledged batch is delivered at least once. The backlog is bounded by the
 * log's size.
 *
 * <p>The drain does not wait for delivery after every poll: it keeps reading and handing batches
 * to the exporter (which batches them and pushes in the background, Loki) and calls {@link
 * Exporter#flush} only when nothing more is to be read for 20 ms ({@link #IDLE_GAP_NANOS}), when
 * {@value #MAX_UNFLUSHED_RECORDS} records wait, or 1 s ({@link #FLUSH_INTERVAL_NANOS}) after the
 * first record that waits. A successful flush commits the last position handed over before it:
 * nothing is committed before it is delivered, and a crash delivers again at most what was read
 * since the last flush.
 */
final class LogDrain implements Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(LogDrain.class);
  private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  /** Records per poll (the reader also stops at about 4 MiB). */
  static final int POLL_RECORDS = 1024;
  /** Exported records that may wait for a flush; past this the drain flushes and commits. */
  static final int MAX_UNFLUSHED_RECORDS = 4096;
  /** How long exported records may wait for a flush while more keep arriving. */
  static final long FLUSH_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** A gap this long with nothing to read flushes and commits what was exported. */
  static final long IDLE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final Duration IDLE_POLL = Duration.ofMillis(200);

  private final Exporter exporter;
  private final LogReader reader;
  private final Set<Signal> signals;
  private final GatewayMetrics metrics;
  private final Thread worker;
  private volatile boolean stopping;
  private volatile boolean stopped;
  private long lastFailureLog = System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS;
  // Worker thread only: records read and handed to the exporter but not yet flushed and committed.
  private long lastExported = -1;
  private int unflushedRecords;
  private long firstUnflushedNanos;

  LogDrain(Exporter exporter, LogReader reader, Set<Signal> signals, GatewayMetrics metrics) {
    this.exporter = exporter;
    this.reader = reader;
    this.signals = Set.copyOf(signals);
    this.metrics = metrics;
    this.worker = new Thread(this::run, "drain-" + exporter.id());
    this.worker.setDaemon(true);
  }

  String id() {
    return exporter.id();
  }

  long lag() {
    return reader.lag();
  }

  @Override
  public void start() throws Exception {
    exporter.start();
    worker.start();
  }

  private void run() {
    while (!stopped) {
      List<LogEntry> entries;
      try {
        entries = reader.poll(POLL_RECORDS, pollTimeout());
      } catch (InterruptedException e) {
        if (stopped) {
          break;
        }
        continue;
      } catch (Exception e) {
        log.warn("Exporter {}: reading the durable log failed", exporter.id(), e);
        flushAndCommit();
        sleepQuietly(1000);
        continue;
      }
      if (entries.isEmpty()) {
        // Nothing more to read for now: deliver what is held and commit it.
        flushAndCommit();
        if (stopping) {
          break;
        }
        continue;
      }
      for (LogEntry entry : entries) {
        if (signals.contains(BatchCodec.signal(entry.payload()))) {
          export(entry);
        }
      }
      if (unflushedRecords == 0) {
        firstUnflushedNanos = System.nanoTime();
      }
      unflushedRecords += entries.size();
      lastExported = entries.get(entries.size() - 1).position();
      if (unflushedRecords >= MAX_UNFLUSHED_RECORDS || System.nanoTime() - firstUnflushedNanos >= FLUSH_INTERVAL_NANOS) {
        flushAndCommit();
      }
    }
  }

  /**
   * How long the next poll may wait: while exported records are not yet flushed, only a short gap
   * (then they are flushed and committed, so an idle drain commits promptly), and never past the
   * flush interval.
   */
  private Duration pollTimeout() {
    if (unflushedRecords == 0) {
      return IDLE_POLL;
    }
    long untilDue = FLUSH_INTERVAL_NANOS - (System.nanoTime() - firstUnflushedNanos);
    return Duration.ofNanos(Math.max(0, Math.min(untilDue, IDLE_GAP_NANOS)));
  }

  /**
   * Commits everything exported so far once the exporter has delivered it (or given it up by its
   * own policy): a batching exporter still holds the last entries until its flush returns true.
   * Nothing is committed when the drain is stopped first; a restart then delivers them again.
   */
  private void flushAndCommit() {
    if (unflushedRecords == 0) {
      return;
    }
    if (awaitDelivered()) {
      reader.commit(lastExported);
      unflushedRecords = 0;
    }
  }

  private void export(LogEntry entry) {
    TelemetryBatch batch;
    try {
      batch = BatchCodec.decode(entry.payload());
    } catch (IllegalArgumentException e) {
      log.warn("Exporter {}: durable log record {} cannot be decoded; skipped", exporter.id(), entry.position(), e);
      return;
    }
    int items = batch.itemCount();
    try {
      exporter.export(batch);
      metrics.exported(exporter.id(), batch.signal(), items);
    } catch (Exception | LinkageError e) {
      // The exporter retries what can be retried (Loki) and gives up by its own policy; what
      // reaches here is counted and logged, never retried for ever.
      metrics.exportFailed(exporter.id(), batch.signal(), items);
      long now = System.nanoTime();
      if (now - lastFailureLog >= FAILURE_LOG_INTERVAL_NANOS) {
        lastFailureLog = now;
        log.warn("Exporter {} failed; {} {} dropped (further failures within a minute are only counted)",
            exporter.id(), items, batch.signal().itemName(), e);
      }
    }
  }

  /** False only when the drain is stopped first: then nothing is committed and a restart re-delivers. */
  private boolean awaitDelivered() {
    while (true) {
      try {
        if (exporter.flush(Duration.ofSeconds(1))) {
          return true;
        }
      } catch (InterruptedException e) {
        if (stopped) {
          return false;
        }
      } catch (RuntimeException e) {
        log.warn("Exporter {}: flush failed", exporter.id(), e);
        return true;
      }
      if (stopped) {
        return false;
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until everything appended so far is exported (for tests and shutdown). */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (reader.lag() > 0) {
      if (System.nanoTime() >= end) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Exports what the log holds (until the deadline), commits, stops the exporter. */
  @Override
  public void shutdown(Duration deadline) {
    if (stopped) {
      return;
    }
    long end = System.nanoTime() + deadline.toNanos();
    stopping = true;
    try {
      worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopped = true;
    worker.interrupt();
    try {
      worker.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reader.close();
    exporter.shutdown(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
  }
}

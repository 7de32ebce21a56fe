package io.ccotel.gateway.core.durable;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named reader of a {@link DurableLog} (one per exporter), from {@link DurableLog#reader}.
 *
 * <p>It has two positions: the <b>read position</b> ({@link #position()}, where the next {@link
 * #poll} continues; only in memory) and the <b>committed position</b> ({@link #committed()}, the
 * last record the owner says it is done with). After a restart the reader continues after the last
 * committed position <em>that was written to its cursor file</em>: {@link #commit} is cheap and
 * written by the log's housekeeper every {@code commit_interval} (and at reader or log close);
 * {@link #commitSync} writes at once. So a crash delivers again at most the records committed in
 * the last interval plus those read but not committed: at least once. An owner that needs exactly
 * once (the Prometheus state) stores the position with its own state, commits it after the state is
 * durable, and after a restart {@link #seek}s past it.
 *
 * <p>Readers see only what appenders were told: records whose {@code append} returned (under
 * fsync ALWAYS: fsynced records).
 *
 * <p>Threads: {@link #poll}, {@link #seek} and {@link #close} from one thread at a time (the
 * exporter's worker); {@link #commit} and {@link #commitSync} from any thread. Each reader reads
 * the files through its own channels, so interrupting its thread cannot disturb the writer.
 */
public final class LogReader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogReader.class);
  private static final int READ_AHEAD_BYTES = 64 * 1024;
  private static final long MAX_POLL_BYTES = 4L << 20;

  private final DurableLog owner;
  private final DurableLog.ReaderState state;
  private long next;
  private Segment segment;
  private FileChannel channel;
  private RecordScanner scanner;
  /** The active segment was found damaged: wait until it is sealed, then skip the rest of it. */
  private Segment damagedActive;
  private volatile boolean closed;

  LogReader(DurableLog owner, DurableLog.ReaderState state, long start) {
    this.owner = owner;
    this.state = state;
    this.next = start;
  }

  public String name() {
    return state.name;
  }

  /** The position the next {@link #poll} starts at. */
  public long position() {
    return next;
  }

  /**
   * The last committed position; before the first commit, the position before where the reader
   * started (so -1 for a reader of a new log).
   */
  public long committed() {
    long c = state.committedNext.get();
    return c == Cursors.INVALID ? -1 : c - 1;
  }

  /** The committed position as last written to the cursor file (what a restart resumes after). */
  public long persistedCommitted() {
    return state.persistedNext - 1;
  }

  /**
   * The next records from the read position on, at most {@code maxRecords} (and about 4 MiB), in
   * position order; waits up to {@code timeout} when there is none yet, then returns an empty list.
   * Advances the read position past what it returns (not the committed position).
   *
   * <p>Records lost to damage on disk are skipped (logged at WARN and counted), as are records
   * deleted by {@link DurableLog#truncateBefore} before this reader got to them.
   *
   * @throws IllegalStateException when the reader or the log is closed
   * @throws IOException when a segment file cannot be read
   */
  public List<LogEntry> poll(int maxRecords, Duration timeout) throws IOException, InterruptedException {
    if (maxRecords <= 0) {
      throw new IllegalArgumentException("maxRecords must be > 0");
    }
    long left = timeout.toNanos();
    long deadline = System.nanoTime() + left;
    while (true) {
      checkOpen();
      List<LogEntry> out = readAvailable(maxRecords);
      if (!out.isEmpty()) {
        return out;
      }
      left = deadline - System.nanoTime();
      if (left <= 0) {
        return out;
      }
      if (canProgress(owner.visibleEnd())) {
        // Defensive: data looked available but nothing was read; do not spin.
        owner.awaitData(end -> false, Math.min(left, 10_000_000L));
      } else {
        owner.awaitData(this::canProgress, left);
      }
    }
  }

  private boolean canProgress(long visibleEnd) {
    return visibleEnd > next && (damagedActive == null || damagedActive.sealed);
  }

  /**
   * Marks every record up to and including {@code position} as done. Cheap: written to the cursor
   * file within {@code commit_interval}. A commit below an earlier one is ignored.
   *
   * @throws IllegalArgumentException for a position not yet appended
   */
  public void commit(long position) {
    if (position >= owner.visibleEnd()) {
      throw new IllegalArgumentException("position " + position + " is not in the log yet (next position is "
          + owner.visibleEnd() + ")");
    }
    long nextAfter = position + 1;
    state.committedNext.accumulateAndGet(nextAfter, Math::max);
  }

  /**
   * {@link #commit} and write the cursor file now (fsynced), then delete the segments every reader
   * is done with. Costs an fsync or two; for checkpoints, not for every batch.
   */
  public void commitSync(long position) throws IOException {
    commit(position);
    owner.persist(state);
    owner.deleteCommittedSegments();
  }

  /**
   * Moves the read position: the next poll returns records from {@code position} on (the first one
   * after it if it is in a gap). Does not change the committed position.
   *
   * <p>For an owner that keeps its own checkpoint (state applied through position {@code P}): after
   * a restart, {@code seek(Math.min(P + 1, log.nextPosition()))}. Normally that is {@code P + 1};
   * the minimum matters only when the log lost a tail it had already handed out (fsync INTERVAL or
   * NEVER and a power failure) and the checkpoint was written before the reader's commit: the
   * positions from {@code nextPosition()} on then belong to new records, which must be read.
   */
  public void seek(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("position < 0");
    }
    next = position;
    damagedActive = null;
    releaseSegment();
  }

  /** Records appended after the committed position (approximately, when there are gaps). */
  public long lag() {
    return Math.max(0, owner.visibleEnd() - state.committedNext.get());
  }

  /** Writes the committed position to the cursor file and lets the name be opened again. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    releaseSegment();
    owner.readerClosed(state);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("reader '" + state.name + "' is closed");
    }
    if (owner.isClosed()) {
      releaseSegment();
      throw new IllegalStateException("durable log " + owner.dir() + " is closed");
    }
  }

  private List<LogEntry> readAvailable(int maxRecords) throws IOException, InterruptedException {
    long start = next;
    try {
      return read(maxRecords);
    } catch (IOException e) {
      // Nothing of this poll is returned, so nothing of it counts as read.
      next = start;
      releaseSegment();
      if (e instanceof ClosedByInterruptException) {
        // FileChannel closes itself when its thread is interrupted (only this reader's channel).
        Thread.interrupted();
        InterruptedException ie = new InterruptedException("interrupted while reading the durable log");
        ie.initCause(e);
        throw ie;
      }
      throw e;
    }
  }

  private List<LogEntry> read(int maxRecords) throws IOException {
    List<LogEntry> out = new ArrayList<>(Math.min(maxRecords, 1024));
    long bytes = 0;
    while (out.size() < maxRecords && bytes < MAX_POLL_BYTES) {
      if (next >= owner.visibleEnd()) {
        break;
      }
      if (damagedActive != null) {
        if (!damagedActive.sealed) {
          break;
        }
        if (next < damagedActive.end) {
          skipped(damagedActive.end - next, "damaged records in " + damagedActive.path);
          next = damagedActive.end;
        }
        damagedActive = null;
        releaseSegment();
      }
      Segment s = segment;
      if (s == null || s.deleted || next < s.base || (s.sealed && next >= s.end)) {
        if (!locate()) {
          break;
        }
        continue;
      }
      if (next >= s.end) {
        break;
      }
      scanner.setLimit(s.sizeBytes);
      RecordScanner.Result r = scanner.next(true);
      if (r == RecordScanner.Result.RECORD) {
        out.add(new LogEntry(next, scanner.payload()));
        bytes += scanner.payloadLength();
        next++;
      } else {
        damaged(s, scanner.offset(), scanner.problem());
      }
    }
    return out;
  }

  /**
   * Finds the segment holding {@link #next} (or the first one after it), opens it and positions
   * the scanner at that record. False when there is nothing to read there yet.
   */
  private boolean locate() throws IOException {
    releaseSegment();
    for (int attempt = 0; attempt < 100; attempt++) {
      Map.Entry<Long, Segment> e = owner.segments.floorEntry(next);
      Segment s;
      if (e == null) {
        Map.Entry<Long, Segment> first = owner.segments.firstEntry();
        if (first == null) {
          return false;
        }
        s = first.getValue();
        skipped(s.base - next, "records deleted before this reader read them");
        next = s.base;
      } else {
        s = e.getValue();
      }
      while (s.sealed && next >= s.end) {
        Map.Entry<Long, Segment> h = owner.segments.higherEntry(s.base);
        if (h == null) {
          return false;
        }
        s = h.getValue();
        // A gap between segments holds no records (lost to damage, or positions skipped at recovery).
        next = Math.max(next, s.base);
      }
      FileChannel ch;
      try {
        ch = FileChannel.open(s.path, StandardOpenOption.READ);
      } catch (NoSuchFileException gone) {
        continue; // deleted meanwhile by retention: look again
      }
      RecordScanner sc = new RecordScanner(ch, READ_AHEAD_BYTES, LogFormat.SEGMENT_HEADER_BYTES, s.sizeBytes);
      channel = ch;
      scanner = sc;
      segment = s;
      for (long p = s.base; p < next; p++) {
        RecordScanner.Result r = sc.skip();
        if (r != RecordScanner.Result.RECORD) {
          damaged(s, sc.offset(), sc.problem());
          return true;
        }
      }
      return true;
    }
    return false;
  }

  private void damaged(Segment s, long fileOffset, String problem) {
    if (s.sealed) {
      long lost = Math.max(0, s.end - next);
      log.warn("Reader '{}' of durable log {}: {} in {} at byte {} (position {}); skipping {} records to the next "
          + "segment", state.name, owner.dir(), problem, s.path, fileOffset, next, lost);
      owner.metrics().corruptSkipped(state.name, lost);
      next = Math.max(next, s.end);
      releaseSegment();
    } else {
      log.warn("Reader '{}' of durable log {}: {} in the active segment {} at byte {} (position {}); the segment is "
          + "closed and the rest of it skipped", state.name, owner.dir(), problem, s.path, fileOffset, next);
      damagedActive = s;
      releaseSegment();
      owner.roll();
    }
  }

  private void skipped(long records, String why) {
    if (records <= 0) {
      return;
    }
    log.warn("Reader '{}' of durable log {}: skipping {} records at position {}: {}", state.name, owner.dir(),
        records, next, why);
    owner.metrics().corruptSkipped(state.name, records);
  }

  private void releaseSegment() {
    segment = null;
    scanner = null;
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing a segment channel", e);
      }
      channel = null;
    }
  }
}

package io.ccotel.gateway.core.durable;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only, crash-safe log of byte records on local disk: the gateway's durable intake. A
 * batch is appended (and, by the {@link FsyncPolicy}, on disk) before the client is told it was
 * accepted; each exporter reads the log through its own {@link LogReader} and commits what it has
 * delivered, so a crash redelivers at most what was read but not yet committed (at least once).
 *
 * <h2>Positions</h2>
 *
 * Every record gets a <b>position</b>: a 64-bit record sequence number, 0 for the first record of
 * a new log, +1 for each following one. Positions only grow, never repeat (not even after a crash
 * that lost a tail: see {@link RecoveryReport#skippedPositions}), and may have gaps (records lost
 * to corruption, positions skipped at recovery). A reader commits a position to say "everything up
 * to and including this one is done". {@link #nextPosition()} is the position the next append gets
 * and the exclusive end of what readers can see.
 *
 * <h2>Files</h2>
 *
 * A directory of segment files {@code <first position, 20 digits>.seg}, each a 16-byte header
 * (magic, version, first position) and records {@code [int length][int crc32c(payload)][payload]};
 * {@code cursors/<reader>} holds each reader's committed position; {@code lock} keeps a second
 * process out. See {@link LogFormat}.
 *
 * <h2>Writing: group commit</h2>
 *
 * One writer thread owns the active segment. {@link #append} / {@link #appendAsync} queue the
 * record; the writer takes everything queued at that moment (up to 4 MiB), writes it with one
 * write, fsyncs once (policy ALWAYS), then makes the records visible to readers and completes the
 * appenders' futures. Concurrent appenders thus share one fsync, and a slow disk raises latency,
 * not the number of fsyncs per record. A segment that would pass {@code segment_bytes} is closed
 * (fsynced unless NEVER) and a new one started.
 *
 * <h2>Space</h2>
 *
 * An append that would take the files past {@code max_bytes} fails at once with {@link
 * LogFullException} (retryable); nothing acknowledged is dropped to make room. A sealed segment is
 * deleted once every reader known to the log (open now, or with a cursor file from an earlier run)
 * has a <em>persisted</em> commit past its last record; with no reader at all nothing is deleted.
 * Remove the cursor of an exporter that is gone with {@link #removeReader}, or it holds the log
 * forever (the log then fills and refuses appends rather than lose that reader's data).
 *
 * <h2>Recovery</h2>
 *
 * {@link #open} checks every record of every segment (length, crc). A torn or corrupted tail of the
 * last segment is cut off at the last good record; damage inside an older segment is left on disk
 * and readers skip from the last good record to the next segment. Each case is logged at WARN
 * (file, offset, position, bytes) and listed in the {@link #recoveryReport()}; opening never fails
 * for damaged data (only for I/O errors, such as a directory that cannot be written or is locked
 * by another process).
 *
 * <h2>Threads</h2>
 *
 * Thread-safe. Appends may come from any number of threads. Futures of {@link #appendAsync} are
 * completed on the writer thread: keep their callbacks short (or use the {@code *Async} variants).
 * Uses two threads of its own: the writer and a housekeeper (cursor persistence and retention,
 * every {@code commit_interval}).
 */
public final class DurableLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DurableLog.class);

  /** Bytes queued for the writer beyond which appends are refused (memory bound). */
  static final long MAX_PENDING_BYTES = 64L << 20;
  private static final int MAX_GROUP_BYTES = 4 << 20;
  private static final int MAX_GROUP_OPS = 8192;
  private static final int WRITE_BUFFER_BYTES = 1 << 20;
  private static final int RECOVERY_BUFFER_BYTES = 1 << 20;

  private final DurableLogConfig config;
  private final Path dir;
  private final Path cursorsDir;
  private final DurableLogMetrics metrics;
  private final FileChannel lockChannel;
  private final FileLock fileLock;
  private final RecoveryReport recovery;

  final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final Map<String, ReaderState> readers = new ConcurrentHashMap<>();

  // Writer thread only (and the constructor, before the thread starts).
  private Segment active;
  private FileChannel activeChannel;
  private long writeOffset;
  private long nextPosition;
  private long unsyncedBytes;
  private long lastForceNanos = System.nanoTime();
  private final ByteBuffer writeBuf = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES);

  /** Exclusive end of the positions readers may read; what appenders have been told. */
  private volatile long visibleEnd;
  private final AtomicLong diskBytes = new AtomicLong();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  /** Read lock: putting an op in the queue. Write lock: closing (no op may follow the close op). */
  private final ReentrantReadWriteLock intakeLock = new ReentrantReadWriteLock();
  private final ReentrantLock dataLock = new ReentrantLock();
  private final Condition dataArrived = dataLock.newCondition();
  private final Object retentionLock = new Object();
  private final Thread writer;
  private final ScheduledExecutorService housekeeper;
  private final AtomicBoolean housekeepingQueued = new AtomicBoolean();
  private volatile boolean closing;
  private volatile boolean closed;
  private volatile boolean crashing;
  /** Set when a write or fsync failed in a way the writer cannot repair; appends are refused. */
  private volatile IOException failure;

  /**
   * Opens (or creates) the log in {@code config.dir()}, recovering what a crash left (see the
   * class comment). Metrics go nowhere.
   */
  public static DurableLog open(DurableLogConfig config) throws IOException {
    return open(config, null);
  }

  /**
   * Opens (or creates) the log, registering its metrics with {@code registry} (may be null).
   *
   * @throws IOException when the directory cannot be created, read or written, or is in use by
   *     another open log (in this or another process)
   */
  public static DurableLog open(DurableLogConfig config, MeterRegistry registry) throws IOException {
    return new DurableLog(config, registry);
  }

  private DurableLog(DurableLogConfig config, MeterRegistry registry) throws IOException {
    this.config = config;
    this.dir = config.dir();
    this.cursorsDir = dir.resolve("cursors");
    Files.createDirectories(cursorsDir);
    Path dirName = dir.toAbsolutePath().getFileName();
    this.metrics = new DurableLogMetrics(registry, dirName == null ? "log" : dirName.toString());
    this.lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IOException("durable log directory " + dir + " is in use by another open log");
    }
    this.fileLock = lock;
    try {
      loadCursors();
      this.recovery = recover();
    } catch (IOException | RuntimeException e) {
      closeQuietly();
      throw e;
    }
    metrics.logGauges(diskBytes::get, segments::size);
    this.writer = new Thread(this::runWriter, "durable-log-writer-" + dirName);
    this.writer.setDaemon(true);
    this.writer.start();
    ScheduledThreadPoolExecutor hk = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "durable-log-housekeeper-" + dirName);
      t.setDaemon(true);
      return t;
    });
    hk.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    long every = config.commitInterval().toNanos();
    hk.scheduleWithFixedDelay(this::housekeep, every, every, TimeUnit.NANOSECONDS);
    this.housekeeper = hk;
  }

  // ---------------------------------------------------------------- recovery

  private void loadCursors() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(cursorsDir)) {
      for (Path f : files) {
        String fileName = f.getFileName().toString();
        if (fileName.startsWith(".")) {
          // A temporary file of a cursor write that a crash interrupted: the cursor itself is intact.
          Files.deleteIfExists(f);
          continue;
        }
        String name = Cursors.readerName(fileName);
        if (name == null || !Files.isRegularFile(f)) {
          log.warn("Durable log {}: ignoring {} in the cursors directory (not a cursor file name)", dir, f);
          continue;
        }
        long next = Cursors.read(f);
        if (next == Cursors.INVALID) {
          log.warn("Durable log {}: cursor file {} is damaged; reader '{}' restarts at the oldest record "
              + "(records may be delivered again)", dir, f, name);
        }
        readers.put(name, new ReaderState(name, fileName, next));
      }
    }
  }

  private RecoveryReport recover() throws IOException {
    TreeSet<Long> bases = new TreeSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + LogFormat.SEGMENT_SUFFIX)) {
      for (Path f : files) {
        long base = LogFormat.parseSegmentBase(f.getFileName().toString());
        if (base < 0) {
          log.warn("Durable log {}: ignoring {} (not a segment file name)", dir, f);
        } else {
          bases.add(base);
        }
      }
    }
    List<RecoveryReport.Problem> problems = new ArrayList<>();
    long truncated = 0;
    Long lastBase = bases.isEmpty() ? null : bases.last();
    for (long base : bases) {
      boolean last = lastBase == base;
      Path path = dir.resolve(LogFormat.segmentFileName(base));
      Segment seg;
      try (FileChannel ch = last
          ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
          : FileChannel.open(path, StandardOpenOption.READ)) {
        long size = ch.size();
        ByteBuffer header = ByteBuffer.allocate(LogFormat.SEGMENT_HEADER_BYTES);
        LogFormat.readFully(ch, header, 0);
        header.flip();
        String bad = LogFormat.checkSegmentHeader(header, base);
        if (bad != null) {
          problems.add(problem(path, 0, base, size, last, bad));
          if (last) {
            // Torn when the segment was created (or not ours): start it again, empty.
            ch.truncate(0);
            LogFormat.writeFully(ch, LogFormat.segmentHeader(base), 0);
            ch.force(true);
            truncated += size;
            size = LogFormat.SEGMENT_HEADER_BYTES;
          }
          seg = new Segment(base, path, base, size, !last);
        } else {
          RecordScanner scanner = new RecordScanner(ch, RECOVERY_BUFFER_BYTES, LogFormat.SEGMENT_HEADER_BYTES, size);
          long count = 0;
          while (true) {
            RecordScanner.Result r = scanner.next(false);
            if (r == RecordScanner.Result.RECORD) {
              count++;
              continue;
            }
            if (r != RecordScanner.Result.END) {
              long at = scanner.offset();
              problems.add(problem(path, at, base + count, size - at, last, scanner.problem()));
              if (last) {
                ch.truncate(at);
                ch.force(true);
                truncated += size - at;
                size = at;
              }
            }
            break;
          }
          seg = new Segment(base, path, base + count, size, !last);
        }
      }
      segments.put(base, seg);
    }
    // Positions must only grow: a segment reaching into the next one's range is cut there.
    Segment prev = null;
    for (Segment s : segments.values()) {
      if (prev != null && prev.end > s.base) {
        problems.add(problem(prev.path, -1, s.base, 0, false,
            "records past position " + s.base + " overlap the next segment and are skipped"));
        prev.end = s.base;
      }
      prev = s;
    }

    long maxCommitted = 0;
    for (ReaderState st : readers.values()) {
      maxCommitted = Math.max(maxCommitted, st.committedNext.get());
    }
    long recoveredEnd = segments.isEmpty() ? 0 : segments.lastEntry().getValue().end;
    long skipped = 0;
    Segment last = segments.isEmpty() ? null : segments.lastEntry().getValue();
    if (maxCommitted > recoveredEnd) {
      // A reader committed positions the log no longer has (its tail was lost: fsync INTERVAL or
      // NEVER and a power failure, or damage). Never hand those positions out again, or that
      // reader would skip the new records; start a new segment after them.
      skipped = maxCommitted - recoveredEnd;
      if (last != null) {
        log.warn("Durable log {}: readers had committed up to position {} but the log ends at {}; "
            + "records appended before the crash were lost (fsync {}); new records start at {}",
            dir, maxCommitted - 1, recoveredEnd, config.fsync(), maxCommitted);
        if (last.end == last.base) {
          segments.remove(last.base);
          Files.deleteIfExists(last.path);
        } else {
          last.sealed = true;
        }
      }
      last = null;
    }
    for (Segment s : segments.values()) {
      diskBytes.addAndGet(s.sizeBytes);
    }
    if (last == null) {
      last = createSegment(Math.max(recoveredEnd, maxCommitted));
      segments.put(last.base, last);
    } else {
      activeChannel = FileChannel.open(last.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }
    active = last;
    writeOffset = last.sizeBytes;
    nextPosition = last.end;
    visibleEnd = nextPosition;

    long records = 0;
    for (Segment s : segments.values()) {
      records += s.end - s.base;
    }
    for (RecoveryReport.Problem p : problems) {
      log.warn("Durable log {}: {} in {} at byte {} (position {}); {} bytes {}", dir, p.reason(), p.file(),
          p.fileOffset(), p.position(), p.bytes(),
          p.truncated() ? "cut off the end" : "skipped, readers continue with the next segment");
    }
    metrics.recoveryProblems.increment(problems.size());
    metrics.recoveryTruncatedBytes.increment(truncated);
    RecoveryReport report = new RecoveryReport(segments.size(), records, segments.firstKey(), nextPosition,
        truncated, skipped, problems);
    log.info("Durable log {} opened: {} records in {} segments ({} bytes), positions {} to {}, fsync {}",
        dir, records, segments.size(), diskBytes.get(), report.firstPosition(), nextPosition, config.fsync());
    return report;
  }

  private static RecoveryReport.Problem problem(Path file, long offset, long position, long bytes, boolean truncated,
      String reason) {
    return new RecoveryReport.Problem(file, offset, position, bytes, truncated, reason);
  }

  /** Creates an empty segment file and makes it the writer's channel. */
  private Segment createSegment(long base) throws IOException {
    Path path = dir.resolve(LogFormat.segmentFileName(base));
    FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      LogFormat.writeFully(ch, LogFormat.segmentHeader(base), 0);
      if (config.fsync() != FsyncPolicy.NEVER) {
        // The file and its directory entry, or a power failure could lose records fsynced into it.
        force(ch);
        LogFormat.fsyncDirectory(dir);
      }
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    activeChannel = ch;
    diskBytes.addAndGet(LogFormat.SEGMENT_HEADER_BYTES);
    return new Segment(base, path, base, LogFormat.SEGMENT_HEADER_BYTES, false);
  }

  // ---------------------------------------------------------------- appending

  /**
   * Appends a record and returns its position once it is durable by the fsync policy (ALWAYS:
   * fsynced; INTERVAL and NEVER: written to the OS). Blocks the calling thread for that time; an
   * interrupt does not cut the wait short (the record may already be written), it is kept for the
   * caller.
   *
   * @param payload the record, 1 to {@link DurableLogConfig#maxPayloadBytes()} bytes; not copied,
   *     the caller must not change it until the call returns
   * @throws LogFullException no room now (retryable)
   * @throws IOException the log failed to write or is failed (retryable for the client; the log
   *     needs a restart, see {@link #isHealthy()})
   * @throws IllegalStateException the log is closed
   */
  public long append(byte[] payload) throws IOException {
    CompletableFuture<Long> f = appendAsync(payload);
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof LogFullException full) {
            throw new LogFullException(full.getMessage());
          }
          if (cause instanceof IOException io) {
            throw new IOException(io.getMessage(), io);
          }
          if (cause instanceof RuntimeException re) {
            throw re;
          }
          throw new IOException(cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Queues a record and returns at once; the future completes with the record's position when
   * {@link #append} would return, on the writer thread, or fails with {@link LogFullException}
   * (completed before this method returns), another {@link IOException} or an {@link
   * IllegalStateException} (closed). For callers that must not block, such as a Netty event loop:
   * answer the client from the future's callback. The payload is not copied: do not change it
   * until the future is done.
   *
   * @throws IllegalArgumentException for an empty payload or one larger than {@link
   *     DurableLogConfig#maxPayloadBytes()}
   */
  public CompletableFuture<Long> appendAsync(byte[] payload) {
    if (payload.length == 0) {
      // An empty record would read as valid in a zero-filled region of a file (crc32c of nothing is 0).
      throw new IllegalArgumentException("empty payload");
    }
    if (payload.length > config.maxPayloadBytes()) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes is larger than the largest record ("
          + config.maxPayloadBytes() + " bytes, from segment_bytes)");
    }
    // The checksum on the caller's thread: concurrent appenders compute theirs in parallel.
    int crc = LogFormat.crc32c(payload, 0, payload.length);
    Op op = new Op(Op.APPEND, payload, crc);
    long size = op.recordBytes();
    intakeLock.readLock().lock();
    try {
      if (closing) {
        return CompletableFuture.failedFuture(new IllegalStateException("durable log " + dir + " is closed"));
      }
      IOException failed = failure;
      if (failed != null) {
        return CompletableFuture.failedFuture(new IOException("durable log " + dir + " failed earlier and takes no "
            + "more records until restarted", failed));
      }
      long pending = pendingBytes.addAndGet(size);
      if (pending > MAX_PENDING_BYTES && pending != size) {
        pendingBytes.addAndGet(-size);
        metrics.refusedBacklog.increment();
        return CompletableFuture.failedFuture(new LogFullException(
            "durable log " + dir + ": more than " + MAX_PENDING_BYTES + " bytes wait to be written; retry later"));
      }
      // One segment header of slack: this record may start a new segment.
      if (diskBytes.get() + pending + LogFormat.SEGMENT_HEADER_BYTES > config.maxBytes()) {
        pendingBytes.addAndGet(-size);
        metrics.refusedFull.increment();
        requestHousekeeping();
        return CompletableFuture.failedFuture(new LogFullException("durable log " + dir + " is full ("
            + diskBytes.get() + " of " + config.maxBytes() + " bytes; readers have not committed enough yet)"));
      }
      queue.add(op);
    } finally {
      intakeLock.readLock().unlock();
    }
    return op.future;
  }

  /** Closes the active segment and starts a new one (if the active one has records). Tests, repair. */
  CompletableFuture<Long> roll() {
    Op op = new Op(Op.ROLL, null, 0);
    intakeLock.readLock().lock();
    try {
      if (closing) {
        return CompletableFuture.failedFuture(new IllegalStateException("durable log " + dir + " is closed"));
      }
      queue.add(op);
    } finally {
      intakeLock.readLock().unlock();
    }
    return op.future;
  }

  private void runWriter() {
    List<Op> group = new ArrayList<>();
    try {
      while (true) {
        Op first;
        try {
          first = queue.poll(writerWaitNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          continue;
        }
        if (first == null) {
          intervalFsync();
          continue;
        }
        group.add(first);
        long bytes = first.recordBytes();
        while (first.kind != Op.CLOSE && group.size() < MAX_GROUP_OPS && bytes < MAX_GROUP_BYTES) {
          Op o = queue.poll();
          if (o == null) {
            break;
          }
          group.add(o);
          bytes += o.recordBytes();
          if (o.kind == Op.CLOSE) {
            break;
          }
        }
        boolean stop = process(group);
        group.clear();
        if (stop) {
          return;
        }
        intervalFsync();
      }
    } catch (Throwable t) {
      failure = new IOException("durable log writer stopped unexpectedly", t);
      log.error("Durable log {}: the writer thread stopped; appends are refused until restart", dir, t);
      for (Op op : group) {
        op.fail(failure);
      }
    } finally {
      // Nothing can be queued after the close op, but a writer that died leaves ops behind.
      Op o;
      while ((o = queue.poll()) != null) {
        o.fail(failure != null ? failure : new IOException("durable log " + dir + " is closed"));
        if (o.kind == Op.APPEND) {
          pendingBytes.addAndGet(-o.recordBytes());
        }
      }
    }
  }

  private long writerWaitNanos() {
    if (config.fsync() == FsyncPolicy.INTERVAL && unsyncedBytes > 0) {
      return Math.max(0, lastForceNanos + config.fsyncInterval().toNanos() - System.nanoTime());
    }
    return TimeUnit.SECONDS.toNanos(1);
  }

  private void intervalFsync() {
    if (config.fsync() != FsyncPolicy.INTERVAL || unsyncedBytes == 0 || failure != null
        || System.nanoTime() - lastForceNanos < config.fsyncInterval().toNanos()) {
      return;
    }
    try {
      force(activeChannel);
    } catch (IOException e) {
      fail(e, "fsync");
    }
  }

  /** Writes one group; true when it held the close op (the writer then stops). */
  private boolean process(List<Op> group) {
    List<Op> appends = new ArrayList<>(group.size());
    List<Op> others = new ArrayList<>(2);
    Op closeOp = null;
    long startOffset = writeOffset;
    long startPosition = nextPosition;
    boolean rolled = false;
    boolean writing = true;
    try {
      for (Op op : group) {
        if (op.kind != Op.CLOSE && failure != null) {
          throw failure;
        }
        switch (op.kind) {
          case Op.APPEND -> {
            if (nextPosition > active.base
                && writeOffset + writeBuf.position() + op.recordBytes() > config.segmentBytes()) {
              writeStaged();
              rolled = true;
              rollSegment();
            }
            stage(op);
            appends.add(op);
          }
          case Op.ROLL -> {
            writeStaged();
            if (nextPosition > active.base) {
              rolled = true;
              rollSegment();
            }
            others.add(op);
          }
          default -> closeOp = op;
        }
      }
      writeStaged();
      writing = false;
      if (unsyncedBytes > 0 && (config.fsync() == FsyncPolicy.ALWAYS || closeOp != null)) {
        force(activeChannel);
      }
    } catch (IOException | RuntimeException e) {
      IOException io = e instanceof IOException x ? x : new IOException(e);
      if (e != failure) {
        if (writing && !rolled && repairAfterFailedWrite(startOffset, startPosition)) {
          log.warn("Durable log {}: a write failed; {} appends refused, the log continues", dir, appends.size(), e);
        } else {
          fail(io, writing ? "write" : "fsync");
        }
      }
      // Every op of the group, staged or not yet reached, gets its answer; the close op (always
      // last in a group) still closes.
      Op close = null;
      for (Op op : group) {
        if (op.kind == Op.CLOSE) {
          close = op;
        } else {
          if (op.kind == Op.APPEND) {
            pendingBytes.addAndGet(-op.recordBytes());
          }
          op.fail(io);
        }
      }
      if (close != null) {
        finishClose(close);
        return true;
      }
      return false;
    }
    // Visible to readers only now: after the fsync under ALWAYS, so nobody reads what a power
    // failure could still take back.
    active.sizeBytes = writeOffset;
    active.end = nextPosition;
    publish(nextPosition);
    if (!appends.isEmpty()) {
      long bytes = 0;
      for (Op op : appends) {
        bytes += op.recordBytes();
      }
      metrics.appendedRecords.increment(appends.size());
      metrics.appendedBytes.increment(bytes);
      metrics.groupRecords.record(appends.size());
      pendingBytes.addAndGet(-bytes);
    }
    for (Op op : appends) {
      op.future.complete(op.position);
    }
    for (Op op : others) {
      op.future.complete(nextPosition);
    }
    if (closeOp != null) {
      finishClose(closeOp);
      return true;
    }
    return false;
  }

  private void stage(Op op) throws IOException {
    int len = op.payload.length;
    int rec = op.recordBytes();
    if (writeBuf.remaining() < rec) {
      writeStaged();
    }
    if (rec > writeBuf.capacity()) {
      ByteBuffer header = ByteBuffer.allocate(LogFormat.RECORD_HEADER_BYTES);
      header.putInt(len).putInt(op.crc).flip();
      LogFormat.writeFully(activeChannel, header, writeOffset);
      LogFormat.writeFully(activeChannel, ByteBuffer.wrap(op.payload), writeOffset + LogFormat.RECORD_HEADER_BYTES);
      advance(rec);
    } else {
      writeBuf.putInt(len).putInt(op.crc).put(op.payload);
    }
    op.position = nextPosition++;
  }

  private void writeStaged() throws IOException {
    if (writeBuf.position() == 0) {
      return;
    }
    writeBuf.flip();
    int n = writeBuf.remaining();
    try {
      LogFormat.writeFully(activeChannel, writeBuf, writeOffset);
    } finally {
      writeBuf.clear();
    }
    advance(n);
  }

  private void advance(int bytes) {
    writeOffset += bytes;
    unsyncedBytes += bytes;
    diskBytes.addAndGet(bytes);
  }

  private void rollSegment() throws IOException {
    Segment old = active;
    old.sizeBytes = writeOffset;
    old.end = nextPosition;
    if (config.fsync() != FsyncPolicy.NEVER && unsyncedBytes > 0) {
      force(activeChannel);
    }
    activeChannel.close();
    activeChannel = null;
    Segment seg = createSegment(nextPosition);
    // In the map before the old one is sealed: a reader at the end of a sealed segment finds the next.
    segments.put(seg.base, seg);
    old.sealed = true;
    active = seg;
    writeOffset = seg.sizeBytes;
    unsyncedBytes = 0;
  }

  private void force(FileChannel ch) throws IOException {
    long t0 = System.nanoTime();
    ch.force(false);
    long t1 = System.nanoTime();
    metrics.recordFsync(t1 - t0);
    lastForceNanos = t1;
    unsyncedBytes = 0;
  }

  /** After a failed write within one segment: cut the partial bytes off and go on. */
  private boolean repairAfterFailedWrite(long startOffset, long startPosition) {
    try {
      activeChannel.truncate(startOffset);
      diskBytes.addAndGet(startOffset - writeOffset);
      writeOffset = startOffset;
      nextPosition = startPosition;
      writeBuf.clear();
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private void fail(IOException e, String what) {
    if (failure == null) {
      failure = e;
      log.error("Durable log {}: {} failed; appends are refused until the gateway is restarted (what was "
          + "acknowledged is safe and recovered at the next start)", dir, what, e);
    }
  }

  private void finishClose(Op closeOp) {
    try {
      if (activeChannel != null) {
        if (failure == null && unsyncedBytes > 0 && !crashing) {
          force(activeChannel);
        }
        activeChannel.close();
      }
    } catch (IOException e) {
      log.warn("Durable log {}: final fsync failed", dir, e);
    }
    closeOp.future.complete(nextPosition);
  }

  private void publish(long end) {
    visibleEnd = end;
    dataLock.lock();
    try {
      dataArrived.signalAll();
    } finally {
      dataLock.unlock();
    }
  }

  // ---------------------------------------------------------------- readers

  /**
   * The reader of this name (an exporter id), resuming after its committed position; a reader new
   * to this log starts at the oldest retained record. See {@link #reader(String, boolean)}.
   */
  public LogReader reader(String name) throws IOException {
    return reader(name, false);
  }

  /**
   * Opens the reader of this name. A reader with a cursor file resumes after its committed position
   * (or at the oldest retained record if that is gone); a new one starts at the oldest retained
   * record, or, with {@code startAtEnd}, at {@link #nextPosition()} (only records appended from now
   * on). A new reader's start is written to its cursor file at once, so it holds retention from
   * now on and resumes there after a crash.
   *
   * @throws IllegalStateException if a reader of this name is open, or the log is closed
   * @throws IllegalArgumentException for an empty name
   */
  public LogReader reader(String name, boolean startAtEnd) throws IOException {
    if (name.isEmpty()) {
      throw new IllegalArgumentException("reader name is empty");
    }
    checkOpen();
    synchronized (retentionLock) {
      ReaderState st = readers.get(name);
      if (st == null) {
        long start = startAtEnd ? visibleEnd : firstPosition();
        st = new ReaderState(name, Cursors.fileName(name), start);
        Cursors.write(cursorsDir, st.fileName, start);
        st.persistedNext = start;
        readers.put(name, st);
      } else if (st.open != null) {
        throw new IllegalStateException("reader '" + name + "' is already open");
      }
      long start = st.committedNext.get();
      if (start == Cursors.INVALID) {
        start = firstPosition();
        st.committedNext.set(start);
      }
      LogReader r = new LogReader(this, st, start);
      st.open = r;
      if (!st.gaugeRegistered) {
        ReaderState state = st;
        metrics.readerGauge(name, () -> Math.max(0, visibleEnd - state.committedNext.get()));
        st.gaugeRegistered = true;
      }
      return r;
    }
  }

  /** Names of the readers this log knows: open now or with a cursor file. */
  public Set<String> readerNames() {
    return Collections.unmodifiableSet(new TreeSet<>(readers.keySet()));
  }

  /**
   * Forgets a reader that is not open: deletes its cursor so that it no longer holds retention.
   * For an exporter removed from the configuration. No-op for an unknown name.
   *
   * @throws IllegalStateException if the reader is open
   */
  public void removeReader(String name) throws IOException {
    synchronized (retentionLock) {
      ReaderState st = readers.get(name);
      if (st == null) {
        return;
      }
      if (st.open != null) {
        throw new IllegalStateException("reader '" + name + "' is open");
      }
      synchronized (st.persistLock) {
        readers.remove(name);
        Files.deleteIfExists(cursorsDir.resolve(st.fileName));
        LogFormat.fsyncDirectory(cursorsDir);
      }
    }
    requestHousekeeping();
  }

  void readerClosed(ReaderState st) {
    if (closed) {
      st.open = null;
      return; // close() wrote every cursor
    }
    try {
      persist(st);
    } catch (IOException e) {
      log.warn("Durable log {}: could not write the cursor of reader '{}' (records after its last written "
          + "commit will be delivered again)", dir, st.name, e);
    }
    st.open = null;
  }

  /** Writes the reader's committed position to its cursor file if it changed. */
  void persist(ReaderState st) throws IOException {
    synchronized (st.persistLock) {
      long next = st.committedNext.get();
      if (next == st.persistedNext || next == Cursors.INVALID || readers.get(st.name) != st) {
        return;
      }
      Cursors.write(cursorsDir, st.fileName, next);
      st.persistedNext = next;
    }
  }

  private void persistCursors() {
    for (ReaderState st : readers.values()) {
      try {
        persist(st);
      } catch (IOException e) {
        log.warn("Durable log {}: could not write the cursor of reader '{}'", dir, st.name, e);
      }
    }
  }

  /**
   * Waits until {@code ready} holds for {@link #visibleEnd} or the log closes, at most {@code nanos}.
   * Returns the nanos left.
   */
  long awaitData(LongPredicate ready, long nanos) throws InterruptedException {
    dataLock.lock();
    try {
      while (!closed && !ready.test(visibleEnd) && nanos > 0) {
        nanos = dataArrived.awaitNanos(nanos);
      }
      return nanos;
    } finally {
      dataLock.unlock();
    }
  }

  long visibleEnd() {
    return visibleEnd;
  }

  DurableLogMetrics metrics() {
    return metrics;
  }

  Path dir() {
    return dir;
  }

  boolean isClosed() {
    return closed;
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes every sealed segment all of whose records are before {@code position}, whatever the
   * readers committed (a reader behind it skips ahead, with a WARN). The active segment is never
   * deleted. Returns the number of segments deleted.
   */
  public int truncateBefore(long position) throws IOException {
    checkOpen();
    synchronized (retentionLock) {
      return deleteSegmentsWhile(end -> end <= position);
    }
  }

  /**
   * Deletes the sealed segments that every known reader has committed (persisted) past. Runs every
   * {@code commit_interval} and after {@link LogReader#commitSync}; returns the segments deleted.
   */
  int deleteCommittedSegments() throws IOException {
    synchronized (retentionLock) {
      if (readers.isEmpty()) {
        return 0;
      }
      long min = Long.MAX_VALUE;
      for (ReaderState st : readers.values()) {
        long p = st.persistedNext;
        min = Math.min(min, p == Cursors.INVALID ? 0 : p);
      }
      long upTo = min;
      return deleteSegmentsWhile(end -> end <= upTo);
    }
  }

  private int deleteSegmentsWhile(LongPredicate endOk) throws IOException {
    int deleted = 0;
    for (Segment s : segments.values()) {
      if (!s.sealed || !endOk.test(s.end)) {
        break;
      }
      segments.remove(s.base);
      s.deleted = true;
      try {
        Files.deleteIfExists(s.path);
      } finally {
        diskBytes.addAndGet(-s.sizeBytes);
      }
      deleted++;
      log.debug("Durable log {}: deleted {}", dir, s);
    }
    return deleted;
  }

  private void housekeep() {
    housekeepingQueued.set(false);
    try {
      persistCursors();
      deleteCommittedSegments();
    } catch (IOException | RuntimeException e) {
      log.warn("Durable log {}: housekeeping (cursors, retention) failed; retrying later", dir, e);
    }
  }

  private void requestHousekeeping() {
    if (!closing && housekeepingQueued.compareAndSet(false, true)) {
      try {
        housekeeper.execute(this::housekeep);
      } catch (RuntimeException e) {
        housekeepingQueued.set(false);
      }
    }
  }

  // ---------------------------------------------------------------- state

  /** Position of the oldest retained record (approximately: the first position of the oldest segment). */
  public long firstPosition() {
    Map.Entry<Long, Segment> e = segments.firstEntry();
    return e == null ? visibleEnd : e.getKey();
  }

  /** The position the next append gets; readers see every record before it. */
  public long nextPosition() {
    return visibleEnd;
  }

  /** Bytes of the segment files. */
  public long sizeBytes() {
    return diskBytes.get();
  }

  public int segmentCount() {
    return segments.size();
  }

  public RecoveryReport recoveryReport() {
    return recovery;
  }

  public DurableLogConfig config() {
    return config;
  }

  /** False after a write or fsync failed in a way that needs a restart (appends are refused). */
  public boolean isHealthy() {
    return failure == null && !closed;
  }

  private void checkOpen() {
    if (closing) {
      throw new IllegalStateException("durable log " + dir + " is closed");
    }
  }

  /**
   * Writes and fsyncs what is queued, writes every reader's cursor, releases the directory. Appends
   * after (or racing with) close fail with IllegalStateException; open readers' polls then throw
   * IllegalStateException. Safe to call twice; an interrupt does not cut it short.
   */
  @Override
  public void close() {
    boolean interrupted = Thread.interrupted();
    try {
      Op closeOp = new Op(Op.CLOSE, null, 0);
      intakeLock.writeLock().lock();
      try {
        if (closing) {
          return;
        }
        closing = true;
        queue.add(closeOp);
      } finally {
        intakeLock.writeLock().unlock();
      }
      while (writer.isAlive() && !closeOp.future.isDone()) {
        try {
          closeOp.future.get(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException | TimeoutException e) {
          // Keep waiting while the writer lives; it fails the op if it dies.
        }
      }
      housekeeper.shutdown();
      try {
        housekeeper.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      persistCursors();
      closed = true;
      publish(visibleEnd);
      closeQuietly();
      metrics.remove();
      log.info("Durable log {} closed at position {}", dir, visibleEnd);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void closeQuietly() {
    try {
      if (activeChannel != null && activeChannel.isOpen() && (writer == null || !writer.isAlive())) {
        activeChannel.close();
      }
    } catch (IOException e) {
      log.debug("closing the active segment", e);
    }
    try {
      fileLock.release();
    } catch (IOException e) {
      log.debug("releasing the directory lock", e);
    }
    try {
      lockChannel.close();
    } catch (IOException e) {
      log.debug("closing the lock file", e);
    }
  }

  /** Stops the threads and drops the files without any flush or cursor write: kill -9, for tests. */
  void crashForTest() {
    intakeLock.writeLock().lock();
    try {
      closing = true;
    } finally {
      intakeLock.writeLock().unlock();
    }
    crashing = true;
    housekeeper.shutdownNow();
    Op stop = new Op(Op.CLOSE, null, 0);
    queue.add(stop);
    try {
      writer.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closed = true;
    publish(visibleEnd);
    closeQuietly();
    metrics.remove();
  }

  /** What the log keeps per reader name, open or not. */
  static final class ReaderState {
    final String name;
    final String fileName;
    /** Next position after the last commit ({@link Cursors#INVALID} if its file was damaged). */
    final AtomicLong committedNext;
    volatile long persistedNext;
    volatile LogReader open;
    boolean gaugeRegistered;
    final Object persistLock = new Object();

    ReaderState(String name, String fileName, long next) {
      this.name = name;
      this.fileName = fileName;
      this.committedNext = new AtomicLong(next);
      this.persistedNext = next;
    }
  }

  /** An append, a roll or the close, queued for the writer. */
  static final class Op {
    static final int APPEND = 0;
    static final int ROLL = 1;
    static final int CLOSE = 2;

    final int kind;
    final byte[] payload;
    final int crc;
    final CompletableFuture<Long> future = new CompletableFuture<>();
    long position;

    Op(int kind, byte[] payload, int crc) {
      this.kind = kind;
      this.payload = payload;
      this.crc = crc;
    }

    int recordBytes() {
      return payload == null ? 0 : LogFormat.RECORD_HEADER_BYTES + payload.length;
    }

    void fail(Throwable t) {
      future.completeExceptionally(t);
    }
  }
}

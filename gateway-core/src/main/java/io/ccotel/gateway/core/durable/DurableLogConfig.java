package io.ccotel.gateway.core.durable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link DurableLog}; checked when built, so a bad value fails at start-up.
 *
 * <p>YAML keys (suggested): {@code dir}, {@code max_bytes}, {@code segment_bytes}, {@code fsync}
 * ({@code always | interval | never}), {@code fsync_interval}, {@code commit_interval}.
 *
 * @param dir the log's directory (created if missing); one log per directory, locked while open
 * @param maxBytes upper bound of the segment files' total size; an append that would pass it fails
 *     with {@link LogFullException}. At least twice {@code segmentBytes}, since space is freed a
 *     whole segment at a time. 0 = 1 GiB.
 * @param segmentBytes size at which the active segment file is closed and a new one started; also
 *     the largest record (minus 24 bytes of headers). 0 = 64 MiB; at least 1 KiB, at most 1 GiB.
 * @param fsync when to fsync; null = {@link FsyncPolicy#ALWAYS} (see {@link FsyncPolicy} for what
 *     each one survives)
 * @param fsyncInterval for {@link FsyncPolicy#INTERVAL}: the longest time written data stays
 *     unsynced; null = 200 ms
 * @param commitInterval how often readers' commits are written to their cursor files (and
 *     fully-committed segments deleted); null = 1 s. A crash redelivers what was committed after
 *     the last write (at least once). {@link LogReader#commitSync} writes at once.
 */
public record DurableLogConfig(
    Path dir,
    long maxBytes,
    long segmentBytes,
    FsyncPolicy fsync,
    Duration fsyncInterval,
    Duration commitInterval) {
  public static final long DEFAULT_MAX_BYTES = 1L << 30;
  public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
  public static final long MIN_SEGMENT_BYTES = 1024;
  public static final long MAX_SEGMENT_BYTES = 1L << 30;
  public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(200);
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);

  public DurableLogConfig {
    Objects.requireNonNull(dir, "dir");
    maxBytes = maxBytes == 0 ? DEFAULT_MAX_BYTES : maxBytes;
    segmentBytes = segmentBytes == 0 ? DEFAULT_SEGMENT_BYTES : segmentBytes;
    fsync = fsync == null ? FsyncPolicy.ALWAYS : fsync;
    fsyncInterval = fsyncInterval == null ? DEFAULT_FSYNC_INTERVAL : fsyncInterval;
    commitInterval = commitInterval == null ? DEFAULT_COMMIT_INTERVAL : commitInterval;
    if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
      throw new IllegalArgumentException(
          "segment_bytes must be between " + MIN_SEGMENT_BYTES + " and " + MAX_SEGMENT_BYTES + ", was " + segmentBytes);
    }
    if (maxBytes < 2 * segmentBytes) {
      throw new IllegalArgumentException("max_bytes (" + maxBytes + ") must be at least twice segment_bytes ("
          + segmentBytes + "): space is freed a whole segment at a time");
    }
    if (fsyncInterval.isNegative() || fsyncInterval.isZero()) {
      throw new IllegalArgumentException("fsync_interval must be positive, was " + fsyncInterval);
    }
    if (commitInterval.isNegative() || commitInterval.isZero()) {
      throw new IllegalArgumentException("commit_interval must be positive, was " + commitInterval);
    }
  }

  /** Defaults everywhere: 1 GiB, 64 MiB segments, fsync ALWAYS. */
  public static DurableLogConfig defaults(Path dir) {
    return new DurableLogConfig(dir, 0, 0, null, null, null);
  }

  public DurableLogConfig withMaxBytes(long value) {
    return new DurableLogConfig(dir, value, segmentBytes, fsync, fsyncInterval, commitInterval);
  }

  public DurableLogConfig withSegmentBytes(long value) {
    return new DurableLogConfig(dir, maxBytes, value, fsync, fsyncInterval, commitInterval);
  }

  public DurableLogConfig withFsync(FsyncPolicy value) {
    return new DurableLogConfig(dir, maxBytes, segmentBytes, value, fsyncInterval, commitInterval);
  }

  public DurableLogConfig withFsyncInterval(Duration value) {
    return new DurableLogConfig(dir, maxBytes, segmentBytes, fsync, value, commitInterval);
  }

  public DurableLogConfig withCommitInterval(Duration value) {
    return new DurableLogConfig(dir, maxBytes, segmentBytes, fsync, fsyncInterval, value);
  }

  /** The largest payload {@link DurableLog#append} takes: a record must fit in an empty segment. */
  public int maxPayloadBytes() {
    return (int) (segmentBytes - LogFormat.SEGMENT_HEADER_BYTES - LogFormat.RECORD_HEADER_BYTES);
  }
}

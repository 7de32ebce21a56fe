package io.ccotel.gateway.core.durable;

import java.nio.file.Path;

/**
 * What the log knows of one segment file. The file itself is opened by whoever reads it (each
 * reader has its own channel) and, for the active segment, by the writer thread.
 *
 * <p>Positions {@code [base, end)} are readable in it. {@code end} and {@code sizeBytes} only grow,
 * and only by the writer thread, after the bytes are written; {@code sealed} is set once, after
 * the next segment is in the log's map.
 */
final class Segment {
  final long base;
  final Path path;
  /** Exclusive end of the readable positions. */
  volatile long end;
  /** Bytes of the file: fully written ones (active segment) or the whole file (sealed). */
  volatile long sizeBytes;
  volatile boolean sealed;
  volatile boolean deleted;

  Segment(long base, Path path, long end, long sizeBytes, boolean sealed) {
    this.base = base;
    this.path = path;
    this.end = end;
    this.sizeBytes = sizeBytes;
    this.sealed = sealed;
  }

  @Override
  public String toString() {
    return path.getFileName() + "[" + base + ", " + end + ")" + (sealed ? " sealed" : " active");
  }
}

package io.ccotel.gateway.core.durable;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link DurableLog#open} found on disk. Every problem is also logged at WARN when found.
 *
 * @param segments segment files found (and kept)
 * @param records valid records recovered in them
 * @param firstPosition position of the oldest retained record (or where the next one goes)
 * @param nextPosition position the next append gets
 * @param truncatedBytes bytes cut off the end of the last segment (torn or corrupted tail)
 * @param skippedPositions positions left unused because a reader's cursor was ahead of the
 *     recovered end (the tail was lost: possible after power failure with fsync INTERVAL/NEVER):
 *     new records never reuse a position a reader has already committed
 * @param problems each torn tail, corrupted record and bad header, in file order
 */
public record RecoveryReport(
    int segments,
    long records,
    long firstPosition,
    long nextPosition,
    long truncatedBytes,
    long skippedPositions,
    List<Problem> problems) {
  public RecoveryReport {
    problems = List.copyOf(problems);
  }

  /** True when nothing had to be repaired or skipped. */
  public boolean clean() {
    return problems.isEmpty() && truncatedBytes == 0 && skippedPositions == 0;
  }

  /**
   * One damaged place.
   *
   * @param file the segment file
   * @param fileOffset byte offset in the file where the damage starts
   * @param position the log position the damaged record would have had
   * @param bytes bytes from there to the end of the file (dropped from the tail, or unreadable in
   *     an older segment)
   * @param truncated true when the bytes were cut off (last segment), false when they were left in
   *     place and readers skip to the next segment (older segment)
   * @param reason what was wrong
   */
  public record Problem(Path file, long fileOffset, long position, long bytes, boolean truncated, String reason) {}
}

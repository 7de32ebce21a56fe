package io.ccotel.gateway.core.pipeline;

/**
 * How an inline exporter with saved state (Prometheus) checkpoints against the durable log, so that
 * after a crash its state is restored and the log replayed into it exactly once.
 *
 * <p>The exporter takes its snapshot inside {@link #atConsistentPoint}: while the snapshot runs no
 * batch is being appended or applied, so the snapshot holds every record up to the returned
 * position and none after it. Once the snapshot is durable (written and fsynced), the exporter
 * calls {@link #checkpointed} with that position and the log may drop those records.
 */
public interface CheckpointBarrier {
  /**
   * Runs {@code snapshot} with intake paused; returns the last log position the snapshot contains
   * (-1 when the log holds nothing yet). Keep the snapshot short: it pauses every receiver.
   */
  long atConsistentPoint(Runnable snapshot);

  /** The checkpoint holding everything up to {@code position} is durable. */
  void checkpointed(long position);
}

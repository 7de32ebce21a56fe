package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.Set;

/**
 * A destination for telemetry. The pipeline puts each exporter behind its own bounded queue
 * ({@link QueuedExporter}) and calls {@link #export} from that queue's single worker thread, so an
 * implementation needs no locking against itself, and a slow one delays nobody else.
 *
 * <p>{@code export} may block (network I/O) and may throw; a thrown exception is logged and
 * counted by the queue, and the batch is then dropped by it: an exporter that wants retries
 * (Loki) does them inside {@code export}.
 */
public interface Exporter extends Lifecycle {
  /** The configured id, e.g. {@code prometheus} or {@code console/json}. */
  String id();

  /** The signals this exporter can take; a pipeline naming it for another signal is a config error. */
  Set<Signal> supportedSignals();

  void export(TelemetryBatch batch) throws Exception;

  /**
   * Delivers what {@link #export} has accepted but still holds (an exporter that batches, such as
   * Loki) and waits until it is delivered or given up by the exporter's own policy: true then,
   * false when the timeout passed first. The durable log commits an exporter's position only after
   * a successful flush, so a crash never loses what was batched. Default: export() delivers before
   * it returns, nothing to do.
   */
  default boolean flush(Duration timeout) throws InterruptedException {
    return true;
  }

  /**
   * True for an exporter that applies a batch in memory, quickly and without blocking (the
   * Prometheus exporter updates its counters). The fanout then calls {@link #apply} on the
   * receiving thread instead of queueing the batch: once the client is answered the batch is
   * applied, and the answer can say which items the exporter refused (partial success). Such an
   * exporter must be thread-safe.
   */
  default boolean inline() {
    return false;
  }

  /**
   * Applies a batch at once (inline exporters only). Returns OK, or PARTIAL with the count and the
   * reason of the items it refused; never RETRYABLE (an inline exporter has no backlog to wait for).
   */
  default ConsumeResult apply(TelemetryBatch batch) {
    throw new UnsupportedOperationException("exporter " + id() + " is not inline");
  }

  /** {@link #restoredPosition} of an exporter that keeps no state across restarts. */
  long NO_STATE = Long.MIN_VALUE;

  /**
   * Durable mode, inline exporters only: called before {@link #start} with the barrier that the
   * exporter's checkpoints must go through. An exporter that saves state keeps it and returns
   * true; the default (no saved state) returns false.
   */
  default boolean bindCheckpoints(CheckpointBarrier barrier) {
    return false;
  }

  /**
   * Durable mode, after {@link #start}: the last log position that the state restored at start
   * already contains (-1: none, the retained log is replayed into it), or {@link #NO_STATE}.
   */
  default long restoredPosition() {
    return NO_STATE;
  }
}

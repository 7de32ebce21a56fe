package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.model.TelemetryBatch;

/**
 * The next stage of the pipeline: a processor, the fanout, or an exporter queue.
 *
 * <p>Contract: {@code consume} returns quickly (it never waits on an exporter's network call), is
 * safe to call from many receiver threads at once, and never throws for bad telemetry: it answers
 * with a {@link ConsumeResult}. After the call the batch belongs to the pipeline; the caller must
 * not change it (batches are immutable anyway).
 */
@FunctionalInterface
public interface BatchConsumer {
  ConsumeResult consume(TelemetryBatch batch);

  /** A consumer that accepts and drops everything (a pipeline with no exporters). */
  static BatchConsumer noop() {
    return batch -> ConsumeResult.ok();
  }
}

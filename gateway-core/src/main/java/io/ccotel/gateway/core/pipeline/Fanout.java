package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.List;

/**
 * Hands each batch to several exporter queues, all or nothing: room is reserved in every queue
 * before the batch goes into any of them. When one queue is full the client gets a retryable
 * answer and no exporter has the batch, so the retry is not counted twice anywhere.
 *
 * <p>No copy: batches are immutable, exporters share them. Built by the {@link PipelineAssembler},
 * never by an exporter. Thread-safe.
 */
public final class Fanout implements BatchConsumer {
  private final List<QueuedExporter> queues;
  private final GatewayMetrics metrics;
  private final Duration retryAfter;

  public Fanout(List<QueuedExporter> queues, GatewayMetrics metrics, Duration retryAfter) {
    this.queues = List.copyOf(queues);
    this.metrics = metrics;
    this.retryAfter = retryAfter;
  }

  public List<QueuedExporter> queues() {
    return queues;
  }

  @Override
  public ConsumeResult consume(TelemetryBatch batch) {
    int items = batch.itemCount();
    if (items == 0) {
      return ConsumeResult.ok();
    }
    int reserved = 0;
    for (; reserved < queues.size(); reserved++) {
      if (!queues.get(reserved).tryReserve(items)) {
        break;
      }
    }
    if (reserved < queues.size()) {
      QueuedExporter full = queues.get(reserved);
      for (int i = 0; i < reserved; i++) {
        queues.get(i).release(items);
      }
      metrics.refusedQueueFull(full.id(), batch.signal(), items);
      return ConsumeResult.retryable(
          "exporter '" + full.id() + "' cannot take more now (queue full or shutting down); retry later", retryAfter);
    }
    for (QueuedExporter q : queues) {
      q.enqueueReserved(batch);
    }
    return ConsumeResult.ok();
  }
}

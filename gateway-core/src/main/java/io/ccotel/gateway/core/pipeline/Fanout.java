package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each batch to several exporter queues, all or nothing: room is reserved in every queue
 * before the batch goes into any of them. When one queue is full the client gets a retryable
 * answer and no exporter has the batch, so the retry is not counted twice anywhere.
 *
 * <p>No copy: batches are immutable, exporters share them. Built by the {@link PipelineAssembler},
 * never by an exporter. Thread-safe.
 */
public final class Fanout implements BatchConsumer {
  private static final Logger log = LoggerFactory.getLogger(Fanout.class);

  private final List<Exporter> inline;
  private final List<QueuedExporter> queues;
  private final GatewayMetrics metrics;
  private final Duration retryAfter;

  public Fanout(List<QueuedExporter> queues, GatewayMetrics metrics, Duration retryAfter) {
    this(List.of(), queues, metrics, retryAfter);
  }

  /**
   * @param inline exporters applied on the calling thread (see {@link Exporter#inline}); their
   *     refusals become the partial-success part of the answer
   * @param queues exporters behind their own queues
   */
  public Fanout(List<Exporter> inline, List<QueuedExporter> queues, GatewayMetrics metrics, Duration retryAfter) {
    this.inline = List.copyOf(inline);
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
    // Inline exporters after every queue has room: a batch refused for a full queue must not have
    // been applied anywhere, or the client's retry would count twice.
    ConsumeResult result = ConsumeResult.ok();
    for (Exporter e : inline) {
      ConsumeResult r;
      try {
        r = e.apply(batch);
      } catch (RuntimeException ex) {
        metrics.exportFailed(e.id(), batch.signal(), items);
        log.warn("Exporter {} failed to apply a batch of {} {}", e.id(), items, batch.signal().itemName(), ex);
        continue;
      }
      metrics.exported(e.id(), batch.signal(), items - r.rejectedItems());
      if (r.outcome() == ConsumeResult.Outcome.PARTIAL) {
        result = result.plusRejected(r.rejectedItems(), r.message());
      }
    }
    for (QueuedExporter q : queues) {
      q.enqueueReserved(batch);
    }
    return result;
  }
}

package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/** Records every batch and answers what the test says (OK by default). Thread-safe. */
final class RecordingConsumer implements BatchConsumer {
  private final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
  private volatile Function<TelemetryBatch, ConsumeResult> answer = b -> ConsumeResult.ok();

  void answer(Function<TelemetryBatch, ConsumeResult> newAnswer) {
    this.answer = newAnswer;
  }

  void answer(ConsumeResult result) {
    this.answer = b -> result;
  }

  @Override
  public ConsumeResult consume(TelemetryBatch batch) {
    batches.add(batch);
    return answer.apply(batch);
  }

  List<TelemetryBatch> batches() {
    return List.copyOf(batches);
  }

  TelemetryBatch last() {
    return batches.get(batches.size() - 1);
  }

  List<MetricsBatch> metrics() {
    return batches.stream().filter(MetricsBatch.class::isInstance).map(MetricsBatch.class::cast).toList();
  }

  List<LogsBatch> logs() {
    return batches.stream().filter(LogsBatch.class::isInstance).map(LogsBatch.class::cast).toList();
  }

  List<TracesBatch> traces() {
    return batches.stream().filter(TracesBatch.class::isInstance).map(TracesBatch.class::cast).toList();
  }
}

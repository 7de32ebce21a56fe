package io.ccotel.gateway.core.otlp;

import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import com.google.protobuf.Message;

/**
 * The OTLP success responses: empty on full success, with {@code partial_success} (rejected count
 * and message) when part of the request was refused. Shared by both receivers.
 */
public final class OtlpResponses {
  private OtlpResponses() {}

  public static Message success(Signal signal, ConsumeResult result) {
    boolean partial = result.outcome() == ConsumeResult.Outcome.PARTIAL;
    return switch (signal) {
      case METRICS -> partial
          ? ExportMetricsServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportMetricsPartialSuccess.newBuilder()
                      .setRejectedDataPoints(result.rejectedItems())
                      .setErrorMessage(result.message()))
              .build()
          : ExportMetricsServiceResponse.getDefaultInstance();
      case LOGS -> partial
          ? ExportLogsServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportLogsPartialSuccess.newBuilder()
                      .setRejectedLogRecords(result.rejectedItems())
                      .setErrorMessage(result.message()))
              .build()
          : ExportLogsServiceResponse.getDefaultInstance();
      case TRACES -> partial
          ? ExportTraceServiceResponse.newBuilder()
              .setPartialSuccess(
                  ExportTracePartialSuccess.newBuilder()
                      .setRejectedSpans(result.rejectedItems())
                      .setErrorMessage(result.message()))
              .build()
          : ExportTraceServiceResponse.getDefaultInstance();
    };
  }
}

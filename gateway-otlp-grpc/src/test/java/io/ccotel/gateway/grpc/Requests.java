package io.ccotel.gateway.grpc;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;

/** Small OTLP requests for the answer tests. */
final class Requests {
  private Requests() {}

  /** {@code n} log records, each with a string body of {@code bodyChars} characters. */
  static ExportLogsServiceRequest logs(int n, int bodyChars) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    for (int i = 0; i < n; i++) {
      scope.addLogRecords(
          LogRecord.newBuilder()
              .setTimeUnixNano(1_795_610_587_903_000_000L + i)
              .setBody(AnyValue.newBuilder().setStringValue("x".repeat(bodyChars)))
              .addAttributes(kv("event.name", "api_request")));
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(scope))
        .build();
  }

  /** One delta sum {@code claude_code.token.usage} with {@code n} points. */
  static ExportMetricsServiceRequest tokens(int n) {
    Sum.Builder sum =
        Sum.newBuilder()
            .setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
    for (int i = 0; i < n; i++) {
      sum.addDataPoints(
          NumberDataPoint.newBuilder()
              .setStartTimeUnixNano(1_795_610_587_749_000_000L)
              .setTimeUnixNano(1_795_610_587_903_000_000L)
              .setAsDouble(100 + i)
              .addAttributes(kv("type", "t" + i)));
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(
            ResourceMetrics.newBuilder()
                .addScopeMetrics(
                    ScopeMetrics.newBuilder()
                        .addMetrics(Metric.newBuilder().setName("claude_code.token.usage").setUnit("tokens").setSum(sum))))
        .build();
  }

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }
}

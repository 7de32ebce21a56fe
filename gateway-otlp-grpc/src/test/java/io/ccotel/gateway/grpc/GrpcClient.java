package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/** Helpers for the auth, TLS and limit tests: raw calls with metadata, counters, a spoofing request. */
final class GrpcClient {
  private GrpcClient() {}

  /** A receiver config on 127.0.0.1:0 with two worker threads. */
  static OtlpGrpcReceiverConfig config() {
    return GrpcHarness.testConfig().withEndpoint(HostPort.of("127.0.0.1", 0));
  }

  static byte[] call(ManagedChannel ch, String method, byte[] body, String authorization) {
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(AuthInterceptor.AUTHORIZATION, authorization);
    }
    return ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(headers)),
        GrpcHarness.rawMethod(method),
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        body);
  }

  static void close(ManagedChannel ch) throws InterruptedException {
    if (ch != null) {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Metrics on a registry of their own. */
  static final class Metrics {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final GatewayMetrics gateway = new GatewayMetrics(registry, Clock.systemUTC());

    double requests(Signal signal, String outcome) {
      Counter c = registry.find("gateway.requests")
          .tags("signal", signal.id(), "transport", "grpc", "outcome", outcome).counter();
      return c == null ? 0 : c.count();
    }

    double totalRequests() {
      return registry.find("gateway.requests").counters().stream().mapToDouble(Counter::count).sum();
    }

    double received(Signal signal) {
      Counter c = registry.find("gateway.received.items").tags("signal", signal.id(), "transport", "grpc").counter();
      return c == null ? 0 : c.count();
    }

    double closed(String reason) {
      Counter c = registry.find("gateway.connections.closed").tags("transport", "grpc", "reason", reason).counter();
      return c == null ? 0 : c.count();
    }
  }

  /** What a client sends with OTEL_RESOURCE_ATTRIBUTES="team.id=spoofed,department=eng". */
  static ExportMetricsServiceRequest spoofed() {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(Requests.kv("service.name", "claude-code"))
                .addAttributes(Requests.kv("team.id", "spoofed"))
                .addAttributes(Requests.kv("department", "eng")))
            .addScopeMetrics(ScopeMetrics.newBuilder()
                .addMetrics(io.opentelemetry.proto.metrics.v1.Metric.newBuilder()
                    .setName("claude_code.cost.usage")
                    .setUnit("USD")
                    .setSum(Sum.newBuilder()
                        .setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(NumberDataPoint.newBuilder()
                            .addAttributes(Requests.kv("model", "claude-opus"))
                            .addAttributes(Requests.kv("team.id", "spoofed"))
                            .addAttributes(Requests.kv("department", "eng"))
                            .setStartTimeUnixNano(1_795_610_532_000_000_000L)
                            .setTimeUnixNano(1_795_610_533_000_000_000L)
                            .setAsDouble(0.25))))))
        .build();
  }
}

package io.ccotel.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.RetryInfo;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every answer the receiver gives, over a real socket. */
class ExportAnswersTest {
  private GrpcHarness h;

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  private GrpcHarness start() throws IOException {
    h = GrpcHarness.start();
    return h;
  }

  private GrpcHarness startWithLimit(long maxMessageBytes) throws IOException {
    h = GrpcHarness.start(GrpcHarness.testConfig().withMaxMessageBytes(maxMessageBytes));
    return h;
  }

  private MetricsServiceGrpc.MetricsServiceBlockingStub metricsStub() {
    return MetricsServiceGrpc.newBlockingStub(h.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private LogsServiceGrpc.LogsServiceBlockingStub logsStub() {
    return LogsServiceGrpc.newBlockingStub(h.channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void okIsAnEmptyResponse() throws Exception {
    start();
    ExportMetricsServiceResponse response = metricsStub().export(Requests.tokens(3));

    assertThat(response).isEqualTo(ExportMetricsServiceResponse.getDefaultInstance());
    assertThat(response.hasPartialSuccess()).isFalse();
    assertThat(h.consumer.batches()).hasSize(1);
    assertThat(h.consumer.last().itemCount()).isEqualTo(3);
    assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(1.0);
    assertThat(h.items("gateway.received.items", Signal.METRICS)).isEqualTo(3.0);
    assertThat(h.items("gateway.accepted.items", Signal.METRICS)).isEqualTo(3.0);
    assertThat(h.metrics.lastReceivedMillis(Signal.METRICS)).isPositive();
  }

  @Test
  void partialSuccessCarriesRejectedCountAndMessage() throws Exception {
    start();
    h.consumer.answer(ConsumeResult.partial(2, "2 log records have more than 128 attributes"));

    ExportLogsServiceResponse response = logsStub().export(Requests.logs(5, 10));

    assertThat(response.hasPartialSuccess()).isTrue();
    assertThat(response.getPartialSuccess().getRejectedLogRecords()).isEqualTo(2);
    assertThat(response.getPartialSuccess().getErrorMessage()).isEqualTo("2 log records have more than 128 attributes");
    assertThat(h.requests(Signal.LOGS, "partial")).isEqualTo(1.0);
    assertThat(h.items("gateway.received.items", Signal.LOGS)).isEqualTo(5.0);
    assertThat(h.items("gateway.accepted.items", Signal.LOGS)).isEqualTo(3.0);
    assertThat(h.items("gateway.rejected.items", Signal.LOGS, "reason", "pipeline")).isEqualTo(2.0);
  }

  @Test
  void partialSuccessForMetricsAndTraces() throws Exception {
    start();
    h.consumer.answer(ConsumeResult.partial(1, "one point had no value"));

    ExportMetricsServiceResponse metrics = metricsStub().export(Requests.tokens(2));
    ExportTraceServiceResponse traces =
        TraceServiceGrpc.newBlockingStub(h.channel)
            .export(
                ExportTraceServiceRequest.newBuilder()
                    .addResourceSpans(
                        io.opentelemetry.proto.trace.v1.ResourceSpans.newBuilder()
                            .addScopeSpans(
                                io.opentelemetry.proto.trace.v1.ScopeSpans.newBuilder()
                                    .addSpans(io.opentelemetry.proto.trace.v1.Span.newBuilder().setName("s"))))
                    .build());

    assertThat(metrics.getPartialSuccess().getRejectedDataPoints()).isEqualTo(1);
    assertThat(metrics.getPartialSuccess().getErrorMessage()).isEqualTo("one point had no value");
    assertThat(traces.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
    assertThat(traces.getPartialSuccess().getErrorMessage()).isEqualTo("one point had no value");
  }

  @Test
  void invalidIsInvalidArgumentWithTheMessage() throws Exception {
    start();
    h.consumer.answer(ConsumeResult.invalid("every data point is older than 24h"));

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> metricsStub().export(Requests.tokens(4)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).isEqualTo("every data point is older than 24h");
    assertThat(h.requests(Signal.METRICS, "invalid")).isEqualTo(1.0);
    assertThat(h.items("gateway.rejected.items", Signal.METRICS, "reason", "invalid")).isEqualTo(4.0);
    assertThat(h.items("gateway.accepted.items", Signal.METRICS)).isZero();
  }

  @Test
  void retryableIsUnavailableWithRetryInfo() throws Exception {
    start();
    h.consumer.answer(ConsumeResult.retryable("exporter queue loki is full", Duration.ofMillis(7500)));

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> logsStub().export(Requests.logs(3, 10)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("exporter queue loki is full");
    com.google.rpc.Status detail = StatusProto.fromThrowable(e);
    assertThat(detail).isNotNull();
    assertThat(detail.getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
    assertThat(detail.getMessage()).isEqualTo("exporter queue loki is full");
    assertThat(detail.getDetailsList()).hasSize(1);
    RetryInfo retry = detail.getDetails(0).unpack(RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isEqualTo(7);
    assertThat(retry.getRetryDelay().getNanos()).isEqualTo(500_000_000);
    assertThat(h.requests(Signal.LOGS, "retryable")).isEqualTo(1.0);
    assertThat(h.items("gateway.rejected.items", Signal.LOGS, "reason", "retryable")).isEqualTo(3.0);
  }

  @Test
  void retryableWithoutDelayHasNoRetryInfo() throws Exception {
    start();
    h.consumer.answer(ConsumeResult.retryable("", Duration.ZERO));

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> logsStub().export(Requests.logs(1, 10)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("the gateway cannot take more data right now; retry later");
    assertThat(StatusProto.fromThrowable(e).getDetailsList()).isEmpty();
  }

  @Test
  void pipelineFailureIsInternalAndTheNextCallWorks() throws Exception {
    start();
    h.consumer.answer(
        b -> {
          throw new IllegalStateException("boom");
        });

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> metricsStub().export(Requests.tokens(2)));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("the gateway failed to process the metrics request (an internal error; see the gateway log)");
    assertThat(h.requests(Signal.METRICS, "error")).isEqualTo(1.0);
    assertThat(h.items("gateway.rejected.items", Signal.METRICS, "reason", "error")).isEqualTo(2.0);

    h.consumer.answer(ConsumeResult.ok());
    assertThat(metricsStub().export(Requests.tokens(1)).hasPartialSuccess()).isFalse();
  }

  @Test
  void garbageIsInvalidArgument() throws Exception {
    start();
    byte[] garbage = "not a protobuf message".getBytes(StandardCharsets.UTF_8);

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class, () -> h.call(GrpcHarness.METRICS_EXPORT, garbage, false));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .startsWith("the request is not a valid ExportMetricsServiceRequest protobuf message: ");
    assertThat(h.consumer.batches()).isEmpty();
    assertThat(h.requests(Signal.METRICS, "invalid")).isEqualTo(1.0);
  }

  @Test
  void garbageInsideGzipIsInvalidArgument() throws Exception {
    start();
    byte[] garbage = gzip("not a protobuf message".getBytes(StandardCharsets.UTF_8));

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> h.callPrecompressed(GrpcHarness.LOGS_EXPORT, garbage, new Metadata()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .startsWith("the request is not a valid ExportLogsServiceRequest protobuf message: ");
  }

  @Test
  void brokenGzipIsInvalidArgument() throws Exception {
    start();
    byte[] notGzip = Requests.logs(1, 10).toByteArray();

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> h.callPrecompressed(GrpcHarness.LOGS_EXPORT, notGzip, new Metadata()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("the compressed request message could not be decompressed: Not in GZIP format");
    assertThat(h.requests(Signal.LOGS, "invalid")).isEqualTo(1.0);
  }

  @Test
  void gzipRequestIsDecodedAndTheResponseIsNotCompressed() throws Exception {
    start();
    ExportLogsServiceRequest request = Requests.logs(4, 2000);

    byte[] response = h.call(GrpcHarness.LOGS_EXPORT, request.toByteArray(), true);

    assertThat(response).isEmpty();
    assertThat(h.consumer.logs()).hasSize(1);
    assertThat(h.consumer.logs().get(0).records()).hasSize(4);
    assertThat(h.consumer.logs().get(0).records().get(0).body()).isEqualTo("x".repeat(2000));
    assertThat(h.lastHeaders.get().get(Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER)))
        .isIn(null, "identity");
  }

  @Test
  void messageAboveTheLimitIsResourceExhausted() throws Exception {
    startWithLimit(1024);
    byte[] big = Requests.logs(1, 2000).toByteArray();
    assertThat(big.length).isGreaterThan(1024);

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> h.call(GrpcHarness.LOGS_EXPORT, big, false));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("exceeds maximum size 1024");
    assertThat(h.consumer.batches()).isEmpty();
    assertThat(h.requests(Signal.LOGS, "too_large")).isEqualTo(1.0);

    // The connection and the receiver carry on.
    assertThat(h.call(GrpcHarness.LOGS_EXPORT, Requests.logs(1, 100).toByteArray(), false)).isEmpty();
    assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(1.0);
  }

  @Test
  void gzipMessageThatInflatesAboveTheLimitIsResourceExhausted() throws Exception {
    startWithLimit(1024);
    byte[] message = Requests.logs(4, 4000).toByteArray();
    assertThat(message.length).isGreaterThan(16_000);
    assertThat(gzip(message).length).as("small on the wire").isLessThan(1024);

    StatusRuntimeException e =
        catchThrowableOfType(StatusRuntimeException.class, () -> h.call(GrpcHarness.LOGS_EXPORT, message, true));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).isEqualTo("Decompressed gRPC message exceeds maximum size 1024");
    assertThat(h.consumer.batches()).isEmpty();
    assertThat(h.requests(Signal.LOGS, "too_large")).isEqualTo(1.0);
  }

  @Test
  void gzipFrameAboveTheLimitIsResourceExhausted() throws Exception {
    startWithLimit(1024);
    byte[] noise = new byte[4000];
    new Random(42).nextBytes(noise);
    byte[] compressed = gzip(noise);
    assertThat(compressed.length).isGreaterThan(1024);

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> h.callPrecompressed(GrpcHarness.METRICS_EXPORT, compressed, new Metadata()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("exceeds maximum size 1024");
  }

  @Test
  void emptyRequestIsOkAndReachesNobody() throws Exception {
    start();
    assertThat(metricsStub().export(ExportMetricsServiceRequest.getDefaultInstance()).hasPartialSuccess()).isFalse();
    assertThat(h.call(GrpcHarness.LOGS_EXPORT, new byte[0], false)).isEmpty();

    assertThat(h.consumer.batches()).isEmpty();
    assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(1.0);
    assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(1.0);
  }

  @Test
  void unknownMethodIsUnimplemented() throws Exception {
    start();
    StatusRuntimeException unknownMethod =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> h.call("opentelemetry.proto.collector.metrics.v1.MetricsService/Import", new byte[0], false));
    StatusRuntimeException unknownService =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> h.call("opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", new byte[0], false));

    assertThat(unknownMethod.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(unknownMethod.getStatus().getDescription()).contains("MetricsService/Import");
    assertThat(unknownService.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void healthServiceSaysServing() throws Exception {
    start();
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(h.channel);

    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(
            health
                .check(HealthCheckRequest.newBuilder().setService("opentelemetry.proto.collector.logs.v1.LogsService").build())
                .getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}

package io.ccotel.gateway.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.ccotel.gateway.testkit.Answer;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.ClaudeCodeRuns;
import io.ccotel.gateway.testkit.ClaudeCodeRuns.Run;
import io.ccotel.gateway.testkit.ReceiverContract;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;

/**
 * The shared receiver contract (src-test-fixtures) over OTLP/gRPC: the captured CLI calls through
 * this receiver, the real pipeline and the Prometheus exporter, with the answers every receiver
 * must give.
 */
class OtlpGrpcContractTest extends ReceiverContract {
  private ManagedChannel channel;

  @Override
  protected Receiver createReceiver(BatchConsumer next, long maxBytes) {
    ReceiverSettings settings = new ReceiverSettings(GatewayMetrics.noop(), Clock.systemUTC());
    return new OtlpGrpcReceiverFactory()
        .create(settings, GrpcHarness.testConfig().withMaxMessageBytes(maxBytes), next);
  }

  @Override
  protected Answer replay(Receiver receiver, CapturedRequest request) {
    Metadata headers = new Metadata();
    String authorization = request.header("authorization");
    if (!authorization.isEmpty()) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    if (request.transport().equals("http")) {
      // An OTLP/HTTP protobuf capture: the body is the same Export*ServiceRequest message, so the
      // gRPC receiver replays the HTTP-only runs (cadence-delta, cumulative) too.
      byte[] message = request.gzip() ? gunzip(request.body()) : request.body();
      return sendProtobufWith(receiver, request.signal(), message, request.gzip(), headers);
    }
    // The kit holds the inflated message; grpc-java compresses it again when the CLI had used gzip.
    // (ClaudeCodeReplayTest sends the captured gzip frames byte for byte.)
    return send(receiver, request.signal(), request.path().substring(1), request.body(), request.gzip(), headers);
  }

  private static byte[] gunzip(byte[] gz) {
    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  protected Answer sendProtobuf(Receiver receiver, Signal signal, byte[] body) {
    return sendProtobufWith(receiver, signal, body, false, new Metadata());
  }

  private Answer sendProtobufWith(Receiver receiver, Signal signal, byte[] body, boolean gzip, Metadata headers) {
    String method =
        switch (signal) {
          case METRICS -> GrpcHarness.METRICS_EXPORT;
          case LOGS -> GrpcHarness.LOGS_EXPORT;
          case TRACES -> GrpcHarness.TRACES_EXPORT;
        };
    return send(receiver, signal, method, body, gzip, headers);
  }

  @Override
  protected List<Run> runs() {
    return ClaudeCodeRuns.runs("grpc", "http-protobuf");
  }

  @AfterAll
  void closeChannel() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private synchronized ManagedChannel channel(Receiver receiver) {
    if (channel == null) {
      channel = NettyChannelBuilder.forAddress("127.0.0.1", receiver.boundAddress().getPort()).usePlaintext().build();
    }
    return channel;
  }

  private Answer send(Receiver receiver, Signal signal, String method, byte[] body, boolean gzip, Metadata headers) {
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (gzip) {
      options = options.withCompression("gzip");
    }
    try {
      byte[] response =
          ClientCalls.blockingUnaryCall(
              ClientInterceptors.intercept(channel(receiver), MetadataUtils.newAttachHeadersInterceptor(headers)),
              GrpcHarness.rawMethod(method),
              options,
              body);
      return success(signal, response);
    } catch (StatusRuntimeException e) {
      return failure(e);
    }
  }

  private static Answer success(Signal signal, byte[] response) {
    long rejected;
    String message;
    boolean partial;
    try {
      switch (signal) {
        case METRICS -> {
          var r = ExportMetricsServiceResponse.parseFrom(response);
          partial = r.hasPartialSuccess();
          rejected = r.getPartialSuccess().getRejectedDataPoints();
          message = r.getPartialSuccess().getErrorMessage();
        }
        case LOGS -> {
          var r = ExportLogsServiceResponse.parseFrom(response);
          partial = r.hasPartialSuccess();
          rejected = r.getPartialSuccess().getRejectedLogRecords();
          message = r.getPartialSuccess().getErrorMessage();
        }
        default -> {
          var r = ExportTraceServiceResponse.parseFrom(response);
          partial = r.hasPartialSuccess();
          rejected = r.getPartialSuccess().getRejectedSpans();
          message = r.getPartialSuccess().getErrorMessage();
        }
      }
    } catch (InvalidProtocolBufferException e) {
      return new Answer(Answer.Kind.OTHER, 0, "undecodable response: " + e.getMessage(), Duration.ZERO, "OK");
    }
    return new Answer(partial ? Answer.Kind.PARTIAL : Answer.Kind.OK, rejected, message, Duration.ZERO, "OK");
  }

  private static Answer failure(StatusRuntimeException e) {
    Answer.Kind kind =
        switch (e.getStatus().getCode()) {
          case INVALID_ARGUMENT -> Answer.Kind.INVALID;
          case RESOURCE_EXHAUSTED -> Answer.Kind.TOO_LARGE;
          case UNAVAILABLE -> Answer.Kind.RETRYABLE;
          case UNAUTHENTICATED -> Answer.Kind.UNAUTHENTICATED;
          case UNIMPLEMENTED -> Answer.Kind.UNSUPPORTED;
          default -> Answer.Kind.OTHER;
        };
    Duration retryAfter = Duration.ZERO;
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    if (details != null) {
      for (com.google.protobuf.Any any : details.getDetailsList()) {
        if (any.is(RetryInfo.class)) {
          try {
            var delay = any.unpack(RetryInfo.class).getRetryDelay();
            retryAfter = Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
          } catch (InvalidProtocolBufferException ignored) {
            // Left at ZERO: the check on retryAfter then fails with a clear difference.
          }
        }
      }
    }
    String message = e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription();
    return new Answer(kind, 0, message, retryAfter, e.getStatus().getCode().name());
  }
}

package io.ccotel.gateway.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.rpc.RetryInfo;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.core.otlp.OtlpResponses;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.IntakeLimiter;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * One OTLP service ({@code MetricsService}, {@code LogsService} or {@code TraceService}) with its
 * single unary method {@code Export}: decode, map to the internal model, hand to the pipeline,
 * translate the {@link ConsumeResult} into the OTLP answer.
 *
 * <p>The method is registered under the generated full name but with a request marshaller that only
 * reads bytes ({@link RawRequest}); parsing happens here so that a bad message is INVALID_ARGUMENT
 * rather than grpc-java's UNKNOWN. Every call is answered (never left hanging) and counted once.
 * With an {@link Authenticator}, {@link AuthInterceptor} has checked the call before its message was
 * read and put the identity in the call's context; it is applied to the batch before {@code
 * consume}. A call without one is refused UNAUTHENTICATED (fail closed).
 * Thread-safe: one instance serves all calls of its signal.
 */
final class ExportService<Req extends Message, Resp extends Message>
    implements ServerCalls.UnaryMethod<RawRequest, Resp> {
  private final Signal signal;
  private final MethodDescriptor<RawRequest, Resp> method;
  private final Parser<Req> parser;
  private final Function<Req, ? extends TelemetryBatch> mapper;
  private final Class<Resp> responseType;
  private final BatchConsumer next;
  private final GatewayMetrics metrics;
  private final ErrorLog errors;
  private final Authenticator authenticator;
  private final IntakeLimiter limiter;
  private final Executor workers;

  private ExportService(
      Signal signal,
      MethodDescriptor<?, ?> generated,
      Parser<Req> parser,
      Function<Req, ? extends TelemetryBatch> mapper,
      Resp defaultResponse,
      Class<Resp> responseType,
      BatchConsumer next,
      GatewayMetrics metrics,
      ErrorLog errors,
      Authenticator authenticator,
      IntakeLimiter limiter,
      Executor workers) {
    this.signal = signal;
    this.method =
        generated.toBuilder(RawRequest.Marshaller.INSTANCE, ProtoUtils.marshaller(defaultResponse)).build();
    this.parser = parser;
    this.mapper = mapper;
    this.responseType = responseType;
    this.next = next;
    this.metrics = metrics;
    this.errors = errors;
    this.authenticator = authenticator;
    this.limiter = limiter;
    this.workers = workers;
  }

  static ExportService<ExportMetricsServiceRequest, ExportMetricsServiceResponse> metrics(
      BatchConsumer next, GatewayMetrics metrics, ErrorLog errors, Authenticator authenticator, IntakeLimiter limiter,
      Executor workers) {
    return new ExportService<>(
        Signal.METRICS,
        MetricsServiceGrpc.getExportMethod(),
        ExportMetricsServiceRequest.parser(),
        OtlpProtoMapper::metrics,
        ExportMetricsServiceResponse.getDefaultInstance(),
        ExportMetricsServiceResponse.class,
        next,
        metrics,
        errors,
        authenticator,
        limiter,
        workers);
  }

  static ExportService<ExportLogsServiceRequest, ExportLogsServiceResponse> logs(
      BatchConsumer next, GatewayMetrics metrics, ErrorLog errors, Authenticator authenticator, IntakeLimiter limiter,
      Executor workers) {
    return new ExportService<>(
        Signal.LOGS,
        LogsServiceGrpc.getExportMethod(),
        ExportLogsServiceRequest.parser(),
        OtlpProtoMapper::logs,
        ExportLogsServiceResponse.getDefaultInstance(),
        ExportLogsServiceResponse.class,
        next,
        metrics,
        errors,
        authenticator,
        limiter,
        workers);
  }

  static ExportService<ExportTraceServiceRequest, ExportTraceServiceResponse> traces(
      BatchConsumer next, GatewayMetrics metrics, ErrorLog errors, Authenticator authenticator, IntakeLimiter limiter,
      Executor workers) {
    return new ExportService<>(
        Signal.TRACES,
        TraceServiceGrpc.getExportMethod(),
        ExportTraceServiceRequest.parser(),
        OtlpProtoMapper::traces,
        ExportTraceServiceResponse.getDefaultInstance(),
        ExportTraceServiceResponse.class,
        next,
        metrics,
        errors,
        authenticator,
        limiter,
        workers);
  }

  Signal signal() {
    return signal;
  }

  /** {@code opentelemetry.proto.collector.metrics.v1.MetricsService/Export} and so on. */
  String fullMethodName() {
    return method.getFullMethodName();
  }

  /** {@code MetricsService}, {@code LogsService}, {@code TraceService}. */
  String shortServiceName() {
    String service = Objects.requireNonNull(method.getServiceName());
    return service.substring(service.lastIndexOf('.') + 1);
  }

  String serviceName() {
    return Objects.requireNonNull(method.getServiceName());
  }

  ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(serviceName())
        .addMethod(method, ServerCalls.asyncUnaryCall(this))
        .build();
  }

  @Override
  public void invoke(RawRequest request, StreamObserver<Resp> observer) {
    // Runs on the transport thread (the server uses a direct executor): only cheap decisions here,
    // so that overload is answered at once and a refused message is dropped, not queued.
    if (!CallCounter.claimCurrentCall()) {
      return; // The stream closed before we started (and was counted); nobody is listening.
    }
    ServerCallStreamObserver<Resp> call = (ServerCallStreamObserver<Resp>) observer;
    // A client that gave up must not turn our answer into an exception; the answer is dropped.
    call.setOnCancelHandler(() -> {});
    // The identity travels in the call's Context, which is only current on this thread.
    Attributes identity = authenticator == null ? null : AuthInterceptor.IDENTITY.get();
    Answer<Resp> early;
    try {
      early = admit(request, identity);
    } catch (RuntimeException e) {
      early = internalError(e);
    }
    if (early != null) {
      send(call, early);
      return;
    }
    IntakeLimiter.Permit permit = limiter.tryAcquire(request.bytes().length);
    if (permit == null) {
      count("overloaded");
      send(call, Answer.failure(unavailable(limiter.refusal())));
      return;
    }
    Runnable work = () -> {
      Answer<Resp> answer;
      try {
        answer = answer(request, identity);
      } catch (RuntimeException | StackOverflowError e) {
        answer = internalError(e);
      } finally {
        permit.close();
      }
      send(call, answer);
    };
    try {
      workers.execute(work);
    } catch (RejectedExecutionException e) {
      permit.close();
      count("retryable");
      send(call, Answer.failure(unavailable(
          ConsumeResult.retryable("the gateway is shutting down; retry later", limiter.retryAfter()))));
    }
  }

  private void send(ServerCallStreamObserver<Resp> call, Answer<Resp> answer) {
    if (answer.error() != null) {
      call.onError(answer.error());
    } else {
      call.onNext(answer.response());
      call.onCompleted();
    }
  }

  /** The answer when the call cannot go on (no identity, an unreadable message), else null. */
  private Answer<Resp> admit(RawRequest request, Attributes identity) {
    if (authenticator != null && identity == null) {
      // The interceptor lets no unchecked call through; if one got here anyway, refuse it.
      count("unauthenticated");
      return Answer.failure(
          Status.UNAUTHENTICATED.withDescription("this gateway requires a bearer token").asRuntimeException());
    }
    if (!request.ok()) {
      Status failure = request.failure();
      count(CallCounter.outcome(failure.getCode()));
      return Answer.failure(failure.asRuntimeException());
    }
    return null;
  }

  private Answer<Resp> answer(RawRequest request, Attributes identity) {
    Req parsed;
    try {
      parsed = parser.parseFrom(request.bytes());
    } catch (InvalidProtocolBufferException e) {
      count("invalid");
      return Answer.failure(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "the request is not a valid "
                      + requestTypeName()
                      + " protobuf message: "
                      + e.getMessage())
              .asRuntimeException());
    }
    TelemetryBatch batch = mapper.apply(parsed);
    if (identity != null) {
      // Anti-spoofing: the token's attributes replace what the client claimed (see Identity).
      batch = authenticator.apply(batch, identity);
    }
    long items = batch.itemCount();
    metrics.received(signal, CallCounter.TRANSPORT, items);
    if (items == 0) {
      // OTLP allows an empty request; there is nothing to hand on.
      count("ok");
      return Answer.success(response(ConsumeResult.ok()));
    }
    ConsumeResult result;
    try {
      result = Objects.requireNonNull(next.consume(batch), "the pipeline answered null");
    } catch (RuntimeException e) {
      metrics.rejected(signal, CallCounter.TRANSPORT, "error", items);
      return internalError(e);
    }
    return translate(result, items);
  }

  private Answer<Resp> translate(ConsumeResult result, long items) {
    String transport = CallCounter.TRANSPORT;
    return switch (result.outcome()) {
      case OK -> {
        metrics.accepted(signal, transport, items);
        count("ok");
        yield Answer.success(response(result));
      }
      case PARTIAL -> {
        long rejected = Math.min(result.rejectedItems(), items);
        metrics.accepted(signal, transport, items - rejected);
        metrics.rejected(signal, transport, "pipeline", rejected);
        count("partial");
        yield Answer.success(response(result));
      }
      case INVALID -> {
        metrics.rejected(signal, transport, "invalid", items);
        count("invalid");
        String message =
            result.message().isEmpty() ? "the " + signal.itemName() + " were refused as invalid" : result.message();
        yield Answer.failure(Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException());
      }
      case RETRYABLE -> {
        metrics.rejected(signal, transport, "retryable", items);
        count("retryable");
        yield Answer.failure(unavailable(result));
      }
    };
  }

  /**
   * UNAVAILABLE with a google.rpc.RetryInfo detail, as the OTLP specification asks of a server that
   * throttles. A zero delay means "no advice": the detail is left out and the client backs off on
   * its own (a RetryInfo of 0 would make it retry at once).
   */
  private static StatusRuntimeException unavailable(ConsumeResult result) {
    String message =
        result.message().isEmpty() ? "the gateway cannot take more data right now; retry later" : result.message();
    com.google.rpc.Status.Builder status =
        com.google.rpc.Status.newBuilder().setCode(Status.Code.UNAVAILABLE.value()).setMessage(message);
    Duration delay = result.retryAfter();
    if (!delay.isNegative() && !delay.isZero()) {
      status.addDetails(
          Any.pack(
              RetryInfo.newBuilder()
                  .setRetryDelay(
                      com.google.protobuf.Duration.newBuilder()
                          .setSeconds(delay.getSeconds())
                          .setNanos(delay.getNano()))
                  .build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  private Answer<Resp> internalError(Throwable e) {
    errors.log("OTLP/gRPC receiver: failed to process a " + signal.id() + " export request", e);
    count("error");
    return Answer.failure(
        Status.INTERNAL
            .withDescription(
                "the gateway failed to process the " + signal.id() + " request (an internal error; see the gateway log)")
            .asRuntimeException());
  }

  private Resp response(ConsumeResult result) {
    return responseType.cast(OtlpResponses.success(signal, result));
  }

  private String requestTypeName() {
    return switch (signal) {
      case METRICS -> "ExportMetricsServiceRequest";
      case LOGS -> "ExportLogsServiceRequest";
      case TRACES -> "ExportTraceServiceRequest";
    };
  }

  private void count(String outcome) {
    metrics.request(signal, CallCounter.TRANSPORT, outcome);
  }

  private record Answer<R>(R response, StatusRuntimeException error) {
    static <R> Answer<R> success(R response) {
      return new Answer<>(response, null);
    }

    static <R> Answer<R> failure(StatusRuntimeException error) {
      return new Answer<>(null, error);
    }
  }
}

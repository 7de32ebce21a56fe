package io.ccotel.gateway.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * OTLP/gRPC with grpc-java over Netty (h2c, as the CLI's {@code http://} endpoints), sending the
 * pool's bytes as they are: a byte-array marshaller, so no client-side protobuf work in the run.
 * Calls are spread round-robin over {@code connections} channels (many CLIs = many connections).
 */
final class GrpcSender implements Sender {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final MethodDescriptor<byte[], byte[]> method;
  private final Workload.Signal signal;
  private final AtomicInteger next = new AtomicInteger();
  private final long deadlineMillis;

  GrpcSender(String host, int port, Workload.Signal signal, int connections, long deadlineMillis) {
    this.signal = signal;
    this.deadlineMillis = deadlineMillis;
    String service =
        signal == Workload.Signal.METRICS
            ? "opentelemetry.proto.collector.metrics.v1.MetricsService"
            : "opentelemetry.proto.collector.logs.v1.LogsService";
    this.method =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(service, "Export"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    for (int i = 0; i < Math.max(1, connections); i++) {
      channels.add(
          NettyChannelBuilder.forAddress(host, port)
              .usePlaintext()
              .maxInboundMessageSize(16 << 20)
              // Separate connections: a channel per simulated client group.
              .build());
    }
  }

  @Override
  public CompletableFuture<Outcome> send(Workload.Payload payload) {
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    ManagedChannel ch = channels.get(Math.floorMod(next.getAndIncrement(), channels.size()));
    ClientCalls.asyncUnaryCall(
        ch.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)),
        payload.body(),
        new StreamObserver<>() {
          byte[] response;

          @Override
          public void onNext(byte[] value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            String hint = retryHint(t);
            String text = s.getDescription() == null ? "" : s.getDescription();
            text = text.length() > 160 ? text.substring(0, 160) + "..." : text;
            result.complete(new Outcome("grpc_" + s.getCode().name(), 0, hint.isEmpty() ? text : hint + (text.isEmpty() ? "" : ": " + text)));
          }

          @Override
          public void onCompleted() {
            result.complete(answer(response));
          }
        });
    return result;
  }

  /** "retry hint: RetryInfo 1s" when the error carries a google.rpc.RetryInfo detail, else "". */
  private static String retryHint(Throwable t) {
    com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(t);
    if (status == null) {
      return "";
    }
    for (com.google.protobuf.Any any : status.getDetailsList()) {
      if (any.is(com.google.rpc.RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = any.unpack(com.google.rpc.RetryInfo.class).getRetryDelay();
          return Sender.RETRY_HINT + "RetryInfo " + (d.getSeconds() + d.getNanos() / 1e9) + "s";
        } catch (InvalidProtocolBufferException e) {
          return Sender.RETRY_HINT + "RetryInfo (unreadable)";
        }
      }
    }
    return "";
  }

  private Outcome answer(byte[] response) {
    if (response == null || response.length == 0) {
      return Outcome.OK;
    }
    try {
      if (signal == Workload.Signal.METRICS) {
        var ps = ExportMetricsServiceResponse.parseFrom(response).getPartialSuccess();
        return new Outcome("", ps.getRejectedDataPoints(), ps.getErrorMessage());
      }
      var ps = ExportLogsServiceResponse.parseFrom(response).getPartialSuccess();
      return new Outcome("", ps.getRejectedLogRecords(), ps.getErrorMessage());
    } catch (InvalidProtocolBufferException e) {
      return Outcome.OK;
    }
  }

  @Override
  public void close() {
    for (ManagedChannel ch : channels) {
      ch.shutdownNow();
    }
    for (ManagedChannel ch : channels) {
      try {
        ch.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

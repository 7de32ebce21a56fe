package io.ccotel.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.RetryInfo;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.IntakeLimiter;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The in-flight limiter on the gRPC receiver: UNAVAILABLE with RetryInfo, then recovery. */
class GrpcBackpressureTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, Clock.systemUTC());
  private final RecordingConsumer consumer = new RecordingConsumer();
  private OtlpGrpcReceiver receiver;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private LogsServiceGrpc.LogsServiceBlockingStub stub() {
    return LogsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void overBudgetCallsAreUnavailableWithRetryInfoAndTheServiceRecovers() throws Exception {
    ExportLogsServiceRequest request = Requests.logs(3, 10);
    int size = request.getSerializedSize();
    IntakeLimiter limiter = new IntakeLimiter(size + 10, 1.0, Duration.ofSeconds(3), registry);
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory()
        .create(new ReceiverSettings(metrics, Clock.systemUTC(), null, limiter), GrpcHarness.testConfig(), consumer);
    receiver.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", receiver.boundAddress().getPort()).usePlaintext().build();

    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    consumer.answer(b -> {
      entered.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return ConsumeResult.ok();
    });
    CompletableFuture<Object> first = CompletableFuture.supplyAsync(() -> stub().export(request));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stub().export(request));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("the gateway is overloaded (requests in flight or memory at their limit); retry later");
    RetryInfo retry = StatusProto.fromThrowable(e).getDetails(0).unpack(RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isEqualTo(3);
    assertThat(registry.find("gateway.requests").tags("signal", "logs", "transport", "grpc", "outcome", "overloaded")
        .counter().count()).isEqualTo(1.0);
    assertThat(registry.find("gateway.overload.refusals").tag("reason", "inflight_bytes").counter().count())
        .isEqualTo(1.0);
    assertThat(consumer.batches()).hasSize(1);

    release.countDown();
    first.get(10, TimeUnit.SECONDS);
    stub().export(request);
    assertThat(consumer.batches()).hasSize(2);
    assertThat(limiter.inflightBytes()).isZero();
  }
}

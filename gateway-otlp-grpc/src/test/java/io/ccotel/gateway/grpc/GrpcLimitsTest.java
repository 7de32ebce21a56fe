package io.ccotel.gateway.grpc;

import static io.ccotel.gateway.grpc.GrpcClient.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** max_connections on the OTLP/gRPC receiver. */
class GrpcLimitsTest {
  private final GrpcClient.Metrics metrics = new GrpcClient.Metrics();
  private final RecordingConsumer consumer = new RecordingConsumer();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private OtlpGrpcReceiver receiver;

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel ch : channels) {
      GrpcClient.close(ch);
    }
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private ManagedChannel channel() {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", receiver.boundAddress().getPort()).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  private static byte[] export(ManagedChannel ch) {
    return call(ch, GrpcHarness.METRICS_EXPORT, GrpcClient.spoofed().toByteArray(), null);
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory()
        .create(new ReceiverSettings(metrics.gateway, Clock.systemUTC()), GrpcClient.config().withMaxConnections(1), consumer);
    receiver.start();
    ManagedChannel first = channel();
    export(first);
    ManagedChannel second = channel();
    assertThatThrownBy(() -> export(second))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(metrics.closed("max_connections")).isGreaterThanOrEqualTo(1);
    assertThat(receiver.openConnections()).isEqualTo(1);
    // The admitted connection keeps working; once it is gone another one is admitted.
    export(first);
    GrpcClient.close(first);
    await().atMost(Duration.ofSeconds(5)).until(() -> receiver.openConnections() == 0);
    export(channel());
    assertThat(consumer.metrics()).hasSize(3);
  }

  @Test
  void zeroMeansNoCap() throws Exception {
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory()
        .create(new ReceiverSettings(metrics.gateway, Clock.systemUTC()), GrpcClient.config().withMaxConnections(0), consumer);
    receiver.start();
    for (int i = 0; i < 3; i++) {
      export(channel());
    }
    assertThat(receiver.openConnections()).isEqualTo(-1);
    assertThat(metrics.closed("max_connections")).isZero();
  }
}

package io.ccotel.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LifecycleTest {
  private static final ReceiverSettings SETTINGS = new ReceiverSettings(GatewayMetrics.noop(), Clock.systemUTC());

  private static Receiver receiver(OtlpGrpcReceiverConfig config, BatchConsumer next) {
    return new OtlpGrpcReceiverFactory().create(SETTINGS, config, next);
  }

  @Test
  void portZeroBindsAFreePortAndBoundAddressTellsWhich() throws Exception {
    Receiver r = receiver(GrpcHarness.testConfig(), BatchConsumer.noop());
    assertThat(r.name()).isEqualTo("otlp_grpc");
    assertThat(r.boundAddress()).isNull();

    r.start();
    try {
      InetSocketAddress bound = r.boundAddress();
      assertThat(bound.getPort()).isPositive();
      assertThat(bound.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    } finally {
      r.shutdown(Duration.ofSeconds(5));
    }
  }

  @Test
  void shutdownIsSafeBeforeStartAndTwice() throws Exception {
    Receiver never = receiver(GrpcHarness.testConfig(), BatchConsumer.noop());
    never.shutdown(Duration.ofSeconds(1));
    never.shutdown(Duration.ofSeconds(1));
    assertThatThrownBy(never::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped");

    Receiver r = receiver(GrpcHarness.testConfig(), BatchConsumer.noop());
    r.start();
    assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("started");
    r.shutdown(Duration.ofSeconds(5));
    r.shutdown(Duration.ofSeconds(5));
  }

  @Test
  void disabledBindsNothing() throws Exception {
    OtlpGrpcReceiverConfig d = GrpcHarness.testConfig();
    OtlpGrpcReceiverConfig disabled =
        new OtlpGrpcReceiverConfig(
            false, d.endpoint(), d.maxMessageBytes(), d.maxMetadataBytes(), d.maxConcurrentStreams(),
            d.maxConnectionIdle(), d.maxConnectionAge(), d.maxConnectionAgeGrace(), d.keepaliveTime(),
            d.keepaliveTimeout(), d.permitKeepaliveTime(), d.permitKeepaliveWithoutCalls(), d.workerThreads());
    Receiver r = receiver(disabled, BatchConsumer.noop());
    r.start();
    assertThat(r.boundAddress()).isNull();
    r.shutdown(Duration.ofSeconds(1));
  }

  @Test
  void portInUseFailsStartWithTheAddress() throws Exception {
    Receiver first = receiver(GrpcHarness.testConfig(), BatchConsumer.noop());
    first.start();
    try {
      int port = first.boundAddress().getPort();
      Receiver second =
          receiver(GrpcHarness.testConfig().withEndpoint(HostPort.of("127.0.0.1", port)), BatchConsumer.noop());
      assertThatThrownBy(second::start)
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("OTLP/gRPC receiver cannot listen on 127.0.0.1:" + port + ": ");
      second.shutdown(Duration.ofSeconds(1));
    } finally {
      first.shutdown(Duration.ofSeconds(5));
    }
  }

  @Test
  void afterShutdownTheClientGetsUnavailable() throws Exception {
    GrpcHarness h = GrpcHarness.start();
    try {
      assertThat(h.call(GrpcHarness.LOGS_EXPORT, Requests.logs(1, 1).toByteArray(), false)).isEmpty();
      h.receiver.shutdown(Duration.ofSeconds(5));

      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> h.call(GrpcHarness.LOGS_EXPORT, Requests.logs(1, 1).toByteArray(), false));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      h.close();
    }
  }

  @Test
  void shutdownLetsCallsInFlightFinishWithinTheDeadline() throws Exception {
    GrpcHarness h = GrpcHarness.start();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    h.consumer.answer(
        b -> {
          entered.countDown();
          awaitQuietly(release);
          return ConsumeResult.ok();
        });
    try {
      CompletableFuture<byte[]> inFlight =
          CompletableFuture.supplyAsync(() -> h.call(GrpcHarness.LOGS_EXPORT, Requests.logs(1, 1).toByteArray(), false));
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> stopping =
          CompletableFuture.runAsync(() -> h.receiver.shutdown(Duration.ofSeconds(10)));
      Thread.sleep(100);
      assertThat(stopping).isNotDone();
      release.countDown();

      stopping.get(5, TimeUnit.SECONDS);
      assertThat(inFlight.get(5, TimeUnit.SECONDS)).isEmpty();
    } finally {
      release.countDown();
      h.close();
    }
  }

  @Test
  void aStuckCallDoesNotHoldShutdownPastTheDeadline() throws Exception {
    GrpcHarness h = GrpcHarness.start();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    h.consumer.answer(
        b -> {
          entered.countDown();
          awaitQuietly(never); // interrupted by the shutdown
          return ConsumeResult.ok();
        });
    try {
      CompletableFuture<byte[]> inFlight =
          CompletableFuture.supplyAsync(() -> h.call(GrpcHarness.LOGS_EXPORT, Requests.logs(1, 1).toByteArray(), false));
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();

      long t0 = System.nanoTime();
      h.receiver.shutdown(Duration.ofMillis(200));
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;

      assertThat(tookMillis).isLessThan(3_000);
      assertThat(inFlight)
          .failsWithin(5, TimeUnit.SECONDS)
          .withThrowableThat()
          .havingRootCause()
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED));
    } finally {
      never.countDown();
      h.close();
    }
  }

  @Test
  void manyConcurrentCallsAreAllAnsweredAndCounted() throws Exception {
    GrpcHarness h = GrpcHarness.start();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<byte[]>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String method = i % 2 == 0 ? GrpcHarness.METRICS_EXPORT : GrpcHarness.LOGS_EXPORT;
        byte[] body = i % 2 == 0 ? Requests.tokens(2).toByteArray() : Requests.logs(3, 10).toByteArray();
        boolean gzip = i % 3 == 0;
        calls.add(clients.submit(() -> h.call(h.channel, method, body, gzip ? "gzip" : null, new Metadata())));
      }
      for (Future<byte[]> f : calls) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEmpty();
      }
      assertThat(h.consumer.batches()).hasSize(200);
      assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(100.0);
      assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(100.0);
      assertThat(h.items("gateway.accepted.items", Signal.METRICS)).isEqualTo(200.0);
      assertThat(h.items("gateway.accepted.items", Signal.LOGS)).isEqualTo(300.0);
    } finally {
      clients.shutdownNow();
      h.close();
    }
  }

  @Test
  void oversizedMetadataIsRefusedBeforeThePipeline() throws Exception {
    GrpcHarness h = GrpcHarness.start();
    try {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + "t".repeat(20_000));
      StatusRuntimeException e =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> h.call(h.channel, GrpcHarness.LOGS_EXPORT, Requests.logs(1, 1).toByteArray(), null, headers));
      // The server announces max_metadata_bytes in its HTTP/2 SETTINGS, so grpc-java's client
      // already refuses to send; a client that sends anyway gets the stream reset by the server.
      assertThat(e.getStatus().getCode()).isNotEqualTo(Status.Code.OK);
      assertThat(String.valueOf(e.getStatus())).contains("(16384)");
      assertThat(h.consumer.batches()).isEmpty();
    } finally {
      h.close();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

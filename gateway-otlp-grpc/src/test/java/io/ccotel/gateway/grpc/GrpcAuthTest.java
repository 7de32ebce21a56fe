package io.ccotel.gateway.grpc;

import io.ccotel.gateway.testkit.CapturedLogs;
import static io.ccotel.gateway.grpc.GrpcClient.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.auth.AuthConfig;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TokenEntry;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens on the OTLP/gRPC receiver: UNAUTHENTICATED before the message is read, counted
 * once, identity applied over the client's claims, sha256 entries, tokens file reload, no token in
 * any log.
 */
class GrpcAuthTest {
  static final String TOKEN = "tok-grpc-platform-Qw7e";
  static final Attributes PLATFORM = Attributes.of("team.id", "platform", "tenant", "acme");

  private final GrpcClient.Metrics metrics = new GrpcClient.Metrics();
  private final RecordingConsumer consumer = new RecordingConsumer();
  private OtlpGrpcReceiver receiver;
  private ManagedChannel channel;

  @TempDir Path dir;

  @AfterEach
  void stop() throws InterruptedException {
    GrpcClient.close(channel);
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  static Authenticator authenticator(boolean override) {
    return Authenticator.create(
        AuthConfig.ofTokens(List.of(
                TokenEntry.ofToken(TOKEN, PLATFORM, "auth.tokens[0]"),
                TokenEntry.ofSha256(sha256Hex("tok-data-by-digest"), Attributes.of("team.id", "data"), "auth.tokens[1]")))
            .withOverrideClientAttributes(override),
        Clock.systemUTC());
  }

  static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void start(Authenticator auth, OtlpGrpcReceiverConfig config) throws Exception {
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory()
        .create(new ReceiverSettings(metrics.gateway, Clock.systemUTC(), auth), config, consumer);
    receiver.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", receiver.boundAddress().getPort()).usePlaintext().build();
  }

  private void start(Authenticator auth) throws Exception {
    start(auth, GrpcClient.config());
  }

  private byte[] export(byte[] body, String authorization) {
    return call(channel, GrpcHarness.METRICS_EXPORT, body, authorization);
  }

  private static Status.Code code(Runnable r) {
    try {
      r.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void noTokenIsUnauthenticatedAndCountedOnce() throws Exception {
    start(authenticator(true));
    assertThatThrownBy(() -> export(GrpcClient.spoofed().toByteArray(), null))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).contains("authorization: Bearer <token>", "OTEL_EXPORTER_OTLP_HEADERS");
        });
    assertThat(consumer.batches()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> metrics.totalRequests() == 1);
    assertThat(metrics.requests(Signal.METRICS, "unauthenticated")).isEqualTo(1);
    assertThat(metrics.received(Signal.METRICS)).isZero();
  }

  @Test
  void wrongTokenOrSchemeIsUnauthenticated() throws Exception {
    start(authenticator(true));
    byte[] body = GrpcClient.spoofed().toByteArray();
    assertThatThrownBy(() -> export(body, "Bearer " + TOKEN + "x"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(e.getStatus().getDescription()).isEqualTo("the bearer token is not valid (unknown or revoked)");
        });
    assertThat(code(() -> export(body, "Basic dXNlcjpwYXNz"))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(() -> call(channel, GrpcHarness.LOGS_EXPORT, new byte[0], TOKEN))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(consumer.batches()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> metrics.totalRequests() == 3);
    assertThat(metrics.requests(Signal.METRICS, "unauthenticated")).isEqualTo(2);
    assertThat(metrics.requests(Signal.LOGS, "unauthenticated")).isEqualTo(1);
  }

  @Test
  void theTokenIsCheckedBeforeTheMessageIsRead() throws Exception {
    start(authenticator(true), GrpcClient.config().withMaxMessageBytes(1024));
    byte[] garbage = "definitely not protobuf".getBytes(StandardCharsets.UTF_8);
    assertThat(code(() -> export(garbage, null))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(() -> export(new byte[64 * 1024], null))).isEqualTo(Status.Code.UNAUTHENTICATED);
    // With the token, the same messages are read and refused for what they are.
    assertThat(code(() -> export(garbage, "Bearer " + TOKEN))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(code(() -> export(new byte[64 * 1024], "Bearer " + TOKEN))).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void theTokensIdentityReplacesWhatTheClientClaims() throws Exception {
    start(authenticator(true));
    export(GrpcClient.spoofed().toByteArray(), "Bearer " + TOKEN);
    MetricsBatch batch = consumer.metrics().get(0);
    var metric = batch.metrics().get(0);
    assertThat(metric.resource().attributes()).isEqualTo(Attributes.of(
        "service.name", "claude-code", "team.id", "platform", "department", "eng", "tenant", "acme"));
    assertThat(metric.points().get(0).attributes())
        .isEqualTo(Attributes.of("model", "claude-opus", "team.id", "platform", "department", "eng"));
    // Counted once: the interceptor keeps the call's context, so the service's claim holds.
    await().atMost(Duration.ofSeconds(5)).until(() -> metrics.requests(Signal.METRICS, "ok") == 1);
    await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> metrics.totalRequests() == 1);
  }

  @Test
  void withoutOverrideTheClientsValuesStay() throws Exception {
    start(authenticator(false));
    export(GrpcClient.spoofed().toByteArray(), "Bearer " + TOKEN);
    var metric = consumer.metrics().get(0).metrics().get(0);
    assertThat(metric.resource().attributes().getString("team.id")).isEqualTo("spoofed");
    assertThat(metric.resource().attributes().getString("tenant")).isEqualTo("acme");
    assertThat(metric.points().get(0).attributes().getString("team.id")).isEqualTo("spoofed");
  }

  @Test
  void aTokenKnownByItsDigest() throws Exception {
    start(authenticator(true));
    export(GrpcClient.spoofed().toByteArray(), "Bearer tok-data-by-digest");
    var resource = consumer.metrics().get(0).metrics().get(0).resource().attributes();
    assertThat(resource.getString("team.id")).isEqualTo("data");
    assertThat(resource.get("tenant")).isNull();
  }

  @Test
  void theHealthServiceNeedsNoToken() throws Exception {
    start(authenticator(true));
    byte[] res = call(channel, "grpc.health.v1.Health/Check", HealthCheckRequest.getDefaultInstance().toByteArray(), null);
    assertThat(HealthCheckResponse.parseFrom(res).getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void theTokensFileIsReloadedWithoutARestart() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, "tok-old-aaaa team.id=platform\n");
    start(Authenticator.create(AuthConfig.ofTokensFile(file, Duration.ofMillis(100)), Clock.systemUTC()));
    byte[] body = GrpcClient.spoofed().toByteArray();
    export(body, "Bearer tok-old-aaaa");

    Path tmp = dir.resolve("tokens.tmp");
    Files.writeString(tmp, "sha256:" + sha256Hex("tok-new-bbbbbb") + " team.id=web\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
        .until(() -> code(() -> export(body, "Bearer tok-new-bbbbbb")) == Status.Code.OK);
    assertThat(code(() -> export(body, "Bearer tok-old-aaaa"))).isEqualTo(Status.Code.UNAUTHENTICATED);
    var last = consumer.metrics().get(consumer.metrics().size() - 1);
    assertThat(last.metrics().get(0).resource().attributes().getString("team.id")).isEqualTo("web");
  }

  @Test
  void noTokenEverReachesTheLog() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, TOKEN + " team.id=platform\n");
    try (CapturedLogs logs = new CapturedLogs()) {
      start(Authenticator.create(AuthConfig.ofTokensFile(file, Duration.ofMillis(50)), Clock.systemUTC()));
      byte[] body = GrpcClient.spoofed().toByteArray();
      export(body, "Bearer " + TOKEN);
      assertThat(code(() -> export(body, "Bearer " + TOKEN + "-wrong"))).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(code(() -> export(new byte[] {1, 2, 3}, "Bearer " + TOKEN))).isEqualTo(Status.Code.INVALID_ARGUMENT);
      consumer.answer(b -> {
        throw new IllegalStateException("boom");
      });
      assertThat(code(() -> export(body, "Bearer " + TOKEN))).isEqualTo(Status.Code.INTERNAL);
      consumer.answer(io.ccotel.gateway.core.pipeline.ConsumeResult.ok());
      // A broken file with the token in it: the error names the line, never its text.
      Path tmp = dir.resolve("tokens.tmp");
      Files.writeString(tmp, TOKEN + " team.id\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(code(() -> export(body, "Bearer " + TOKEN))).isEqualTo(Status.Code.OK);
        assertThat(logs.text()).contains("line 1: expected attributes");
      });
      receiver.shutdown(Duration.ofSeconds(5));
      String text = logs.text();
      assertThat(text).contains("refused an unknown bearer token (sha256 ", "failed to process a metrics export request");
      assertThat(text).doesNotContain(TOKEN);
    }
  }
}

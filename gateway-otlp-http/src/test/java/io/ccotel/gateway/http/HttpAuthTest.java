package io.ccotel.gateway.http;

import io.ccotel.gateway.testkit.CapturedLogs;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Status;
import io.ccotel.gateway.core.auth.AuthConfig;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TokenEntry;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.netty.handler.codec.http.FullHttpResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens on the OTLP/HTTP receiver: refusals (401 before the body is read), identity
 * applied over what the client claims, sha256 entries, tokens file reload, and no token in any log.
 */
class HttpAuthTest {
  static final String TOKEN = "tok-platform-Zq81vX3";
  static final Attributes PLATFORM = Attributes.of("team.id", "platform", "tenant", "acme");

  private final TestSupport.Metrics metrics = new TestSupport.Metrics();
  private final TestSupport.RecordingConsumer consumer = new TestSupport.RecordingConsumer();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private OtlpHttpReceiver receiver;

  @TempDir Path dir;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  static Authenticator authenticator(boolean override) {
    return Authenticator.create(
        AuthConfig.ofTokens(List.of(
                TokenEntry.ofToken(TOKEN, PLATFORM, "auth.tokens[0]"),
                TokenEntry.ofSha256(HexFormat.of().formatHex(sha256("tok-data-by-digest")),
                    Attributes.of("team.id", "data"), "auth.tokens[1]")))
            .withOverrideClientAttributes(override),
        Clock.systemUTC());
  }

  private static byte[] sha256(String s) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void start(Authenticator auth) throws Exception {
    receiver = OtlpHttpReceiver.create(
        new ReceiverSettings(metrics.gateway, Clock.systemUTC(), auth),
        OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)),
        consumer);
    receiver.start();
  }

  private HttpResponse<byte[]> post(String contentType, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + receiver.boundAddress().getPort() + "/v1/metrics"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** What a client sends with OTEL_RESOURCE_ATTRIBUTES="team.id=spoofed,department=eng". */
  static ExportMetricsServiceRequest spoofed() {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(TestSupport.kv("service.name", "claude-code"))
                .addAttributes(TestSupport.kv("team.id", "spoofed"))
                .addAttributes(TestSupport.kv("department", "eng")))
            .addScopeMetrics(ScopeMetrics.newBuilder()
                .addMetrics(io.opentelemetry.proto.metrics.v1.Metric.newBuilder()
                    .setName("claude_code.cost.usage")
                    .setUnit("USD")
                    .setSum(Sum.newBuilder()
                        .setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(NumberDataPoint.newBuilder()
                            .addAttributes(TestSupport.kv("model", "claude-opus"))
                            .addAttributes(TestSupport.kv("team.id", "spoofed"))
                            .addAttributes(TestSupport.kv("department", "eng"))
                            .setStartTimeUnixNano(1_795_610_532_000_000_000L)
                            .setTimeUnixNano(1_795_610_533_000_000_000L)
                            .setAsDouble(0.25))))))
        .build();
  }

  @Test
  void noTokenIs401WithWwwAuthenticateAndAStatusBody() throws Exception {
    start(authenticator(true));
    HttpResponse<byte[]> res = post("application/x-protobuf", spoofed().toByteArray());
    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(res.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
    Status status = Status.parseFrom(res.body());
    assertThat(status.getCode()).isEqualTo(16);
    assertThat(status.getMessage()).contains("Authorization: Bearer <token>", "OTEL_EXPORTER_OTLP_HEADERS");

    HttpResponse<byte[]> json = post("application/json", "{}".getBytes(UTF_8));
    assertThat(json.statusCode()).isEqualTo(401);
    assertThat(new String(json.body(), UTF_8)).startsWith("{\"code\":16,\"message\":\"this gateway requires a bearer token");

    assertThat(consumer.batches).isEmpty();
    assertThat(metrics.requests("metrics", "unauthenticated")).isEqualTo(2);
    assertThat(metrics.totalRequests()).isEqualTo(2);
    assertThat(metrics.received("metrics")).isZero();
  }

  @Test
  void wrongTokenOrSchemeIs401() throws Exception {
    start(authenticator(true));
    HttpResponse<byte[]> res = post("application/x-protobuf", spoofed().toByteArray(), "Authorization", "Bearer " + TOKEN + "x");
    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
    assertThat(Status.parseFrom(res.body()).getMessage()).isEqualTo("the bearer token is not valid (unknown or revoked)");
    assertThat(post("application/x-protobuf", new byte[0], "Authorization", "Basic dXNlcjpwYXNz").statusCode()).isEqualTo(401);
    assertThat(post("application/x-protobuf", new byte[0], "Authorization", TOKEN).statusCode()).isEqualTo(401);
    assertThat(consumer.batches).isEmpty();
    assertThat(metrics.requests("metrics", "unauthenticated")).isEqualTo(3);
  }

  @Test
  void theTokenIsCheckedBeforeTheBodyIsDecoded() throws Exception {
    start(authenticator(true));
    byte[] garbage = "definitely not protobuf".getBytes(UTF_8);
    assertThat(post("application/x-protobuf", garbage).statusCode()).isEqualTo(401);
    assertThat(post("application/x-protobuf", garbage, "Content-Encoding", "gzip").statusCode()).isEqualTo(401);
    assertThat(post("text/plain", garbage).statusCode()).isEqualTo(401);
    assertThat(metrics.requests("metrics", "invalid")).isZero();
    // With the token the same garbage is decoded, and refused as such.
    assertThat(post("application/x-protobuf", garbage, "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
  }

  @Test
  void theTokensIdentityReplacesWhatTheClientClaims() throws Exception {
    start(authenticator(true));
    HttpResponse<byte[]> res = post("application/x-protobuf", spoofed().toByteArray(), "Authorization", "Bearer " + TOKEN);
    assertThat(res.statusCode()).isEqualTo(200);
    MetricsBatch batch = consumer.only(MetricsBatch.class);
    var metric = batch.metrics().get(0);
    assertThat(metric.resource().attributes()).isEqualTo(Attributes.of(
        "service.name", "claude-code", "team.id", "platform", "department", "eng", "tenant", "acme"));
    assertThat(metric.points().get(0).attributes())
        .isEqualTo(Attributes.of("model", "claude-opus", "team.id", "platform", "department", "eng"));
    assertThat(metrics.requests("metrics", "ok")).isEqualTo(1);
    assertThat(metrics.accepted("metrics")).isEqualTo(1);
  }

  @Test
  void withoutOverrideTheClientsValuesStayAndMissingOnesAreAdded() throws Exception {
    start(authenticator(false));
    assertThat(post("application/x-protobuf", spoofed().toByteArray(), "Authorization", "Bearer " + TOKEN).statusCode())
        .isEqualTo(200);
    var metric = consumer.only(MetricsBatch.class).metrics().get(0);
    assertThat(metric.resource().attributes().getString("team.id")).isEqualTo("spoofed");
    assertThat(metric.resource().attributes().getString("tenant")).isEqualTo("acme");
    assertThat(metric.points().get(0).attributes().getString("team.id")).isEqualTo("spoofed");
  }

  @Test
  void aTokenKnownByItsDigest() throws Exception {
    start(authenticator(true));
    assertThat(post("application/json", "{}".getBytes(UTF_8), "Authorization", "Bearer tok-data-by-digest").statusCode())
        .isEqualTo(200);
    assertThat(post("application/x-protobuf", spoofed().toByteArray(), "Authorization", "bearer tok-data-by-digest").statusCode())
        .isEqualTo(200);
    var resource = consumer.only(MetricsBatch.class).metrics().get(0).resource().attributes();
    // team.id from this token; tenant is another token's identity key, so nobody may claim it.
    assertThat(resource.getString("team.id")).isEqualTo("data");
    assertThat(resource.get("tenant")).isNull();
  }

  @Test
  void theTokensFileIsReloadedWithoutARestart() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, "tok-old-aaaa team.id=platform\n");
    start(Authenticator.create(AuthConfig.ofTokensFile(file, Duration.ofMillis(100)), Clock.systemUTC()));
    byte[] body = spoofed().toByteArray();
    assertThat(post("application/x-protobuf", body, "Authorization", "Bearer tok-old-aaaa").statusCode()).isEqualTo(200);

    Path tmp = dir.resolve("tokens.tmp");
    Files.writeString(tmp, "# rotated\ntok-new-bbbbbb team.id=web, tenant=acme\n");
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
        assertThat(post("application/x-protobuf", body, "Authorization", "Bearer tok-new-bbbbbb").statusCode()).isEqualTo(200));
    assertThat(post("application/x-protobuf", body, "Authorization", "Bearer tok-old-aaaa").statusCode()).isEqualTo(401);
    var last = (MetricsBatch) consumer.batches.get(consumer.batches.size() - 1);
    assertThat(last.metrics().get(0).resource().attributes().getString("team.id")).isEqualTo("web");
  }

  @Test
  void noTokenEverReachesTheLog() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, TOKEN + " team.id=platform\n");
    try (CapturedLogs logs = new CapturedLogs()) {
      start(Authenticator.create(AuthConfig.ofTokensFile(file, Duration.ofMillis(50)), Clock.systemUTC()));
      byte[] body = spoofed().toByteArray();
      assertThat(post("application/x-protobuf", body, "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
      assertThat(post("application/x-protobuf", body, "Authorization", "Bearer " + TOKEN + "-wrong").statusCode()).isEqualTo(401);
      assertThat(post("application/json", "{".getBytes(UTF_8), "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(400);
      // A broken file with the token in it: the error names the line, never its text.
      Path tmp = dir.resolve("tokens.tmp");
      Files.writeString(tmp, TOKEN + " team.id\n");
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(post("application/x-protobuf", body, "Authorization", "Bearer " + TOKEN).statusCode()).isEqualTo(200);
        assertThat(logs.text()).contains("line 1: expected attributes");
      });
      receiver.shutdown(Duration.ofSeconds(5));
      String text = logs.text();
      assertThat(text).contains("refused an unknown bearer token (sha256 ");
      assertThat(text).doesNotContain(TOKEN);
    }
  }

  @Test
  void aRefusedRequestsBodyIsDroppedAndTheConnectionStaysUsable() {
    try (HttpTestChannel ch = new HttpTestChannel(
        OtlpHttpReceiverConfig.defaults(), metrics, consumer, authenticator(true))) {
      byte[] body = spoofed().toByteArray();
      // Refused while the body is still arriving: 401 at once, the rest of the body is dropped.
      byte[] bad = HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Authorization", "Bearer wrong").bytes();
      List<FullHttpResponse> first = ch.write(java.util.Arrays.copyOf(bad, bad.length - 10));
      assertThat(first).hasSize(1);
      assertThat(first.get(0).status().code()).isEqualTo(401);
      assertThat(ch.write(java.util.Arrays.copyOfRange(bad, bad.length - 10, bad.length))).isEmpty();
      // The next request on the same connection is read from its first byte.
      FullHttpResponse ok = ch.exchange(HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Authorization", "Bearer " + TOKEN).bytes());
      assertThat(ok.status().code()).isEqualTo(200);
      assertThat(ch.isOpen()).isTrue();
      // Chunked, and with the token in a second request pipelined behind it.
      byte[] chunked = HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body).chunked(7);
      byte[] good = HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Authorization", "Bearer " + TOKEN).bytes();
      byte[] both = java.util.Arrays.copyOf(chunked, chunked.length + good.length);
      System.arraycopy(good, 0, both, chunked.length, good.length);
      List<FullHttpResponse> two = ch.write(both);
      assertThat(two).extracting(r -> r.status().code()).containsExactly(401, 200);
      assertThat(consumer.batches).hasSize(2);
    }
  }

  @Test
  void expectContinueIsAnsweredWith401AndNoBodyIsWaitedFor() {
    try (HttpTestChannel ch = new HttpTestChannel(
        OtlpHttpReceiverConfig.defaults(), metrics, consumer, authenticator(true))) {
      byte[] body = spoofed().toByteArray();
      byte[] head = HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Expect", "100-continue").head();
      FullHttpResponse res = ch.exchange(head);
      assertThat(res.status().code()).isEqualTo(401);
      // No 100 Continue, no body: the connection reads the next request.
      FullHttpResponse ok = ch.exchange(HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Authorization", "Bearer " + TOKEN).bytes());
      assertThat(ok.status().code()).isEqualTo(200);
      // A client that does not want keep-alive is closed after its 401.
      FullHttpResponse closing = ch.exchange(HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", body)
          .header("Connection", "close").bytes());
      assertThat(closing.status().code()).isEqualTo(401);
      assertThat(ch.isOpen()).isFalse();
    }
  }

  @Test
  void aHugeRefusedBodyClosesTheConnectionOnceOverTheCap() {
    OtlpHttpReceiverConfig small = OtlpHttpReceiverConfig.defaults().withBodyLimits(1024, 1024);
    try (HttpTestChannel ch = new HttpTestChannel(small, metrics, consumer, authenticator(true))) {
      byte[] req = HttpTestChannel.Request.post("/v1/metrics", "application/x-protobuf", new byte[4096]).chunked(512);
      List<FullHttpResponse> res = ch.write(req);
      assertThat(res).extracting(r -> r.status().code()).containsExactly(401);
      assertThat(ch.isOpen()).isFalse();
    }
  }
}

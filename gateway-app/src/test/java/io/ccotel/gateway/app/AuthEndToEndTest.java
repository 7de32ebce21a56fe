package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import io.ccotel.gateway.testkit.PromText;
import io.ccotel.gateway.testkit.RawGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens end to end: the captured opt-in run (Authorization: Bearer team-token-123, team
 * attributes from OTEL_RESOURCE_ATTRIBUTES) through both receivers; the token's identity overrides
 * what the client claims, and requests without the right token are refused.
 */
class AuthEndToEndTest {
  private static final String CONFIG =
      """
      receivers:
        otlp_grpc: {endpoint: "127.0.0.1:0"}
        otlp_http: {endpoint: "127.0.0.1:0"}
      exporters:
        prometheus: {endpoint: "127.0.0.1:0", state_file: ""}
      pipelines:
        metrics: {exporters: [prometheus]}
      auth:
        enabled: true
        tokens:
          - {token: "team-token-123", attributes: {team.id: verified-platform, tenant: acme}}
      """;

  private Gateway gateway;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    gateway = new Gateway(new ConfigLoader(Map.of()).loadText(CONFIG), Clock.systemUTC());
    gateway.start();
  }

  @AfterEach
  void stop() {
    gateway.shutdown(Duration.ofSeconds(5));
  }

  private HttpResponse<byte[]> post(CapturedRequest r, String authorization) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.receiverAddress("otlp_http").getPort() + r.path()))
            .header("Content-Type", r.contentType())
            .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static CapturedRequest metrics(String run) {
    return Fixtures.run(run).stream().filter(r -> r.signal().id().equals("metrics")).findFirst().orElseThrow();
  }

  @Test
  void theTokenIdentityOverridesTheClaimedTeamAndBadTokensAreRefused() throws Exception {
    CapturedRequest optins = metrics("http-protobuf/optins");
    assertThat(optins.header("authorization")).isEqualTo("Bearer team-token-123");

    assertThat(post(optins, null).statusCode()).isEqualTo(401);
    assertThat(post(optins, "Bearer wrong-token").statusCode()).isEqualTo(401);
    HttpResponse<byte[]> ok = post(optins, optins.header("authorization"));
    assertThat(ok.statusCode()).isEqualTo(200);

    String text = ((PrometheusExporter) gateway.exporter("prometheus")).scrape("text/plain");
    List<PromText.Sample> s = PromText.parse(text);
    // The client said team.id=platform; the token says verified-platform, and wins.
    assertThat(PromText.sum(s, "claude_code_token_usage_tokens_total", Map.of("type", "input", "team_id", "verified-platform")))
        .isEqualTo(1008.0);
    assertThat(PromText.select(s, "claude_code_token_usage_tokens_total", Map.of("team_id", "platform"))).isEmpty();
    assertThat(PromText.sum(s, "gateway_requests_total", Map.of("transport", "http", "outcome", "unauthenticated"))).isEqualTo(2.0);
  }

  @Test
  void grpcNeedsTheTokenInTheAuthorizationMetadata() throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", gateway.receiverAddress("otlp_grpc").getPort()).usePlaintext().build();
    try {
      CapturedRequest r = Fixtures.run("grpc/optins").stream().filter(x -> x.path().contains("Metrics")).findFirst().orElseThrow();
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, RawGrpc.method(r.path().substring(1)),
              CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), r.body()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), r.header("authorization"));
      ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
          RawGrpc.method(r.path().substring(1)), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), r.body());
      String text = ((PrometheusExporter) gateway.exporter("prometheus")).scrape("text/plain");
      assertThat(PromText.select(PromText.parse(text), "claude_code_cost_usage_USD_total", Map.of("team_id", "verified-platform")))
          .hasSize(1);
    } finally {
      channel.shutdownNow();
    }
  }
}

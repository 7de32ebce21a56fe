package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import io.ccotel.gateway.testkit.PromText;
import io.ccotel.gateway.testkit.Promtool;
import io.ccotel.gateway.testkit.PromText.Sample;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.io.ByteArrayInputStream;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import java.io.InputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole gateway over real sockets: the OpenTelemetry Java SDK exporters and the captured CLI
 * payloads as clients, /metrics scraped over HTTP.
 */
class GatewayEndToEndTest {
  private static final String CONFIG =
      """
      receivers:
        otlp_grpc: {endpoint: "127.0.0.1:0"}
        otlp_http: {endpoint: "127.0.0.1:0"}
      exporters:
        prometheus: {endpoint: "127.0.0.1:0", state_file: ""}
        console: {format: text}
      pipelines:
        metrics: {exporters: [prometheus]}
        logs: {exporters: [console]}
        traces: {exporters: [console]}
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

  private String endpoint(String receiver) {
    InetSocketAddress a = gateway.receiverAddress(receiver);
    return "http://127.0.0.1:" + a.getPort();
  }

  private String metricsText() throws Exception {
    assertThat(gateway.pipeline().awaitIdle(Duration.ofSeconds(10))).isTrue();
    InetSocketAddress a = ((PrometheusExporter) gateway.exporter("prometheus")).boundAddress();
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  private List<Sample> samples() throws Exception {
    return PromText.parse(metricsText());
  }

  @Test
  void sdkClientsOverGrpcAndHttpProduceExactCounters() throws Exception {
    Resource resource =
        Resource.create(
            Attributes.of(
                AttributeKey.stringKey("service.name"), "claude-code",
                AttributeKey.stringKey("team.id"), "platform"));
    sendCost(OtlpGrpcMetricExporter.builder().setEndpoint(endpoint("otlp_grpc"))
        .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred()).build(), resource, "grpc-session");
    sendCost(OtlpHttpMetricExporter.builder().setEndpoint(endpoint("otlp_http") + "/v1/metrics")
        .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred()).build(), resource, "http-session");
    // Cumulative temporality from a third process sharing the label set.
    sendCost(OtlpHttpMetricExporter.builder().setEndpoint(endpoint("otlp_http") + "/v1/metrics").setCompression("gzip")
        .setAggregationTemporalitySelector(AggregationTemporalitySelector.alwaysCumulative()).build(), resource, "cumulative-session");

    List<Sample> s = samples();
    Map<String, String> labels = Map.of("model", "claude-opus-5-5", "team_id", "platform", "user_id", "dev-1");
    // 3 processes x (0.25 + 0.5) USD
    assertThat(PromText.select(s, "claude_code_cost_usage_USD_total", labels)).hasSize(1);
    assertThat(PromText.sum(s, "claude_code_cost_usage_USD_total", labels)).isEqualTo(2.25);
    assertThat(PromText.sum(s, "claude_code_token_usage_tokens_total", Map.of("type", "input"))).isEqualTo(3 * 1500.0);
    // How many points the SDK sends (it exports again when the provider closes) is its business;
    // every point it sent was accepted, none rejected.
    for (String transport : List.of("grpc", "http")) {
      Map<String, String> t = Map.of("signal", "metrics", "transport", transport);
      assertThat(PromText.sum(s, "gateway_accepted_items_total", t)).isPositive()
          .isEqualTo(PromText.sum(s, "gateway_received_items_total", t));
      assertThat(PromText.select(s, "gateway_rejected_items_total", t)).isEmpty();
    }
  }

  private static void sendCost(MetricExporter exporter, Resource resource, String session) {
    PeriodicMetricReader reader = PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build();
    try (SdkMeterProvider provider = SdkMeterProvider.builder().setResource(resource).registerMetricReader(reader).build()) {
      var meter = provider.get("com.anthropic.claude_code");
      DoubleCounter cost = meter.counterBuilder("claude_code.cost.usage").ofDoubles().setUnit("USD").build();
      LongCounter tokens = meter.counterBuilder("claude_code.token.usage").setUnit("tokens").build();
      Attributes attrs =
          Attributes.builder()
              .put("user.id", "dev-1")
              .put("session.id", session)
              .put("model", "claude-opus-5-5")
              .build();
      cost.add(0.25, attrs);
      cost.add(0.5, attrs);
      tokens.add(1500, attrs.toBuilder().put("type", "input").build());
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }

  @Test
  void sdkLogClientsOverGrpcAndHttpAreAccepted() throws Exception {
    sendEvents(OtlpGrpcLogRecordExporter.builder().setEndpoint(endpoint("otlp_grpc")).build(), 3);
    sendEvents(OtlpHttpLogRecordExporter.builder().setEndpoint(endpoint("otlp_http") + "/v1/logs").build(), 2);
    List<Sample> s = samples();
    assertThat(PromText.sum(s, "gateway_accepted_items_total", Map.of("signal", "logs", "transport", "grpc"))).isEqualTo(3.0);
    assertThat(PromText.sum(s, "gateway_accepted_items_total", Map.of("signal", "logs", "transport", "http"))).isEqualTo(2.0);
    assertThat(PromText.sum(s, "gateway_exporter_sent_items_total", Map.of("exporter", "console", "signal", "logs"))).isEqualTo(5.0);
  }

  private static void sendEvents(LogRecordExporter exporter, int n) {
    try (SdkLoggerProvider provider =
        SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter)).build()) {
      var logger = provider.get("com.anthropic.claude_code.events");
      for (int i = 0; i < n; i++) {
        logger.logRecordBuilder()
            .setBody("claude_code.api_request")
            .setAllAttributes(
                Attributes.builder()
                    .put("event.name", "api_request")
                    .put("session.id", "s-1")
                    .put("model", "claude-opus-5-5")
                    .put("cost_usd", 0.01 * (i + 1))
                    .build())
            .emit();
      }
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
  }

  /** The captured CLI payloads of all three protocols, into one gateway, add up exactly. */
  @Test
  void capturedPayloadsOfAllThreeProtocolsAddUpOnMetrics() throws Exception {
    for (String run : List.of("http-protobuf/basic", "http-json/basic", "http-protobuf/gzip")) {
      for (CapturedRequest r : Fixtures.run(run)) {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(endpoint("otlp_http") + r.path()))
                .header("Content-Type", r.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
        if (!r.header("content-encoding").isEmpty()) {
          b.header("Content-Encoding", r.header("content-encoding"));
        }
        HttpResponse<byte[]> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resp.statusCode()).as(r.name()).isEqualTo(200);
      }
    }
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", gateway.receiverAddress("otlp_grpc").getPort()).usePlaintext().build();
    try {
      for (String run : List.of("grpc/basic", "grpc/gzip")) {
        for (CapturedRequest r : Fixtures.run(run)) {
          CallOptions opts = r.gzip() ? CallOptions.DEFAULT.withCompression("gzip") : CallOptions.DEFAULT;
          ClientCalls.blockingUnaryCall(channel, rawMethod(r.path().substring(1)), opts.withDeadlineAfter(10, TimeUnit.SECONDS), r.body());
        }
      }
    } finally {
      channel.shutdownNow();
    }
    List<Sample> s = samples();
    // Five runs, five developers: each run's tokens stay on its own user_id series; the sums add.
    assertThat(PromText.sum(s, "claude_code_token_usage_tokens_total", Map.of("type", "input"))).isEqualTo(5 * 1008.0);
    assertThat(PromText.sum(s, "claude_code_token_usage_tokens_total", Map.of("type", "cacheRead"))).isEqualTo(5 * 98252.0);
    assertThat(PromText.select(s, "claude_code_cost_usage_USD_total", Map.of())).hasSize(5);
    assertThat(PromText.sum(s, "claude_code_session_count_total", Map.of())).isEqualTo(5.0);
    assertThat(PromText.sum(s, "gateway_accepted_items_total", Map.of("signal", "logs"))).isEqualTo(5 * 30.0);
  }

  static MethodDescriptor<byte[], byte[]> rawMethod(String fullName) {
    return io.ccotel.gateway.testkit.RawGrpc.method(fullName);
  }

  @Test
  void theWholeExpositionPassesPromtool() throws Exception {
    for (CapturedRequest r : Fixtures.run("http-protobuf/optins")) {
      HttpResponse<byte[]> resp =
          http.send(
              HttpRequest.newBuilder(URI.create(endpoint("otlp_http") + r.path()))
                  .header("Content-Type", r.contentType())
                  .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(resp.statusCode()).isEqualTo(200);
    }
    String text = metricsText();
    assertThat(text).contains("claude_code_cost_usage_USD_total{");
    Promtool.Result result = Promtool.checkMetrics(text);
    assertThat(result.output()).isEmpty();
    assertThat(result.exitCode()).isZero();
  }

  @Test
  void gatewayMetricsAreOnTheSameEndpoint() throws Exception {
    String text = metricsText();
    assertThat(text).contains("# TYPE gateway_last_received_timestamp_seconds gauge");
    assertThat(text).contains("gateway_exporter_queue_capacity_items{exporter=\"console\"} 500000");
    assertThat(text).contains("jvm_memory_used_bytes");
  }
}

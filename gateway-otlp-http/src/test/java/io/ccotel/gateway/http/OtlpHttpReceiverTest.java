package io.ccotel.gateway.http;

import static io.ccotel.gateway.http.TestSupport.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Status;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real sockets, real clients: java.net.http and the OpenTelemetry Java SDK exporters. */
class OtlpHttpReceiverTest {
  private final TestSupport.Metrics metrics = new TestSupport.Metrics();
  private final TestSupport.RecordingConsumer consumer = new TestSupport.RecordingConsumer();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private OtlpHttpReceiver receiver;

  private OtlpHttpReceiver start(OtlpHttpReceiverConfig config) throws Exception {
    receiver = (OtlpHttpReceiver) new OtlpHttpReceiverFactory()
        .create(new ReceiverSettings(metrics.gateway, TestSupport.CLOCK), config, consumer);
    receiver.start();
    return receiver;
  }

  private OtlpHttpReceiver start() throws Exception {
    return start(OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)));
  }

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + receiver.boundAddress().getPort() + path;
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void listensOnAFreePortAndTakesTheCapturedProtobufBodies() throws Exception {
    start();
    assertThat(receiver.name()).isEqualTo("otlp_http");
    assertThat(receiver.boundAddress().getPort()).isPositive();

    HttpResponse<byte[]> logs = post("/v1/logs", "application/x-protobuf", fixture("http-protobuf/basic/0001-http-logs.bin"));
    HttpResponse<byte[]> metricsRes =
        post("/v1/metrics", "application/x-protobuf", fixture("http-protobuf/basic/0002-http-metrics.bin"));

    assertThat(logs.statusCode()).isEqualTo(200);
    assertThat(logs.body()).isEmpty();
    assertThat(logs.headers().firstValue("content-type")).hasValue("application/x-protobuf");
    assertThat(metricsRes.statusCode()).isEqualTo(200);
    assertThat(consumer.batches).hasSize(2);
    LogsBatch logBatch = (LogsBatch) consumer.batches.get(0);
    assertThat(logBatch.records()).hasSize(30);
    assertThat(logBatch.records()).extracting(LogRecord::effectiveEventName).contains("user_prompt", "api_request");
    MetricsBatch metricBatch = (MetricsBatch) consumer.batches.get(1);
    assertThat(TestSupport.sumBy(metricBatch, "claude_code.token.usage", "type")).containsExactlyInAnyOrderEntriesOf(
        Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
    assertThat(metrics.requests("metrics", "ok")).isEqualTo(1);
    assertThat(metrics.requests("logs", "ok")).isEqualTo(1);
  }

  @Test
  void gzipProtobufWithContentEncoding() throws Exception {
    start();
    HttpResponse<byte[]> res = post("/v1/metrics", "application/x-protobuf",
        fixture("http-protobuf/gzip/0002-http-metrics.bin"), "Content-Encoding", "gzip");
    HttpResponse<byte[]> logs = post("/v1/logs", "application/x-protobuf",
        fixture("http-protobuf/gzip/0001-http-logs.bin"), "Content-Encoding", "gzip");

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(logs.statusCode()).isEqualTo(200);
    MetricsBatch batch = (MetricsBatch) consumer.batches.get(0);
    assertThat(batch.metrics()).hasSize(8);
    assertThat(TestSupport.sumBy(batch, "claude_code.token.usage", "type")).containsExactlyInAnyOrderEntriesOf(
        Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
    assertThat(consumer.batches.get(1).itemCount()).isEqualTo(30);
  }

  @Test
  void jsonBodiesAnswerJson() throws Exception {
    start();
    HttpResponse<byte[]> res = post("/v1/metrics", "application/json", fixture("http-json/basic/0002-http-metrics.bin"));
    HttpResponse<byte[]> gz = post("/v1/logs", "application/json", fixture("http-json/gzip/0001-http-logs.bin"),
        "Content-Encoding", "gzip");

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(new String(res.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
    assertThat(res.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(gz.statusCode()).isEqualTo(200);
    MetricsBatch batch = (MetricsBatch) consumer.batches.get(0);
    assertThat(TestSupport.sumBy(batch, "claude_code.token.usage", "type")).containsExactlyInAnyOrderEntriesOf(
        Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
    assertThat(batch.metrics()).allSatisfy(m -> assertThat(m.temporality()).isEqualTo(Temporality.DELTA));
    assertThat(consumer.batches.get(1).itemCount()).isEqualTo(30);
  }

  @Test
  void oversizedBodyOverTheNetworkIs413WithAStatus() throws Exception {
    start(OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)).withBodyLimits(1024, 1024));
    HttpResponse<byte[]> res = post("/v1/metrics", "application/x-protobuf", new byte[200_000]);
    assertThat(res.statusCode()).isEqualTo(413);
    assertThat(Status.parseFrom(res.body()).getMessage()).isEqualTo("the request body of 200000 bytes is larger than"
        + " the limit of 1024 bytes; raise receivers.otlp_http.max_body_bytes and"
        + " receivers.otlp_http.max_compressed_body_bytes to accept it");
    // The same client (same pooled connection or a new one) goes on working.
    assertThat(post("/v1/metrics", "application/x-protobuf", TestSupport.tokenUsage(1).toByteArray()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void openTelemetrySdkExportersAsClients() throws Exception {
    start();
    OtlpHttpMetricExporter metricExporter = OtlpHttpMetricExporter.builder()
        .setEndpoint(url("/v1/metrics"))
        .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
        .build();
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), "claude-code", AttributeKey.stringKey("team.id"), "platform")));
    SdkMeterProvider meters = SdkMeterProvider.builder()
        .setResource(resource)
        .registerMetricReader(PeriodicMetricReader.builder(metricExporter).setInterval(Duration.ofHours(1)).build())
        .build();
    OtlpHttpLogRecordExporter logExporter = OtlpHttpLogRecordExporter.builder().setEndpoint(url("/v1/logs")).build();
    SdkLoggerProvider loggers = SdkLoggerProvider.builder()
        .setResource(resource)
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(logExporter))
        .build();
    try {
      LongCounter tokens = meters.get("com.anthropic.claude_code").counterBuilder("claude_code.token.usage")
          .setUnit("tokens").build();
      tokens.add(100, Attributes.of(AttributeKey.stringKey("type"), "input", AttributeKey.stringKey("model"), "opus"));
      tokens.add(20, Attributes.of(AttributeKey.stringKey("type"), "output", AttributeKey.stringKey("model"), "opus"));
      tokens.add(5, Attributes.of(AttributeKey.stringKey("type"), "input", AttributeKey.stringKey("model"), "opus"));
      assertThat(meters.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

      loggers.get("com.anthropic.claude_code.events").logRecordBuilder()
          .setBody("claude_code.api_request")
          .setAttribute(AttributeKey.stringKey("event.name"), "api_request")
          .setAttribute(AttributeKey.longKey("input_tokens"), 111L)
          .setAttribute(AttributeKey.doubleKey("cost_usd"), 0.0143108)
          .emit();
      assertThat(loggers.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    } finally {
      meters.shutdown().join(5, TimeUnit.SECONDS);
      loggers.shutdown().join(5, TimeUnit.SECONDS);
    }

    MetricsBatch mb = consumer.batches.stream().filter(MetricsBatch.class::isInstance).map(MetricsBatch.class::cast)
        .findFirst().orElseThrow();
    Metric m = mb.metrics().stream().filter(x -> x.name().equals("claude_code.token.usage")).findFirst().orElseThrow();
    assertThat(m.kind()).isEqualTo(MetricKind.SUM);
    assertThat(m.temporality()).isEqualTo(Temporality.DELTA);
    assertThat(m.monotonic()).isTrue();
    assertThat(m.unit()).isEqualTo("tokens");
    assertThat(m.scope().name()).isEqualTo("com.anthropic.claude_code");
    assertThat(m.resource().attributes().getString("team.id")).isEqualTo("platform");
    assertThat(m.resource().attributes().getString("service.name")).isEqualTo("claude-code");
    assertThat(m.points()).allSatisfy(p -> {
      assertThat(((NumberPoint) p).isDouble()).isFalse(); // a long counter sends as_int
      assertThat(p.attributes().asMap()).containsOnlyKeys("type", "model");
    });
    assertThat(TestSupport.sumBy(mb, "claude_code.token.usage", "type"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("input", 105.0, "output", 20.0));

    LogsBatch lb = consumer.batches.stream().filter(LogsBatch.class::isInstance).map(LogsBatch.class::cast)
        .findFirst().orElseThrow();
    assertThat(lb.records()).hasSize(1);
    LogRecord r = lb.records().get(0);
    assertThat(r.body()).isEqualTo("claude_code.api_request");
    assertThat(r.effectiveEventName()).isEqualTo("api_request");
    assertThat(r.attributes().get("input_tokens")).isEqualTo(111L);
    assertThat(r.attributes().get("cost_usd")).isEqualTo(0.0143108);
    assertThat(r.scope().name()).isEqualTo("com.anthropic.claude_code.events");
    assertThat(metrics.requests("logs", "ok")).isEqualTo(1);
  }

  @Test
  void idleConnectionsAreClosed() throws Exception {
    start(OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)).withIdleTimeout(Duration.ofMillis(200)));
    try (Socket s = new Socket("127.0.0.1", receiver.boundAddress().getPort())) {
      s.setSoTimeout(5000);
      long t0 = System.nanoTime();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(100L, 4000L);
    }
  }

  @Test
  void shutdownClosesIdleKeepAliveConnectionsAndStopsListening() throws Exception {
    start();
    int port = receiver.boundAddress().getPort();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      byte[] body = TestSupport.tokenUsage(1).toByteArray();
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
          + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200 OK");

      long t0 = System.nanoTime();
      receiver.shutdown(Duration.ofSeconds(5));
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
      assertThat(in.read()).isEqualTo(-1); // the idle keep-alive connection was closed
    }
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
  }

  @Test
  void aRequestInProgressIsAnsweredDuringShutdown() throws Exception {
    start();
    int port = receiver.boundAddress().getPort();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      byte[] body = TestSupport.tokenUsage(1, 2).toByteArray();
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write(("POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: "
          + body.length + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      // The 100 Continue proves the server has the request in progress.
      assertThat(readHead(in)).startsWith("HTTP/1.1 100 Continue");

      Thread stopper = new Thread(() -> receiver.shutdown(Duration.ofSeconds(6)));
      stopper.start();
      await().atMost(Duration.ofSeconds(5)).until(() -> !accepts(port)); // shutdown is under way
      out.write(body);
      out.flush();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200 OK").containsIgnoringCase("connection: close");
      assertThat(in.read()).isEqualTo(-1);
      stopper.join(7000);
      assertThat(stopper.isAlive()).isFalse();
    }
    assertThat(consumer.batches).hasSize(1);
    assertThat(consumer.batches.get(0).itemCount()).isEqualTo(2);
  }

  private static boolean accepts(int port) {
    try (Socket probe = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void lifecycleIsSafe() throws Exception {
    OtlpHttpReceiver never = OtlpHttpReceiver.create(
        new ReceiverSettings(metrics.gateway, TestSupport.CLOCK), OtlpHttpReceiverConfig.defaults(), consumer);
    assertThat(never.boundAddress()).isNull();
    never.shutdown(Duration.ofSeconds(1));
    never.shutdown(Duration.ofSeconds(1));
    assertThatThrownBy(never::start).isInstanceOf(IllegalStateException.class);

    start();
    assertThatThrownBy(receiver::start).isInstanceOf(IllegalStateException.class);
    receiver.shutdown(Duration.ofSeconds(2));
    receiver.shutdown(Duration.ofSeconds(2));
  }

  @Test
  void disabledReceiverDoesNotListen() throws Exception {
    OtlpHttpReceiverConfig off = new OtlpHttpReceiverConfig(false, HostPort.of("127.0.0.1", 0),
        1024, 1024, Duration.ZERO, 16 * 1024);
    start(off);
    assertThat(receiver.boundAddress()).isNull();
  }

  @Test
  void portInUseFailsNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.setReuseAddress(false);
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      OtlpHttpReceiver r = OtlpHttpReceiver.create(new ReceiverSettings(metrics.gateway, TestSupport.CLOCK),
          OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", port)), consumer);
      assertThatThrownBy(r::start)
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("OTLP/HTTP receiver could not listen on 127.0.0.1:" + port
              + " (receivers.otlp_http.endpoint): ");
      r.shutdown(Duration.ofSeconds(1));
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    String head = sb.toString();
    int len = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        len = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(len);
    return head;
  }
}

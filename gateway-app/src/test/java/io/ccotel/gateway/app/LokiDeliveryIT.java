package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import io.ccotel.gateway.testkit.RawGrpc;
import io.ccotel.gateway.testkit.loki.LokiFixture;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events through the whole gateway into the Loki-protocol fixture (src-test-fixtures), which
 * decodes and validates pushes as Loki does: the captured CLI events of all three protocols land
 * in the expected streams, and a 20-second Loki outage under 1,000 events/s loses nothing.
 */
class LokiDeliveryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private Gateway gateway;
  private LokiFixture loki;

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (loki != null) {
      loki.close();
    }
  }

  private void start(Path dir) throws Exception {
    loki = LokiFixture.start().unorderedWrites(true);
    String config =
        """
        receivers:
          otlp_grpc: {endpoint: "127.0.0.1:0"}
          otlp_http: {endpoint: "127.0.0.1:0"}
        exporters:
          loki:
            endpoint: "%s"
            batch_linger: 200ms
            retry: {initial_backoff: 200ms, max_backoff: 2s, max_elapsed: 0s}
        pipelines:
          logs: {exporters: [loki]}
        durability:
          enabled: true
          dir: "%s"
        """.formatted(loki.endpoint(), dir.resolve("log"));
    gateway = new Gateway(new ConfigLoader(Map.of()).loadText(config), Clock.systemUTC());
    gateway.start();
  }

  private int httpPort() {
    return gateway.receiverAddress("otlp_http").getPort();
  }

  @Test
  void capturedEventsOfAllThreeProtocolsLandInTheirStreams(@TempDir Path dir) throws Exception {
    start(dir);
    for (String run : List.of("http-protobuf/basic", "http-json/basic")) {
      for (CapturedRequest r : Fixtures.run(run)) {
        if (!r.path().equals("/v1/logs")) {
          continue;
        }
        HttpResponse<byte[]> resp =
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort() + r.path()))
                    .header("Content-Type", r.contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resp.statusCode()).isEqualTo(200);
      }
    }
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", gateway.receiverAddress("otlp_grpc").getPort()).usePlaintext().build();
    try {
      for (CapturedRequest r : Fixtures.run("grpc/basic")) {
        if (r.path().contains("LogsService")) {
          ClientCalls.blockingUnaryCall(channel, RawGrpc.method(r.path().substring(1)),
              CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), r.body());
        }
      }
    } finally {
      channel.shutdownNow();
    }
    assertThat(loki.awaitEntries(90, Duration.ofSeconds(20))).as("90 events delivered").isTrue();

    Map<String, Integer> perStream = new TreeMap<>();
    loki.streams().forEach((labels, entries) -> perStream.put(labels, entries.size()));
    assertThat(perStream)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "{event_name=\"api_request\", service_name=\"claude-code\"}", 21,
                "{event_name=\"assistant_response\", service_name=\"claude-code\"}", 21,
                "{event_name=\"tool_decision\", service_name=\"claude-code\"}", 18,
                "{event_name=\"tool_result\", service_name=\"claude-code\"}", 15,
                "{event_name=\"plugin_loaded\", service_name=\"claude-code\"}", 9,
                "{event_name=\"user_prompt\", service_name=\"claude-code\"}", 3,
                "{event_name=\"managed_settings_resolved\", service_name=\"claude-code\"}", 3));
    // Numbers stay numbers (LogQL: | json | unwrap cost_usd), string numbers are converted.
    double cost = 0;
    for (LokiFixture.Entry e : loki.streams().get("{event_name=\"api_request\", service_name=\"claude-code\"}")) {
      JsonNode line = JSON.readTree(e.line());
      assertThat(line.get("cost_usd").isNumber()).isTrue();
      assertThat(line.get("input_tokens").isIntegralNumber()).isTrue();
      assertThat(line.has("session.id")).isTrue();
      cost += line.get("cost_usd").asDouble();
    }
    assertThat(cost).isCloseTo(3 * 0.1156824, org.assertj.core.data.Offset.offset(1e-9));
    for (LokiFixture.Entry e : loki.streams().get("{event_name=\"tool_result\", service_name=\"claude-code\"}")) {
      JsonNode line = JSON.readTree(e.line());
      assertThat(line.get("duration_ms").isNumber()).as(e.line()).isTrue();
      assertThat(line.get("success").isBoolean()).as(e.line()).isTrue();
    }
  }

  /** Issue 4's outage test: Loki down for 20 s while 1,000 events/s arrive; nothing is lost. */
  @Test
  void aTwentySecondLokiOutageUnderAThousandEventsPerSecondLosesNothing(@TempDir Path dir) throws Exception {
    start(dir);
    int port = httpPort();
    Set<Long> acked = new HashSet<>();
    long begin = System.nanoTime();
    long n = 0;
    loki.down();
    // 25 s at 10 requests/s of 100 events; Loki is down for the first 20 s.
    while (System.nanoTime() - begin < TimeUnit.SECONDS.toNanos(25)) {
      if (loki.mode() == LokiFixture.Mode.DOWN && System.nanoTime() - begin >= TimeUnit.SECONDS.toNanos(20)) {
        loki.up();
      }
      byte[] body = batchOf100(n);
      HttpResponse<byte[]> r =
          http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/logs"))
                  .header("Content-Type", "application/x-protobuf")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() == 200) {
        for (int i = 0; i < 100; i++) {
          acked.add(n * 100 + i);
        }
      }
      n++;
      long next = begin + n * TimeUnit.MILLISECONDS.toNanos(100);
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(wait));
      }
    }
    assertThat(acked).as("the gateway kept accepting during the outage").hasSize((int) (n * 100));
    assertThat(acked.size()).isGreaterThanOrEqualTo(24_000);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Set<Long> delivered = new HashSet<>();
    while (System.nanoTime() < deadline) {
      delivered.clear();
      for (LokiFixture.Entry e : loki.entries()) {
        delivered.add(JSON.readTree(e.line()).get("test.id").asLong());
      }
      if (delivered.containsAll(acked)) {
        break;
      }
      Thread.sleep(200);
    }
    Set<Long> missing = new HashSet<>(acked);
    missing.removeAll(delivered);
    assertThat(missing).as("acknowledged events missing after the outage").isEmpty();
  }

  private static byte[] batchOf100(long n) {
    var scope = io.opentelemetry.proto.logs.v1.ScopeLogs.newBuilder();
    long now = System.currentTimeMillis() * 1_000_000L;
    for (int i = 0; i < 100; i++) {
      scope.addLogRecords(
          io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
              .setTimeUnixNano(now + i)
              .setBody(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue("claude_code.tool_result"))
              .addAttributes(kv("event.name", "tool_result"))
              .addAttributes(kv("tool_name", "Bash"))
              .addAttributes(io.opentelemetry.proto.common.v1.KeyValue.newBuilder().setKey("test.id")
                  .setValue(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setIntValue(n * 100 + i))));
    }
    return io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(io.opentelemetry.proto.logs.v1.ResourceLogs.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(kv("service.name", "claude-code")))
            .addScopeLogs(scope))
        .build()
        .toByteArray();
  }

  private static io.opentelemetry.proto.common.v1.KeyValue kv(String k, String v) {
    return io.opentelemetry.proto.common.v1.KeyValue.newBuilder()
        .setKey(k)
        .setValue(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue(v))
        .build();
  }
}

package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.testkit.PromText;
import io.ccotel.gateway.testkit.loki.LokiFixture;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durable delivery under crashes: the packaged gateway runs as its own process with durability
 * on, a client sends events and delta metrics over OTLP/HTTP (retrying each request until it is
 * acknowledged, as OTLP clients do), and the gateway is killed with SIGKILL at random moments,
 * five times, and restarted each time. Afterwards every acknowledged event is in the Loki fixture
 * (at least once), and the Prometheus totals equal exactly what was acknowledged: the log replays
 * into the restored Prometheus state, and a retry of an already-applied request is not counted
 * again.
 */
class GatewayCrashIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static final Resource RESOURCE =
      Resource.newBuilder().addAttributes(kv("service.name", "claude-code")).addAttributes(kv("team.id", "platform")).build();

  /** Request n: 10 api_request events with ids n*10 .. n*10+9. */
  static byte[] logsRequest(long n, long nowNanos) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder().setScope(InstrumentationScope.newBuilder().setName("com.anthropic.claude_code.events"));
    for (int i = 0; i < 10; i++) {
      long id = n * 10 + i;
      scope.addLogRecords(
          LogRecord.newBuilder()
              .setTimeUnixNano(nowNanos + i)
              .setObservedTimeUnixNano(nowNanos + i)
              .setBody(AnyValue.newBuilder().setStringValue("claude_code.api_request"))
              .addAttributes(kv("event.name", "api_request"))
              .addAttributes(kv("model", "claude-opus-5-5"))
              .addAttributes(kv("session.id", "crash-session"))
              .addAttributes(KeyValue.newBuilder().setKey("test.id").setValue(AnyValue.newBuilder().setIntValue(id))));
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().setResource(RESOURCE).addScopeLogs(scope))
        .build()
        .toByteArray();
  }

  /** Request n: one delta point of n+1 input tokens, its own [start, end) interval. */
  static byte[] metricsRequest(long n) {
    long base = 1_795_600_000_000_000_000L + n * 1_000_000_000L;
    NumberDataPoint p =
        NumberDataPoint.newBuilder()
            .setStartTimeUnixNano(base)
            .setTimeUnixNano(base + 1_000_000_000L)
            .setAsDouble(n + 1)
            .addAttributes(kv("user.id", "crash-dev"))
            .addAttributes(kv("session.id", "crash-session"))
            .addAttributes(kv("type", "input"))
            .addAttributes(kv("model", "claude-opus-5-5"))
            .build();
    Metric m =
        Metric.newBuilder()
            .setName("claude_code.token.usage")
            .setUnit("tokens")
            .setSum(Sum.newBuilder().setIsMonotonic(true).setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA).addDataPoints(p))
            .build();
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().setResource(RESOURCE).addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m)))
        .build()
        .toByteArray();
  }

  private boolean post(int port, String path, byte[] body) {
    try {
      HttpResponse<byte[]> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(5))
                  .header("Content-Type", "application/x-protobuf")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      // 200 with an empty body: everything accepted (a partial success would carry a message).
      return r.statusCode() == 200 && r.body().length == 0;
    } catch (IOException e) {
      return false; // the gateway is down (killed): retry
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private record Running(Process process, List<String> stderr) {}

  private static Running start(Path config) throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-jar", "target/gateway.jar", "run", "--config", config.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    List<String> stderr = new CopyOnWriteArrayList<>();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          stderr.add(line);
        }
      } catch (IOException ignored) {
        // process gone
      }
    });
    t.setDaemon(true);
    t.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stderr.stream().noneMatch(l -> l.contains("Gateway ready"))) {
      assertThat(p.isAlive()).as("gateway exited: %s", stderr).isTrue();
      assertThat(System.nanoTime()).as("not ready: %s", stderr).isLessThan(deadline);
      Thread.sleep(20);
    }
    return new Running(p, stderr);
  }

  @Test
  void everyAcknowledgedEventAndCounterSurvivesFiveKillMinusNine(@TempDir Path dir) throws Exception {
    try (LokiFixture loki = LokiFixture.start()) {
      loki.unorderedWrites(true);
      int http = freePort();
      int grpc = freePort();
      int prom = freePort();
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(
          config,
          """
          receivers:
            otlp_grpc: {endpoint: "127.0.0.1:%d"}
            otlp_http: {endpoint: "127.0.0.1:%d"}
          exporters:
            prometheus: {endpoint: "127.0.0.1:%d", state_file: "%s", state_checkpoint_interval: 1s}
            loki: {endpoint: "%s", batch_linger: 100ms}
          pipelines:
            metrics: {exporters: [prometheus]}
            logs: {exporters: [loki]}
          durability:
            enabled: true
            dir: "%s"
            fsync: always
          """.formatted(grpc, http, prom, dir.resolve("prometheus.state"), loki.endpoint(), dir.resolve("log")));

      AtomicBoolean sending = new AtomicBoolean(true);
      AtomicLong logRequests = new AtomicLong();
      AtomicLong metricRequests = new AtomicLong();
      Set<Long> ackedEvents = ConcurrentHashMap.newKeySet();
      AtomicLong ackedTokens = new AtomicLong();
      Thread sender = new Thread(() -> {
        long n = 0;
        while (sending.get()) {
          byte[] logs = logsRequest(n, System.currentTimeMillis() * 1_000_000L);
          byte[] metrics = metricsRequest(n);
          // Like an OTLP client: retry the same request until it is acknowledged.
          while (!post(http, "/v1/logs", logs)) {
            sleep(20);
          }
          for (int i = 0; i < 10; i++) {
            ackedEvents.add(n * 10 + i);
          }
          logRequests.incrementAndGet();
          while (!post(http, "/v1/metrics", metrics)) {
            sleep(20);
          }
          ackedTokens.addAndGet(n + 1);
          metricRequests.incrementAndGet();
          n++;
          sleep(5);
        }
      }, "crash-test-client");

      Random random = new Random(42);
      Running gw = start(config);
      sender.start();
      for (int kill = 0; kill < 5; kill++) {
        Thread.sleep(700 + random.nextInt(900));
        gw.process().toHandle().destroyForcibly(); // SIGKILL
        assertThat(gw.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        gw = start(config);
      }
      Thread.sleep(500);
      sending.set(false);
      sender.join(30_000);
      assertThat(sender.isAlive()).isFalse();
      assertThat(logRequests.get()).as("requests acknowledged across the crashes").isGreaterThan(20);

      try {
        // Every acknowledged event reaches Loki (at least once).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<Long> delivered = new HashSet<>();
        while (true) {
          delivered.clear();
          for (LokiFixture.Entry e : loki.entries()) {
            JsonNode line = JSON.readTree(e.line());
            delivered.add(line.get("test.id").asLong());
          }
          if (delivered.containsAll(ackedEvents) || System.nanoTime() > deadline) {
            break;
          }
          Thread.sleep(100);
        }
        Set<Long> missing = new HashSet<>(ackedEvents);
        missing.removeAll(delivered);
        assertThat(missing).as("acknowledged events missing from Loki (of %d)", ackedEvents.size()).isEmpty();

        // Prometheus: exactly the acknowledged sum, no loss and no double count.
        String text =
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prom + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        double tokens = PromText.sum(PromText.parse(text), "claude_code_token_usage_tokens_total", Map.of("user_id", "crash-dev"));
        assertThat(tokens).isEqualTo((double) ackedTokens.get());
      } finally {
        gw.process().toHandle().destroy();
        gw.process().waitFor(30, TimeUnit.SECONDS);
      }
      assertThat(gw.process().exitValue()).as("clean stop after the test: %s", gw.stderr()).isZero();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

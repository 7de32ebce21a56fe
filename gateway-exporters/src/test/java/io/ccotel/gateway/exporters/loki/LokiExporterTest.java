package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

/** The exporter's batching, answers and retries, against a scripted transport and a fake clock. */
class LokiExporterTest {
  private static final String BASIC = "http-protobuf/basic/0001-http-logs.bin";
  private static final URI ENDPOINT = URI.create("http://loki.test:3100");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final TestClock clock = TestClock.at("2026-11-25T12:45:00Z");
  private final GatewayMetrics gatewayMetrics = new GatewayMetrics(registry, clock);
  private final AtomicLong ticker = new AtomicLong(1_000_000_000L);
  private final List<Long> sleeps = new ArrayList<>();
  private final FakeTransport transport = new FakeTransport();
  private LokiExporter exporter;

  /** Answers from a script (default 204) and keeps every request. */
  final class FakeTransport implements LokiTransport {
    record Sent(long atNanos, Map<String, String> headers, byte[] body) {}

    final List<Sent> sent = new ArrayList<>();
    final Deque<Object> script = new ArrayDeque<>();
    volatile CountDownLatch gate;
    Object always;

    synchronized FakeTransport then(Object answer) {
      script.add(answer);
      return this;
    }

    @Override
    public Response post(URI uri, Map<String, String> headers, byte[] body, Duration timeout)
        throws IOException, InterruptedException {
      assertThat(uri).isEqualTo(URI.create("http://loki.test:3100/loki/api/v1/push"));
      CountDownLatch g = gate;
      if (g != null) {
        g.await();
      }
      Object answer;
      synchronized (this) {
        sent.add(new Sent(ticker.get(), Map.copyOf(headers), body.clone()));
        answer = script.isEmpty() ? (always != null ? always : new Response(204, "", "")) : script.poll();
      }
      if (answer instanceof IOException e) {
        throw e;
      }
      return (Response) answer;
    }

    synchronized List<Sent> sent() {
      return List.copyOf(sent);
    }
  }

  private LokiExporter start(LokiExporterConfig config) {
    ExporterSettings settings = new ExporterSettings("loki", gatewayMetrics, clock);
    exporter =
        new LokiExporter(
            settings, config, transport, ticker::get,
            nanos -> {
              synchronized (sleeps) {
                sleeps.add(nanos);
              }
              ticker.addAndGet(nanos);
              Thread.sleep(1);
            },
            () -> 0.5);
    exporter.start();
    return exporter;
  }

  private static LokiExporterConfig.Builder config() {
    return LokiExporterConfig.builder(ENDPOINT).batchLinger(Duration.ZERO);
  }

  @AfterEach
  void stop() {
    if (exporter != null) {
      exporter.shutdown(Duration.ofSeconds(1));
    }
  }

  private double counter(String name, String... tags) {
    var search = registry.find(name).tag("exporter", "loki");
    for (int i = 0; i < tags.length; i += 2) {
      search = search.tag(tags[i], tags[i + 1]);
    }
    var c = search.counter();
    return c == null ? 0 : c.count();
  }

  private static List<LokiPushEncoderTest.Decoded> protobufEntries(byte[] body) throws IOException {
    return LokiPushEncoderTest.decode(Snappy.uncompress(body));
  }

  @Test
  void pushesSnappyProtobufWithTenantAndBasicAuth() throws Exception {
    start(config().tenant("team-a").auth(LokiExporterConfig.Auth.basic("gw", "p:w")).build());

    exporter.export(Fixtures.logs(BASIC));
    assertThat(exporter.flush(Duration.ofSeconds(5))).isTrue();

    assertThat(transport.sent()).hasSize(1);
    FakeTransport.Sent s = transport.sent().get(0);
    assertThat(s.headers())
        .containsEntry("Content-Type", "application/x-protobuf")
        .containsEntry("X-Scope-OrgID", "team-a")
        .containsEntry("Authorization", "Basic " + Base64.getEncoder().encodeToString("gw:p:w".getBytes(StandardCharsets.UTF_8)))
        .doesNotContainKey("Content-Encoding");
    List<LokiPushEncoderTest.Decoded> entries = protobufEntries(s.body());
    assertThat(entries).hasSize(30);
    assertThat(entries.stream().map(LokiPushEncoderTest.Decoded::labels).distinct())
        .containsExactly(
            "{event_name=\"managed_settings_resolved\", service_name=\"claude-code\"}",
            "{event_name=\"plugin_loaded\", service_name=\"claude-code\"}",
            "{event_name=\"user_prompt\", service_name=\"claude-code\"}",
            "{event_name=\"tool_decision\", service_name=\"claude-code\"}",
            "{event_name=\"api_request\", service_name=\"claude-code\"}",
            "{event_name=\"assistant_response\", service_name=\"claude-code\"}",
            "{event_name=\"tool_result\", service_name=\"claude-code\"}");
    assertThat(counter("gateway.loki.sent.entries")).isEqualTo(30);
    assertThat(counter("gateway.loki.requests", "status", "204")).isEqualTo(1);
    assertThat(exporter.pendingEntries()).isZero();
  }

  @Test
  void pushesGzippedJsonWithBearerToken() throws Exception {
    start(config()
        .encoding(LokiExporterConfig.Encoding.JSON)
        .compression(LokiExporterConfig.Compression.GZIP)
        .auth(LokiExporterConfig.Auth.bearer("tok"))
        .structuredMetadata(true)
        .build());

    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    FakeTransport.Sent s = transport.sent().get(0);
    assertThat(s.headers())
        .containsEntry("Content-Type", "application/json")
        .containsEntry("Content-Encoding", "gzip")
        .containsEntry("Authorization", "Bearer tok")
        .doesNotContainKey("X-Scope-OrgID");
    String json;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(s.body()))) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(json).startsWith("{\"streams\":[{\"stream\":{\"event_name\":\"managed_settings_resolved\",\"service_name\":\"claude-code\"},"
        + "\"values\":[[\"1795610462091000000\",\"{\\\"body\\\":\\\"claude_code.managed_settings_resolved\\\",");
    assertThat(json).contains(",{\"session_id\":\"ed1d3fc4-2039-4bd2-8e55-9a3c01234ca7\",\"user_id\":\"9b45");
  }

  @Test
  void batchesAreSplitByEntriesAndBytes() throws Exception {
    start(config().batchMaxEntries(10).build());
    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));
    assertThat(transport.sent()).hasSize(3);

    transport.sent.clear();
    exporter.shutdown(Duration.ofSeconds(1));
    start(config().batchMaxBytes(4096).maxLineBytes(1024).build());
    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    int total = 0;
    for (FakeTransport.Sent s : transport.sent()) {
      List<LokiPushEncoderTest.Decoded> entries = protobufEntries(s.body());
      long bytes = entries.stream().mapToLong(e -> e.line().getBytes(StandardCharsets.UTF_8).length).sum()
          + entries.stream().map(LokiPushEncoderTest.Decoded::labels).distinct().mapToLong(String::length).sum();
      assertThat(bytes).isLessThanOrEqualTo(4096);
      total += entries.size();
    }
    assertThat(transport.sent().size()).isGreaterThanOrEqualTo(30 * 700 / 4096);
    assertThat(total).isEqualTo(30);
  }

  @Test
  void entriesOfAStreamAreSortedByTimestamp() throws Exception {
    start(config().build());
    LogRecord late = record(3_000, "a");
    LogRecord early = record(1_000, "b");
    LogRecord middle = record(2_000, "c");
    exporter.export(new LogsBatch(List.of(late, early, middle)));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(protobufEntries(transport.sent().get(0).body()))
        .extracting(LokiPushEncoderTest.Decoded::nanos)
        .containsExactly(1_000, 2_000, 3_000);
  }

  @Test
  void lingerSealsAfterTheConfiguredTime() throws Exception {
    ExporterSettings settings = new ExporterSettings("loki", gatewayMetrics, clock);
    exporter =
        new LokiExporter(settings, config().batchLinger(Duration.ofMillis(200)).build(), transport, System::nanoTime, n -> {}, () -> 0.5);
    exporter.start();
    long t0 = System.nanoTime();
    exporter.export(new LogsBatch(List.of(record(1, "a"))));
    exporter.export(new LogsBatch(List.of(record(2, "b"))));

    await().atMost(Duration.ofSeconds(5)).until(() -> transport.sent().size() == 1);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    assertThat(protobufEntries(transport.sent().get(0).body())).hasSize(2);
  }

  @Test
  void tenantFromAttributeBatchesPerTenant() throws Exception {
    start(config().tenant("fallback").tenantFromAttribute("team.id").build());
    exporter.export(new LogsBatch(List.of(
        withAttr("team.id", "blue"), withAttr("team.id", "red team"), withAttr("other", "x"), withAttr("team.id", "blue"))));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(transport.sent()).extracting(s -> s.headers().get("X-Scope-OrgID")).containsExactly("blue", "red_team", "fallback");
    assertThat(protobufEntries(transport.sent().get(0).body())).hasSize(2);
  }

  @Test
  void serverErrorsAreRetriedWithBackoff() throws Exception {
    transport.then(new LokiTransport.Response(500, "boom", "")).then(new LokiTransport.Response(503, "", ""))
        .then(new ConnectException("refused")).then(new HttpTimeoutException("slow"));
    start(config().build());

    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(transport.sent()).hasSize(5);
    assertThat(transport.sent()).extracting(FakeTransport.Sent::body).allSatisfy(b -> assertThat(b).isEqualTo(transport.sent().get(0).body()));
    // full jitter at 0.5 of min(30s, 500ms * 2^(n-1))
    assertThat(sleeps).containsExactly(250_000_000L, 500_000_000L, 1_000_000_000L, 2_000_000_000L);
    assertThat(counter("gateway.loki.retries")).isEqualTo(4);
    assertThat(counter("gateway.loki.requests", "status", "500")).isEqualTo(1);
    assertThat(counter("gateway.loki.requests", "status", "503")).isEqualTo(1);
    assertThat(counter("gateway.loki.requests", "status", "network_error")).isEqualTo(1);
    assertThat(counter("gateway.loki.requests", "status", "timeout")).isEqualTo(1);
    assertThat(counter("gateway.loki.sent.entries")).isEqualTo(30);
  }

  @Test
  void retryAfterIsALowerBound() throws Exception {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(7).atZone(ZoneOffset.UTC));
    transport.then(new LokiTransport.Response(429, "slow down", "3")).then(new LokiTransport.Response(429, "", date));
    start(config().build());

    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(sleeps).containsExactly(3_000_000_000L, 7_000_000_000L);
    List<FakeTransport.Sent> sent = transport.sent();
    assertThat(sent.get(1).atNanos() - sent.get(0).atNanos()).isGreaterThanOrEqualTo(3_000_000_000L);
    assertThat(counter("gateway.loki.requests", "status", "429")).isEqualTo(2);
    assertThat(exporter.retryAfterNanos("garbage")).isZero();
    assertThat(exporter.retryAfterNanos("Tue, 24 Nov 2026 00:00:00 GMT")).isZero();
  }

  @Test
  void otherClientErrorsArePermanentAndCounted() throws Exception {
    transport.then(new LokiTransport.Response(400, "entry for stream '{a=\"b\"}' has timestamp too old\ntotal ignored: 2 out of 30", ""))
        .then(new LokiTransport.Response(401, "no org id", ""));
    start(config().build());

    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));
    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(transport.sent()).hasSize(2);
    assertThat(sleeps).isEmpty();
    assertThat(counter("gateway.loki.dropped.entries", "reason", "http_400")).isEqualTo(2);
    assertThat(counter("gateway.loki.dropped.entries", "reason", "http_401")).isEqualTo(30);
    assertThat(counter("gateway.loki.sent.entries")).isEqualTo(28);
    assertThat(counter("gateway.loki.retries")).isZero();
    assertThat(LokiExporter.ignoredEntries("x total ignored: 1 out of 3 ... total ignored: 4 out of 9", 10)).isEqualTo(5);
    assertThat(LokiExporter.ignoredEntries("total ignored: 99 out of 99", 10)).isEqualTo(10);
  }

  @Test
  void givesUpAfterMaxElapsed() throws Exception {
    transport.always = new LokiTransport.Response(503, "down", "");
    start(config().retry(new LokiExporterConfig.Retry(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(1))).build());

    exporter.export(Fixtures.logs(BASIC));
    assertThat(exporter.flush(Duration.ofSeconds(5))).isTrue();

    assertThat(counter("gateway.loki.dropped.entries", "reason", "gave_up")).isEqualTo(30);
    assertThat(sleeps.stream().mapToLong(Long::longValue).sum()).isLessThanOrEqualTo(60_000_000_000L);
    // 0.25 + 0.5 + 1 + 2 + 4 + 8 + 15 + 15 = 45.75 s waited; the next 15 s would pass the minute
    assertThat(transport.sent()).hasSize(9);
  }

  @Test
  void shutdownPushesWhatIsBatchedThenCountsTheRest() throws Exception {
    start(config().batchLinger(Duration.ofSeconds(30)).build());
    exporter.export(Fixtures.logs(BASIC));
    assertThat(transport.sent()).isEmpty();

    exporter.shutdown(Duration.ofSeconds(2));

    assertThat(transport.sent()).hasSize(1);
    assertThat(counter("gateway.loki.sent.entries")).isEqualTo(30);
    assertThatThrownBy(() -> exporter.export(Fixtures.logs(BASIC))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shutdownDeadlineDropsWhatLokiDidNotTake() throws Exception {
    transport.always = new LokiTransport.Response(503, "", "");
    start(config().retry(new LokiExporterConfig.Retry(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ZERO)).build());
    exporter.export(Fixtures.logs(BASIC));
    await().atMost(Duration.ofSeconds(5)).until(() -> transport.sent().size() >= 2);

    exporter.shutdown(Duration.ofMillis(500));

    assertThat(counter("gateway.loki.dropped.entries", "reason", "shutdown")).isEqualTo(30);
    assertThat(counter("gateway.loki.sent.entries")).isZero();
    assertThat(exporter.pendingEntries()).isZero();
  }

  @Test
  void exportBlocksWhileLokiIsSlow() throws Exception {
    transport.gate = new CountDownLatch(1);
    start(config().build());
    LogsBatch one = new LogsBatch(List.of(record(1, "a")));
    for (int i = 0; i <= LokiExporter.MAX_READY_BATCHES; i++) {
      exporter.export(one); // one in flight, four waiting
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> exporter.pendingEntries() == LokiExporter.MAX_READY_BATCHES + 1);
    Thread blocked = new Thread(() -> {
      try {
        exporter.export(one);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    blocked.start();
    blocked.join(300);
    assertThat(blocked.isAlive()).isTrue();

    transport.gate.countDown();
    blocked.join(5000);
    assertThat(blocked.isAlive()).isFalse();
    assertThat(exporter.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(counter("gateway.loki.sent.entries")).isEqualTo(LokiExporter.MAX_READY_BATCHES + 2);
  }

  @Test
  void metricsAsPrometheusShowsThem() throws Exception {
    transport.then(new LokiTransport.Response(400, "bad", "")).then(new LokiTransport.Response(500, "", ""));
    start(config().maxLineBytes(1024).build());
    exporter.export(new LogsBatch(List.of(withAttr("prompt", "p".repeat(5000)))));
    exporter.flush(Duration.ofSeconds(5));
    exporter.export(Fixtures.logs(BASIC));
    exporter.flush(Duration.ofSeconds(5));

    assertThat(registry.scrape())
        .contains("gateway_loki_sent_entries_total{exporter=\"loki\"} 30.0")
        .contains("gateway_loki_dropped_entries_total{exporter=\"loki\",reason=\"http_400\"} 1.0")
        .contains("gateway_loki_requests_total{exporter=\"loki\",status=\"400\"} 1.0")
        .contains("gateway_loki_requests_total{exporter=\"loki\",status=\"500\"} 1.0")
        .contains("gateway_loki_requests_total{exporter=\"loki\",status=\"204\"} 1.0")
        .contains("gateway_loki_retries_total{exporter=\"loki\"} 1.0")
        .contains("gateway_loki_truncated_lines_total{exporter=\"loki\"} 1.0")
        .contains("gateway_loki_pending_entries{exporter=\"loki\"} 0.0")
        .contains("gateway_loki_dropped_entries_total{exporter=\"loki\",reason=\"gave_up\"} 0.0");
  }

  @Test
  void misuseIsRefused() {
    ExporterSettings settings = new ExporterSettings("loki", gatewayMetrics, clock);
    LokiExporter idle = new LokiExporter(settings, config().build(), transport, ticker::get, n -> {}, () -> 0.5);
    assertThatThrownBy(() -> idle.export(new LogsBatch(List.of(record(1, "a")))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Loki exporter loki is not started");
    assertThatThrownBy(() -> idle.export(new MetricsBatch(List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the Loki exporter takes logs only, got metrics");
    idle.shutdown(Duration.ZERO);
    idle.shutdown(Duration.ZERO);
  }

  private static LogRecord record(long timeNanos, String marker) {
    return new LogRecord(
        Resource.of(Attributes.of("service.name", "claude-code")), Scope.empty(), timeNanos, 0, 0, "", null,
        Attributes.of("event.name", "e", "m", marker), "", "", "", 0, 0);
  }

  private static LogRecord withAttr(String key, String value) {
    return new LogRecord(
        Resource.of(Attributes.of("service.name", "claude-code")), Scope.empty(), 5, 0, 0, "", null,
        Attributes.of("event.name", "e", key, value), "", "", "", 0, 0);
  }
}

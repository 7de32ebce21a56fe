package io.ccotel.gateway.testkit.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.exporters.loki.LokiExporter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the exporter does when Loki is slow, broken, refusing or gone, against the fixture. */
class LokiFaultsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);

  private LokiHarness h;
  private LogsBatch basic;

  @BeforeEach
  void start() throws Exception {
    h = LokiHarness.start();
    basic = Captures.allLogs("http-protobuf/basic");
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private void assertDeliveredOnce(int expected) {
    List<LokiFixture.Entry> entries = h.loki.entries();
    assertThat(entries).hasSize(expected);
    assertThat(new HashSet<>(entries)).hasSize(expected);
  }

  @Test
  void retryAfterSecondsIsHonoured() throws Exception {
    h.loki.answer429(Duration.ofSeconds(1));
    LokiExporter e = h.exporter(h.config().build());

    e.export(basic);
    await().atMost(WAIT).until(() -> h.loki.requests().size() == 1);
    h.loki.normal();
    assertThat(e.flush(WAIT)).isTrue();

    List<LokiFixture.Request> requests = h.loki.requests();
    assertThat(requests).extracting(LokiFixture.Request::status).containsExactly(429, 204);
    assertThat(requests.get(0).answer()).startsWith("Ingestion rate limit exceeded for user fake");
    long gap = requests.get(1).receivedNanos() - requests.get(0).answeredNanos();
    assertThat(gap).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
    assertDeliveredOnce(30);
    assertThat(h.counter("gateway.loki.requests", "status", "429")).isEqualTo(1);
    assertThat(h.counter("gateway.loki.retries")).isEqualTo(1);
  }

  @Test
  void retryAfterHttpDateIsHonoured() throws Exception {
    Instant notBefore = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
    h.loki.answer429(DateTimeFormatter.RFC_1123_DATE_TIME.format(notBefore.atZone(ZoneOffset.UTC)));
    LokiExporter e = h.exporter(h.config().build());

    e.export(basic);
    await().atMost(WAIT).until(() -> h.loki.requests().size() == 1);
    h.loki.normal();
    assertThat(e.flush(WAIT)).isTrue();

    List<LokiFixture.Request> requests = h.loki.requests();
    assertThat(requests).extracting(LokiFixture.Request::status).containsExactly(429, 204);
    assertThat(requests.get(1).receivedAt()).isAfterOrEqualTo(notBefore);
    assertDeliveredOnce(30);
  }

  @Test
  void serverErrorsAreRetriedAndEveryEntryArrivesOnce() throws Exception {
    h.loki.failNext(3, 500);
    LokiExporter e = h.exporter(h.config().build());

    e.export(basic);
    assertThat(e.flush(WAIT)).isTrue();

    assertThat(h.loki.requests()).extracting(LokiFixture.Request::status).containsExactly(500, 500, 500, 204);
    assertDeliveredOnce(30);
    assertThat(h.counter("gateway.loki.requests", "status", "500")).isEqualTo(3);
    assertThat(h.counter("gateway.loki.retries")).isEqualTo(3);
    assertThat(h.counter("gateway.loki.sent.entries")).isEqualTo(30);
  }

  @Test
  void lokiRefusingEntriesIsPermanentAndCounted() throws Exception {
    // A week and a day after the run: Loki's reject_old_samples refuses every entry.
    h.loki.clock(Clock.fixed(LokiHarness.CAPTURE_TIME.plus(Duration.ofDays(8)), ZoneOffset.UTC));
    LokiExporter e = h.exporter(h.config().build());

    e.export(basic);
    assertThat(e.flush(WAIT)).isTrue();
    Thread.sleep(300); // a retry would come within the 50-400 ms backoff

    assertThat(h.loki.requests()).hasSize(1);
    LokiFixture.Request r = h.loki.requests().get(0);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.answer())
        .startsWith("entry for stream '{event_name=\"managed_settings_resolved\", service_name=\"claude-code\"}' has timestamp"
            + " too old: 2026-11-25T12:41:02.091Z, oldest acceptable timestamp is: 2026-11-26T13:00:00Z")
        .endsWith("user 'fake', total ignored: 30 out of 30\n");
    assertThat(h.counter("gateway.loki.dropped.entries", "reason", "http_400")).isEqualTo(30);
    assertThat(h.counter("gateway.loki.retries")).isZero();
    assertThat(h.loki.entries()).isEmpty();
  }

  @Test
  void lokiDownForAWhileThenUpGetsEverything() throws Exception {
    h.loki.down();
    LokiExporter e = h.exporter(h.config().build());

    e.export(basic);
    await().atMost(WAIT).until(() -> h.counter("gateway.loki.requests", "status", "network_error") >= 2);
    h.loki.up();
    assertThat(e.flush(WAIT)).isTrue();

    assertDeliveredOnce(30);
    assertThat(h.loki.requests()).extracting(LokiFixture.Request::status).containsExactly(204);
    assertThat(h.counter("gateway.loki.retries")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aHangingLokiTimesOutAndIsRetried() throws Exception {
    h.loki.hang();
    LokiExporter e = h.exporter(h.config().timeout(Duration.ofMillis(300)).build());

    e.export(basic);
    await().atMost(WAIT).until(() -> h.counter("gateway.loki.requests", "status", "timeout") >= 1);
    h.loki.normal();
    assertThat(e.flush(WAIT)).isTrue();

    assertDeliveredOnce(30);
    assertThat(h.loki.requests()).extracting(LokiFixture.Request::status).contains(0).endsWith(204);
  }

  @Test
  void aLineOver256KiBIsCutAndLokiTakesIt() throws Exception {
    String body = "{\"messages\":[\"" + "y".repeat(300 * 1024) + "\"]}";
    LogRecord big =
        new LogRecord(
            Resource.of(Attributes.of("service.name", "claude-code")), Scope.of("com.anthropic.claude_code.events", "2.1.328"),
            LokiHarness.CAPTURE_TIME.toEpochMilli() * 1_000_000L, 0, 0, "", "claude_code.api_request_body",
            Attributes.of("event.name", "api_request_body", "body", body, "body_length", Integer.toString(body.length())),
            "", "", "", 0, 0);
    LokiExporter e = h.exporter(h.config().build());

    e.export(new LogsBatch(List.of(big)));
    assertThat(e.flush(WAIT)).isTrue();

    LokiFixture.Entry stored = h.loki.entries().get(0);
    assertThat(stored.labels()).isEqualTo("{event_name=\"api_request_body\", service_name=\"claude-code\"}");
    assertThat(stored.line().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(256 * 1024);
    JsonNode line = JSON.readTree(stored.line());
    assertThat(line.get("body").textValue()).startsWith("{\"messages\":[\"yyy").containsPattern("…\\[truncated by gateway: \\d+ bytes\\]$");
    assertThat(line.get("body_length").intValue()).isEqualTo(body.length());
    assertThat(line.get("truncated").booleanValue()).isTrue();
    assertThat(h.counter("gateway.loki.truncated.lines")).isEqualTo(1);
  }

  @Test
  void batchesAreSplitByBytes() throws Exception {
    LokiExporter e = h.exporter(h.config().batchMaxBytes(8 * 1024).maxLineBytes(4 * 1024).batchLinger(Duration.ofSeconds(10)).build());

    e.export(basic);
    assertThat(e.flush(WAIT)).isTrue();

    List<LokiFixture.Request> requests = h.loki.requests();
    assertThat(requests.size()).isGreaterThanOrEqualTo(3);
    assertThat(requests).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(204);
      assertThat(r.lineBytes()).isLessThanOrEqualTo(8 * 1024);
    });
    assertThat(requests.stream().mapToInt(LokiFixture.Request::entries).sum()).isEqualTo(30);
    assertDeliveredOnce(30);
  }

  @Test
  void shutdownFlushesWhatIsBatched() throws Exception {
    LokiExporter e = h.exporter(h.config().batchLinger(Duration.ofSeconds(30)).build());
    e.export(basic);
    assertThat(h.loki.requests()).isEmpty();

    e.shutdown(Duration.ofSeconds(5));

    assertDeliveredOnce(30);
  }
}

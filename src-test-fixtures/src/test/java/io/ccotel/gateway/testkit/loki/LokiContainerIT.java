package io.ccotel.gateway.testkit.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.loki.LokiExporter;
import io.ccotel.gateway.exporters.loki.LokiExporterConfig;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The Loki exporter against a real Loki 3 ({@code grafana/loki}, its default single-binary config;
 * override the image with {@code -Dloki.image=grafana/loki:3.x.y}), started by Testcontainers.
 * Pushes the captured CLI events (timestamps moved to the last minutes, as Loki refuses week-old
 * entries) once as snappy protobuf and once as JSON, then reads them back with LogQL over {@code
 * /loki/api/v1/query_range}. Skipped, with Testcontainers saying why, where no Docker engine is
 * reachable. Runs in {@code mvn verify} (failsafe).
 */
@Testcontainers(disabledWithoutDocker = true)
class LokiContainerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Container
  static final GenericContainer<?> LOKI =
      new GenericContainer<>(DockerImageName.parse(System.getProperty("loki.image", "grafana/loki:3.5.0")))
          .withExposedPorts(3100)
          .waitingFor(Wait.forHttp("/ready").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(3)));

  private static URI base() {
    return URI.create("http://" + LOKI.getHost() + ":" + LOKI.getMappedPort(3100));
  }

  /** The records with their times moved so that the last one is a minute ago, order kept. */
  private static LogsBatch recent(LogsBatch batch, Instant lastAt) {
    long last = batch.records().stream().mapToLong(LogRecord::effectiveTimeNanos).max().orElseThrow();
    long target = lastAt.getEpochSecond() * 1_000_000_000L + lastAt.getNano();
    List<LogRecord> out = new ArrayList<>();
    for (LogRecord r : batch.records()) {
      long t = r.effectiveTimeNanos() - last + target;
      out.add(new LogRecord(r.resource(), r.scope(), t, t, r.severityNumber(), r.severityText(), r.body(), r.attributes(),
          r.eventName(), r.traceId(), r.spanId(), r.flags(), r.droppedAttributesCount()));
    }
    return new LogsBatch(out);
  }

  private static JsonNode queryRange(String logql) throws Exception {
    Instant end = Instant.now().plusSeconds(5);
    String url = base() + "/loki/api/v1/query_range?query=" + URLEncoder.encode(logql, StandardCharsets.UTF_8)
        + "&start=" + end.minus(Duration.ofHours(1)).getEpochSecond() + "&end=" + end.getEpochSecond() + "&step=60s&limit=1000";
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("query %s answered %s", logql, r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("data");
  }

  /** The last value of each series of a metric query, by the value of one label. */
  private static Map<String, Double> lastValues(JsonNode data, String label) {
    Map<String, Double> out = new TreeMap<>();
    for (JsonNode series : data.path("result")) {
      JsonNode values = series.path("values");
      out.put(series.path("metric").path(label).asText(""), values.get(values.size() - 1).get(1).asDouble());
    }
    return out;
  }

  private LokiExporter exporter(LokiExporterConfig.Encoding encoding) {
    LokiExporterConfig config =
        LokiExporterConfig.builder(base())
            .encoding(encoding)
            .structuredMetadata(true)
            .batchLinger(Duration.ofMillis(50))
            .retry(new LokiExporterConfig.Retry(Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofMinutes(1)))
            .build();
    LokiExporter e = new LokiExporter(new ExporterSettings("loki/" + encoding, GatewayMetrics.noop(), Clock.systemUTC()), config);
    e.start();
    return e;
  }

  @Test
  void capturedEventsCanBeQueriedWithLogQl() throws Exception {
    Instant lastAt = Instant.now().minusSeconds(60);
    LogsBatch protobufRun = recent(Captures.allLogs("http-protobuf/basic"), lastAt);
    LogsBatch jsonRun = recent(Captures.allLogs("grpc/basic"), lastAt.minusSeconds(120));
    String session = protobufRun.records().get(0).attributes().getString("session.id");

    LokiExporter viaProtobuf = exporter(LokiExporterConfig.Encoding.PROTOBUF);
    LokiExporter viaJson = exporter(LokiExporterConfig.Encoding.JSON);
    try {
      viaProtobuf.export(protobufRun);
      viaJson.export(jsonRun);
      assertThat(viaProtobuf.flush(Duration.ofSeconds(30))).isTrue();
      assertThat(viaJson.flush(Duration.ofSeconds(30))).isTrue();
    } finally {
      viaProtobuf.shutdown(Duration.ofSeconds(5));
      viaJson.shutdown(Duration.ofSeconds(5));
    }

    Map<String, Double> expected = new TreeMap<>();
    LokiExporterFixtureTest.BASIC_STREAMS.forEach(
        (labels, n) -> expected.put(labels.replaceAll("^\\{event_name=\"([a-z_]+)\".*", "$1"), 2.0 * n));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
        assertThat(lastValues(queryRange("sum by (event_name) (count_over_time({service_name=\"claude-code\"}[1h]))"), "event_name"))
            .isEqualTo(expected));

    Map<String, Double> cost =
        lastValues(queryRange(
            "sum(sum_over_time({service_name=\"claude-code\", event_name=\"api_request\"} | json | unwrap cost_usd [1h]))"), "");
    assertThat(cost.get("")).isCloseTo(2 * 0.1156824, org.assertj.core.data.Offset.offset(1e-6));

    // session.id is no label, but structured metadata: filterable without parsing the line.
    Map<String, Double> perSession =
        lastValues(queryRange("sum(count_over_time({service_name=\"claude-code\"} | session_id=\"" + session + "\" [1h]))"), "");
    assertThat(perSession.get("")).isEqualTo(30.0);
  }
}

package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.deltaCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PrometheusExporterTest {
  private static final long S = 1_000_000_000L;
  private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final TestClock clock = TestClock.at("2026-11-25T12:41:03Z");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<PrometheusExporter> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(e -> e.shutdown(Duration.ofSeconds(1)));
  }

  /** Defaults on a free port, without a state file (PersistenceTest has those). */
  static PrometheusExporterConfig.Builder local() {
    return PrometheusExporterConfig.builder().endpoint(HostPort.of("127.0.0.1", 0)).stateFile("");
  }

  private static PrometheusExporterConfig onFreePort(String path) {
    return local().path(path).build();
  }

  private PrometheusExporter exporter(String id, GatewayMetrics metrics, PrometheusExporterConfig config) {
    PrometheusExporter e = new PrometheusExporter(new ExporterSettings(id, metrics, clock), config);
    started.add(e);
    return e;
  }

  private HttpResponse<byte[]> get(PrometheusExporter e, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + e.boundAddress().getPort() + path))
        .timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesOpenMetricsOverHttpOnAFreePort() throws Exception {
    PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), onFreePort("/metrics"));
    e.start();
    e.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));

    assertThat(e.boundAddress().getPort()).isPositive();
    HttpResponse<byte[]> r = get(e, "/metrics", "Accept", OPENMETRICS);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue(OPENMETRICS);
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(body).isEqualTo(e.scrape(OPENMETRICS));
    assertThat(body)
        .contains("# TYPE claude_code_token_usage_tokens counter\n")
        .contains("type=\"input\",user_id=")
        .endsWith("# EOF\n");
  }

  @Test
  void gzipsWhenAskedAndDefaultsToTheTextFormat() throws Exception {
    PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), onFreePort("/metrics"));
    e.start();
    e.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));

    HttpResponse<byte[]> r = get(e, "/metrics", "Accept-Encoding", "gzip");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    String body;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(body).isEqualTo(e.scrape(null));
    assertThat(body).contains("claude_code_cost_usage_USD_total{").doesNotContain("# EOF");
  }

  @Test
  void servesOnTheConfiguredPathAndLogsWhere() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(PrometheusExporter.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    logger.setLevel(Level.INFO);
    try {
      PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), onFreePort("/custom/metrics"));
      e.start();

      HttpResponse<byte[]> r = get(e, "/custom/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("gateway_prometheus_series{exporter=\"prometheus\"} 0.0");
      assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
          .contains("Prometheus scrape endpoint on http://127.0.0.1:" + e.boundAddress().getPort() + "/custom/metrics");
    } finally {
      logger.detachAppender(logs);
      logger.setLevel(null);
    }
  }

  @Test
  void theGatewaysOwnMetricsShareTheEndpoint() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayMetrics metrics = new GatewayMetrics(registry, clock);
    metrics.request(Signal.METRICS, "http", "ok");
    PrometheusExporter e = exporter("prometheus", metrics, onFreePort("/metrics"));
    e.start();
    e.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));
    e.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin")); // a retry

    String body = new String(get(e, "/metrics").body(), StandardCharsets.UTF_8);

    assertThat(body)
        .contains("gateway_requests_total{outcome=\"ok\",signal=\"metrics\",transport=\"http\"} 1.0\n")
        .contains("gateway_prometheus_series{exporter=\"prometheus\"} 14.0\n") // 13 + target_info
        .contains("gateway_prometheus_duplicate_points_total{exporter=\"prometheus\"} 13.0\n")
        .contains("gateway_prometheus_rejected_points_total{exporter=\"prometheus\",reason=\"bucket_layout_changed\"} 0.0\n")
        .contains("claude_code_token_usage_tokens_total{");
    // Registered in the gateway's registry, not only served.
    assertThat(registry.get("gateway.prometheus.series").tag("exporter", "prometheus").gauge().value()).isEqualTo(14);
    assertThat(registry.scrape()).doesNotContain("claude_code_");
  }

  @Test
  void twoExportersInOneGatewayServeOnlyTheirOwnSeries() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayMetrics metrics = new GatewayMetrics(registry, clock);
    PrometheusExporter a = exporter("prometheus/a", metrics, onFreePort("/metrics"));
    PrometheusExporter b = exporter("prometheus/b", metrics, onFreePort("/metrics"));
    a.start();
    b.start();
    a.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));

    String fromB = new String(get(b, "/metrics").body(), StandardCharsets.UTF_8);
    assertThat(fromB)
        .doesNotContain("claude_code_")
        .contains("gateway_prometheus_series{exporter=\"prometheus/a\"} 14.0")
        .contains("gateway_prometheus_series{exporter=\"prometheus/b\"} 0.0");
    assertThat(a.scrape(null)).contains("claude_code_");
  }

  @Test
  void anOtlpMetricNamedLikeAGatewayMetricIsLeftOutNotBreakingTheScrape() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayMetrics metrics = new GatewayMetrics(registry, clock);
    metrics.request(Signal.METRICS, "http", "ok");
    PrometheusExporter e = exporter("prometheus", metrics, onFreePort("/metrics"));
    e.start();
    e.export(batch(
        deltaCounter("gateway.requests", point(S, 2 * S, 5, "outcome", "ok")),
        deltaCounter("fine.metric", point(S, 2 * S, 1))));

    HttpResponse<byte[]> r = get(e, "/metrics");
    String body = new String(r.body(), StandardCharsets.UTF_8);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(body)
        .contains("gateway_requests_total{outcome=\"ok\",signal=\"metrics\",transport=\"http\"} 1.0")
        .doesNotContain("gateway_requests_total{outcome=\"ok\"} 5.0")
        .contains("fine_metric_total 1.0");
  }

  @Test
  void shutdownIsSafeBeforeStartAndTwiceAndClosesThePort() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayMetrics metrics = new GatewayMetrics(registry, clock);
    PrometheusExporter never = exporter("never", metrics, onFreePort("/metrics"));
    assertThat(never.boundAddress()).isNull();
    never.shutdown(Duration.ofSeconds(1));
    never.shutdown(Duration.ofSeconds(1));
    never.start(); // after shutdown: stays stopped
    assertThat(never.boundAddress()).isNull();

    PrometheusExporter e = exporter("prometheus", metrics, onFreePort("/metrics"));
    e.start();
    e.start();
    int port = e.boundAddress().getPort();
    assertThat(get(e, "/metrics").statusCode()).isEqualTo(200);

    e.shutdown(Duration.ofSeconds(1));
    e.shutdown(Duration.ofSeconds(1));

    assertThatThrownBy(() -> http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(ConnectException.class);
    assertThat(registry.find("gateway.prometheus.series").meters()).isEmpty();
  }

  @Test
  void aBusyPortFailsStartWithTheEndpointInTheMessage() throws Exception {
    PrometheusExporter first = exporter("first", GatewayMetrics.noop(), onFreePort("/metrics"));
    first.start();
    int port = first.boundAddress().getPort();
    PrometheusExporter second = exporter("second", GatewayMetrics.noop(), local().endpoint(HostPort.of("127.0.0.1", port)).build());

    assertThatThrownBy(second::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Prometheus exporter second: cannot listen on 127.0.0.1:" + port);
  }

  @Test
  void idleSeriesExpireOnATimerNotOnlyWhenScraped() throws Exception {
    PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), local().seriesIdleTimeout(Duration.ofSeconds(2)).build());
    e.start();
    e.export(batch(deltaCounter("x", point(S, 2 * S, 1))));
    assertThat(e.seriesCount()).isEqualTo(2); // and target_info

    clock.advance(Duration.ofSeconds(3));

    await().atMost(Duration.ofSeconds(10)).until(() -> e.seriesCount() == 0);
    assertThat(e.scrape(null)).doesNotContain("x_total");
  }

  @Test
  void scrapesWhileExportingSeeConsistentCounters() throws Exception {
    PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), onFreePort("/metrics"));
    int batches = 2_000;
    Thread writer = new Thread(() -> {
      for (int i = 0; i < batches; i++) {
        e.export(batch(deltaCounter("x", point(i * S, (i + 1) * S, 1, "k", "v" + (i % 50)))));
      }
    });
    writer.start();
    double last = 0;
    while (writer.isAlive()) {
      double total = ClaudeCodeFixturesTest.samples(e.scrape(null)).entrySet().stream()
          .filter(en -> en.getKey().startsWith("x_total{")).mapToDouble(java.util.Map.Entry::getValue).sum();
      assertThat(total).isGreaterThanOrEqualTo(last);
      last = total;
    }
    writer.join();
    double total = ClaudeCodeFixturesTest.samples(e.scrape(null)).entrySet().stream()
        .filter(en -> en.getKey().startsWith("x_total{")).mapToDouble(java.util.Map.Entry::getValue).sum();
    assertThat(total).isEqualTo(batches);
    assertThat(e.seriesCount()).isEqualTo(51); // and target_info
  }

  @Test
  void scrapeAnswersProtobufAcceptWithText() {
    PrometheusExporter e = exporter("prometheus", GatewayMetrics.noop(), onFreePort("/metrics"));
    e.export(batch(deltaCounter("x", point(S, 2 * S, 1))));

    assertThat(e.scrape("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"))
        .contains("x_total 1.0");
    assertThat(e.supportedSignals()).containsExactly(Signal.METRICS);
    assertThat(e.id()).isEqualTo("prometheus");
    assertThat(e.seriesCount()).isEqualTo(2); // and target_info
  }
}

package io.ccotel.gateway.testkit.loki;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.loki.LokiExporter;
import io.ccotel.gateway.exporters.loki.LokiExporterConfig;
import io.ccotel.gateway.exporters.loki.LokiExporterFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LokiFixture} plus Loki exporters pointed at it. The fixture's clock is fixed shortly
 * after the captures were made, so Loki's "too old" check passes whatever day the tests run.
 */
final class LokiHarness implements AutoCloseable {
  static final Instant CAPTURE_TIME = Instant.parse("2026-11-25T13:00:00Z");

  final LokiFixture loki;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, Clock.systemUTC());
  private final List<LokiExporter> exporters = new ArrayList<>();

  private LokiHarness() throws IOException {
    loki = LokiFixture.start().clock(Clock.fixed(CAPTURE_TIME, ZoneOffset.UTC));
  }

  static LokiHarness start() throws IOException {
    return new LokiHarness();
  }

  /** Short linger, quick retries, no give-up: what the tests want unless they say otherwise. */
  LokiExporterConfig.Builder config() {
    return LokiExporterConfig.builder(loki.endpoint())
        .batchLinger(Duration.ofMillis(20))
        .retry(new LokiExporterConfig.Retry(Duration.ofMillis(50), Duration.ofMillis(400), Duration.ZERO))
        .timeout(Duration.ofSeconds(5));
  }

  /**
   * A started exporter, built by the factory as the gateway builds it. The previous one is shut
   * down first: they share the id "loki", and so their gauge.
   */
  LokiExporter exporter(LokiExporterConfig config) {
    for (LokiExporter old : exporters) {
      old.shutdown(Duration.ofSeconds(2));
    }
    LokiExporterFactory factory = new LokiExporterFactory();
    LokiExporter e =
        (LokiExporter) factory.create(new ExporterSettings("loki", metrics, Clock.systemUTC()), config);
    e.start();
    exporters.add(e);
    return e;
  }

  double counter(String name, String... tags) {
    Search s = registry.find(name).tag("exporter", "loki");
    for (int i = 0; i < tags.length; i += 2) {
      s = s.tag(tags[i], tags[i + 1]);
    }
    Counter c = s.counter();
    return c == null ? 0 : c.count();
  }

  @Override
  public void close() {
    for (LokiExporter e : exporters) {
      e.shutdown(Duration.ofSeconds(2));
    }
    loki.close();
  }
}

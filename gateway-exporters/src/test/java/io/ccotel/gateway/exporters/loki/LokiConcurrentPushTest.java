package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.TestClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code max_concurrent_pushes}: several pushes in flight, flush and shutdown still wait for all. */
class LokiConcurrentPushTest {
  private static final URI ENDPOINT = URI.create("http://loki.test:3100");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final TestClock clock = TestClock.at("2026-11-25T12:45:00Z");
  private LokiExporter exporter;

  /** Counts the pushes in flight; holds them at a gate. */
  static final class GatedTransport implements LokiTransport {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger posts = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);

    @Override
    public Response post(URI uri, Map<String, String> headers, byte[] body, Duration timeout) throws InterruptedException {
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      try {
        gate.await();
        posts.incrementAndGet();
        return new Response(204, "", "");
      } finally {
        inFlight.decrementAndGet();
      }
    }
  }

  private LokiExporter start(LokiExporterConfig config, LokiTransport transport) {
    ExporterSettings settings = new ExporterSettings("loki", new GatewayMetrics(registry, clock), clock);
    exporter = new LokiExporter(settings, config, transport, System::nanoTime, n -> Thread.sleep(1), () -> 0.5);
    exporter.start();
    return exporter;
  }

  @AfterEach
  void stop() {
    if (exporter != null) {
      exporter.shutdown(Duration.ofSeconds(1));
    }
  }

  private static LogsBatch one(long time) {
    return new LogsBatch(List.of(new LogRecord(Resource.of(Attributes.of("service.name", "claude-code")),
        Scope.empty(), time, 0, 0, "", null, Attributes.of("event.name", "e"), "", "", "", 0, 0)));
  }

  private double sent() {
    var c = registry.find("gateway.loki.sent.entries").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void upToTheLimitOfPushesAreInFlightAtOnce() throws Exception {
    GatedTransport transport = new GatedTransport();
    transport.gate = new CountDownLatch(1);
    start(LokiExporterConfig.builder(ENDPOINT).batchLinger(Duration.ZERO).maxConcurrentPushes(3).build(), transport);
    for (int i = 0; i < 6; i++) {
      exporter.export(one(i + 1)); // linger 0: one batch each
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> transport.inFlight.get() == 3);
    assertThat(exporter.flush(Duration.ofMillis(100))).as("nothing delivered yet").isFalse();
    assertThat(exporter.pendingEntries()).isEqualTo(6);

    transport.gate.countDown();
    assertThat(exporter.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(transport.posts.get()).isEqualTo(6);
    assertThat(transport.maxInFlight.get()).isEqualTo(3);
    assertThat(sent()).isEqualTo(6);
  }

  @Test
  void oneAtATimeByDefault() throws Exception {
    GatedTransport transport = new GatedTransport();
    start(LokiExporterConfig.builder(ENDPOINT).batchLinger(Duration.ZERO).build(), transport);
    for (int i = 0; i < 20; i++) {
      exporter.export(one(i + 1));
    }
    assertThat(exporter.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(transport.maxInFlight.get()).isEqualTo(1);
    assertThat(sent()).isEqualTo(20);
  }

  @Test
  void shutdownWaitsForEveryPushInFlight() throws Exception {
    GatedTransport transport = new GatedTransport();
    transport.gate = new CountDownLatch(1);
    start(LokiExporterConfig.builder(ENDPOINT).batchLinger(Duration.ZERO).maxConcurrentPushes(2).build(), transport);
    exporter.export(one(1));
    exporter.export(one(2));
    await().atMost(Duration.ofSeconds(5)).until(() -> transport.inFlight.get() == 2);
    new Thread(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      transport.gate.countDown();
    }).start();
    exporter.shutdown(Duration.ofSeconds(5));
    assertThat(sent()).isEqualTo(2);
    assertThat(exporter.pendingEntries()).isZero();
  }

  @Test
  void theLimitIsConfiguredAndChecked() {
    assertThat(LokiExporterConfig.defaults().maxConcurrentPushes()).isEqualTo(1);
    assertThat(LokiExporterConfig.parse(new ConfigNode("exporters.loki", Map.of("endpoint", "http://loki:3100")))
        .maxConcurrentPushes()).isEqualTo(1);
    assertThat(LokiExporterConfig.builder(ENDPOINT).maxConcurrentPushes(4).build().toBuilder().build()
        .maxConcurrentPushes()).isEqualTo(4);
    assertThatThrownBy(() -> LokiExporterConfig.builder(ENDPOINT).maxConcurrentPushes(0).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LokiExporterConfig.builder(ENDPOINT).maxConcurrentPushes(17).build())
        .isInstanceOf(IllegalArgumentException.class);
  }
}

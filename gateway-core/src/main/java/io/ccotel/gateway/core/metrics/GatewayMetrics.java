package io.ccotel.gateway.core.metrics;

import io.ccotel.gateway.core.model.Signal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The gateway's own metrics, {@code gateway_*} on /metrics. Counting is per request or per batch,
 * never a log line per data point.
 *
 * <p>Names as Prometheus shows them: {@code gateway_requests_total{signal,transport,outcome}},
 * {@code gateway_received_items_total{signal,transport}}, {@code
 * gateway_accepted_items_total{signal,transport}}, {@code
 * gateway_rejected_items_total{signal,transport,reason}}, {@code
 * gateway_exporter_sent_items_total{exporter,signal}}, {@code
 * gateway_exporter_failed_items_total{exporter,signal}}, {@code
 * gateway_exporter_refused_items_total{exporter,signal}} (queue full), {@code
 * gateway_exporter_queue_items{exporter}}, {@code gateway_exporter_queue_capacity_items{exporter}},
 * {@code gateway_last_received_timestamp_seconds{signal}}.
 *
 * <p>Thread-safe.
 */
public final class GatewayMetrics {
  private final MeterRegistry registry;
  private final Clock clock;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<Signal, AtomicLong> lastReceivedMillis = new EnumMap<>(Signal.class);

  public GatewayMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    for (Signal s : Signal.values()) {
      AtomicLong last = new AtomicLong();
      lastReceivedMillis.put(s, last);
      Gauge.builder("gateway.last.received.timestamp", last, a -> a.get() / 1000.0)
          .description("When the gateway last accepted an item of this signal (0 = never)")
          .baseUnit("seconds")
          .tag("signal", s.id())
          .register(registry);
    }
  }

  /** Metrics that go nowhere, for tests and tools. */
  public static GatewayMetrics noop() {
    return new GatewayMetrics(new SimpleMeterRegistry(), Clock.systemUTC());
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** One request answered: outcome is a short word such as ok, partial, invalid, retryable. */
  public void request(Signal signal, String transport, String outcome) {
    counter(
            "gateway.requests",
            "Requests answered, by outcome",
            "signal", signal.id(), "transport", transport, "outcome", outcome)
        .increment();
  }

  public void received(Signal signal, String transport, long items) {
    counter(
            "gateway.received.items",
            "Items (data points, log records, spans) decoded from requests",
            "signal", signal.id(), "transport", transport)
        .increment(items);
  }

  public void accepted(Signal signal, String transport, long items) {
    if (items > 0) {
      counter(
              "gateway.accepted.items",
              "Items acknowledged to the client",
              "signal", signal.id(), "transport", transport)
          .increment(items);
      lastReceivedMillis.get(signal).set(clock.millis());
    }
  }

  public void rejected(Signal signal, String transport, String reason, long items) {
    if (items > 0) {
      counter(
              "gateway.rejected.items",
              "Items refused, by reason",
              "signal", signal.id(), "transport", transport, "reason", reason)
          .increment(items);
    }
  }

  public void exported(String exporter, Signal signal, long items) {
    counter(
            "gateway.exporter.sent.items",
            "Items an exporter has delivered",
            "exporter", exporter, "signal", signal.id())
        .increment(items);
  }

  public void exportFailed(String exporter, Signal signal, long items) {
    counter(
            "gateway.exporter.failed.items",
            "Items an exporter failed to deliver and dropped",
            "exporter", exporter, "signal", signal.id())
        .increment(items);
  }

  public void refusedQueueFull(String exporter, Signal signal, long items) {
    counter(
            "gateway.exporter.refused.items",
            "Items refused because an exporter queue was full (the client was told to retry)",
            "exporter", exporter, "signal", signal.id())
        .increment(items);
  }

  public void queueGauges(String exporter, Supplier<Number> size, long capacity) {
    Gauge.builder("gateway.exporter.queue", size)
        .description("Items waiting in an exporter's queue")
        .baseUnit("items")
        .tag("exporter", exporter)
        .register(registry);
    Gauge.builder("gateway.exporter.queue.capacity", () -> capacity)
        .description("Capacity of an exporter's queue")
        .baseUnit("items")
        .tag("exporter", exporter)
        .register(registry);
  }

  /** Epoch millis of the last accepted item of this signal, 0 if none. */
  public long lastReceivedMillis(Signal signal) {
    return lastReceivedMillis.get(signal).get();
  }

  private Counter counter(String name, String help, String... tags) {
    String key = name + '|' + String.join("|", tags);
    return counters.computeIfAbsent(
        key, k -> Counter.builder(name).description(help).tags(tags).register(registry));
  }
}

package io.ccotel.gateway.exporters.loki;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The Loki exporter's own metrics, tagged {@code exporter=<id>}, as Prometheus shows them:
 *
 * <ul>
 *   <li>{@code gateway_loki_sent_entries_total}: entries Loki accepted (2xx);
 *   <li>{@code gateway_loki_dropped_entries_total{reason}}: entries given up on: {@code http_<code>}
 *       for a permanent answer (4xx other than 429; when Loki says how many entries of the push it
 *       ignored, only those), {@code gave_up} after {@code retry.max_elapsed}, {@code shutdown}
 *       when the shutdown deadline passed first, {@code error} for an unexpected failure;
 *   <li>{@code gateway_loki_requests_total{status}}: push requests by answer: the HTTP status
 *       code, or {@code network_error} / {@code timeout};
 *   <li>{@code gateway_loki_retries_total}: pushes retried;
 *   <li>{@code gateway_loki_truncated_lines_total}: lines shortened to {@code max_line_bytes};
 *   <li>{@code gateway_loki_pending_entries}: entries batched or being sent (gauge).
 * </ul>
 *
 * Thread-safe.
 */
final class LokiMetrics {
  private final MeterRegistry registry;
  private final String exporter;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final List<Meter> gauges = new ArrayList<>();
  private final Counter sent;
  private final Counter retries;
  private final Counter truncated;

  LokiMetrics(MeterRegistry registry, String exporter) {
    this.registry = registry;
    this.exporter = exporter;
    this.sent = counter("gateway.loki.sent.entries", "Entries Loki accepted");
    this.retries = counter("gateway.loki.retries", "Loki push requests retried (429, 5xx, network errors)");
    this.truncated = counter("gateway.loki.truncated.lines", "Lines the gateway shortened to max_line_bytes");
    // Shown at 0 from the start, so that an alert on them has a series to look at.
    dropped("gave_up", 0);
    dropped("shutdown", 0);
  }

  void pendingGauge(Supplier<Number> pending) {
    gauges.add(
        Gauge.builder("gateway.loki.pending.entries", pending)
            .description("Entries batched or being sent to Loki")
            .tag("exporter", exporter)
            .strongReference(true)
            .register(registry));
  }

  /** Removes the gauges (they refer to the exporter); the counters stay, as totals. */
  void close() {
    for (Meter m : gauges) {
      registry.remove(m);
    }
    gauges.clear();
  }

  void sent(long entries) {
    sent.increment(entries);
  }

  void dropped(String reason, long entries) {
    Counter c = counter("gateway.loki.dropped.entries", "Entries the Loki exporter gave up on, by reason", "reason", reason);
    if (entries > 0) {
      c.increment(entries);
    }
  }

  void request(String status) {
    counter("gateway.loki.requests", "Loki push requests, by answer", "status", status).increment();
  }

  void retry() {
    retries.increment();
  }

  void truncated() {
    truncated.increment();
  }

  private Counter counter(String name, String help, String... tags) {
    String key = name + '|' + String.join("|", tags);
    return counters.computeIfAbsent(
        key,
        k -> Counter.builder(name).description(help).tag("exporter", exporter).tags(tags).register(registry));
  }
}

package io.ccotel.gateway.http;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code max_connections}: counts the open connections and closes one beyond the cap as soon as it
 * is accepted (before TLS, before any byte is read). Each refusal is counted in {@code
 * gateway_connections_closed_total{transport="http",reason="max_connections"}}, and logged at most
 * once a minute. Thread-safe.
 */
final class ConnectionLimit {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimit.class);
  private static final long LOG_INTERVAL_MILLIS = 60_000;

  private final int max;
  private final GatewayMetrics metrics;
  private final Clock clock;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong nextLogMillis = new AtomicLong(Long.MIN_VALUE);

  ConnectionLimit(int max, GatewayMetrics metrics, Clock clock) {
    this.max = max;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** True if the new connection may stay; false if it was closed (and counted). */
  boolean admit(Channel ch) {
    if (max <= 0) {
      return true;
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      closed(metrics, "max_connections");
      long now = clock.millis();
      long next = nextLogMillis.get();
      if (now >= next && nextLogMillis.compareAndSet(next, now + LOG_INTERVAL_MILLIS)) {
        log.warn("OTLP/HTTP receiver: {} connections open, closing new ones"
            + " (receivers.otlp_http.max_connections; counted in gateway_connections_closed_total)", max);
      }
      ch.close();
      return false;
    }
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  int open() {
    return open.get();
  }

  /** {@code gateway_connections_closed_total{transport="http",reason}}. */
  static void closed(GatewayMetrics metrics, String reason) {
    Counter.builder("gateway.connections.closed")
        .description("Connections the gateway closed to protect itself, by reason")
        .tags("transport", OtlpHttpHandler.TRANSPORT, "reason", reason)
        .register(metrics.registry())
        .increment();
  }
}

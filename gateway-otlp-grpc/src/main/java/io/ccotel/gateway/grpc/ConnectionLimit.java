package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code max_connections} for the gRPC server: the listening channel counts the connections it
 * accepts and closes one beyond the cap right away, before TLS or HTTP/2 start on it. Counted in
 * {@code gateway_connections_closed_total{transport="grpc",reason="max_connections"}} and logged at
 * most once a minute. grpc-java has no such setting; its ServerTransportFilter cannot close a
 * connection, hence a listening channel of our own. Thread-safe.
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

  /** True if the accepted (not yet registered) connection may stay; false if it was closed. */
  boolean admit(Channel child) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      closed(metrics, "max_connections");
      long now = clock.millis();
      long next = nextLogMillis.get();
      if (now >= next && nextLogMillis.compareAndSet(next, now + LOG_INTERVAL_MILLIS)) {
        log.warn("OTLP/gRPC receiver: {} connections open, closing new ones"
            + " (receivers.otlp_grpc.max_connections; counted in gateway_connections_closed_total)", max);
      }
      child.unsafe().closeForcibly();
      return false;
    }
    child.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  int open() {
    return open.get();
  }

  static void closed(GatewayMetrics metrics, String reason) {
    Counter.builder("gateway.connections.closed")
        .description("Connections the gateway closed to protect itself, by reason")
        .tags("transport", CallCounter.TRANSPORT, "reason", reason)
        .register(metrics.registry())
        .increment();
  }

  /** The listening channel that asks {@link #admit} about every connection it accepts. */
  static final class LimitedServerChannel extends NioServerSocketChannel {
    private final ConnectionLimit limit;

    LimitedServerChannel(ConnectionLimit limit) {
      this.limit = limit;
    }

    @Override
    protected int doReadMessages(List<Object> buf) throws Exception {
      int before = buf.size();
      int accepted = super.doReadMessages(buf);
      for (int i = buf.size() - 1; i >= before; i--) {
        if (!limit.admit((Channel) buf.get(i))) {
          buf.remove(i);
          accepted--;
        }
      }
      return accepted;
    }
  }
}

package io.ccotel.gateway.http;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code read_timeout}: once bytes arrive, something must be written back (the answer, or a 100
 * Continue) within the timeout, else the connection is closed and counted ({@code
 * gateway_connections_closed_total{transport="http",reason="read_timeout"}}). It is the first
 * handler of the pipeline, so it sees raw bytes, TLS records included: a slowloris client that
 * sends its headers, its body or its TLS records a byte at a time is cut off, while an idle
 * keep-alive connection (no bytes) is left to {@code idle_timeout}. The answer is written as soon as
 * a worker has processed the request (with durability, after the log's fsync), so a timely client
 * never meets this limit. One instance per connection; event loop only.
 */
final class ReadTimeoutGuard extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(ReadTimeoutGuard.class);

  private final long timeoutNanos;
  private final GatewayMetrics metrics;
  private ScheduledFuture<?> timer;

  ReadTimeoutGuard(long timeoutNanos, GatewayMetrics metrics) {
    this.timeoutNanos = timeoutNanos;
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> timedOut(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    cancel();
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void timedOut(ChannelHandlerContext ctx) {
    timer = null;
    if (ctx.channel().isActive()) {
      ConnectionLimit.closed(metrics, "read_timeout");
      log.debug("OTLP/HTTP: {} sent part of a request and not the rest within read_timeout; closing", ctx.channel());
      ctx.close();
    }
  }
}

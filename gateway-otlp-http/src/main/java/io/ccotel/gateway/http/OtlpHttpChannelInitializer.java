package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.IntakeLimiter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of one connection: [ReadTimeoutGuard] -> [SslHandler] -> [IdleStateHandler] ->
 * HttpServerCodec -> ConnectionTracker -> [HttpAuthGate] -> OtlpHttpAggregator (cap on the body as
 * sent) -> OtlpHttpHandler. A connection beyond {@code max_connections} is closed before any of it
 * is built. Shared by the server and by the EmbeddedChannel tests.
 */
final class OtlpHttpChannelInitializer extends ChannelInitializer<Channel> {
  static final int MAX_INITIAL_LINE_LENGTH = 8192;

  private static final Logger log = LoggerFactory.getLogger(OtlpHttpChannelInitializer.class);

  private final OtlpHttpReceiverConfig config;
  private final GatewayMetrics metrics;
  private final BatchConsumer next;
  private final Clock clock;
  private final BooleanSupplier draining;
  private final ChannelGroup connections;
  private final Authenticator authenticator;
  private final SslContext ssl;
  private final ConnectionLimit limit;
  private final IntakeLimiter limiter;
  private final Executor workers;

  /** Plain HTTP, no authentication, no connection cap (the EmbeddedChannel tests). */
  OtlpHttpChannelInitializer(
      OtlpHttpReceiverConfig config,
      GatewayMetrics metrics,
      BatchConsumer next,
      Clock clock,
      BooleanSupplier draining,
      ChannelGroup connections) {
    this(config, metrics, next, clock, draining, connections, null, null, null);
  }

  /**
   * @param connections where open connections are tracked for shutdown; null in tests
   * @param authenticator checks every request when not null
   * @param ssl serves TLS when not null
   * @param limit {@code max_connections}; null for no cap
   */
  OtlpHttpChannelInitializer(
      OtlpHttpReceiverConfig config,
      GatewayMetrics metrics,
      BatchConsumer next,
      Clock clock,
      BooleanSupplier draining,
      ChannelGroup connections,
      Authenticator authenticator,
      SslContext ssl,
      ConnectionLimit limit) {
    this(config, metrics, next, clock, draining, connections, authenticator, ssl, limit, IntakeLimiter.unlimited(), null);
  }

  /**
   * @param limiter gives each request a permit before it is decoded
   * @param workers where requests are decoded and processed; null: on the event loop (tests)
   */
  OtlpHttpChannelInitializer(
      OtlpHttpReceiverConfig config,
      GatewayMetrics metrics,
      BatchConsumer next,
      Clock clock,
      BooleanSupplier draining,
      ChannelGroup connections,
      Authenticator authenticator,
      SslContext ssl,
      ConnectionLimit limit,
      IntakeLimiter limiter,
      Executor workers) {
    this.limiter = limiter;
    this.workers = workers;
    this.config = config;
    this.metrics = metrics;
    this.next = next;
    this.clock = clock;
    this.draining = draining;
    this.connections = connections;
    this.authenticator = authenticator;
    this.ssl = ssl;
    this.limit = limit;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (limit != null && !limit.admit(ch)) {
      return;
    }
    if (connections != null) {
      connections.add(ch);
    }
    ChannelPipeline p = ch.pipeline();
    long readTimeoutNanos = config.readTimeout().toNanos();
    if (readTimeoutNanos > 0) {
      p.addLast("read-timeout", new ReadTimeoutGuard(readTimeoutNanos, metrics));
    }
    if (ssl != null) {
      SslHandler handler = ssl.newHandler(ch.alloc());
      handler.handshakeFuture().addListener(f -> {
        if (!f.isSuccess()) {
          ConnectionLimit.closed(metrics, "tls_handshake_failed");
          log.debug("OTLP/HTTP: TLS handshake with {} failed", ch.remoteAddress(), f.cause());
        }
      });
      p.addLast("ssl", handler);
    }
    long idleMillis = config.idleTimeout().toMillis();
    if (idleMillis > 0) {
      p.addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
    }
    p.addLast(
        "codec",
        new HttpServerCodec(
            new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE_LENGTH)
                .setMaxHeaderSize(config.maxHeaderBytes())));
    p.addLast("tracker", new ConnectionTracker());
    BodyLimits limits = BodyLimits.of(config);
    if (authenticator != null) {
      // Before the aggregator: a refused request's body is never gathered, and no 100 Continue is
      // sent to a client that is about to be refused.
      p.addLast("auth", new HttpAuthGate(authenticator, metrics, draining, limits.maxCompressedBodyBytes()));
    }
    // HttpObjectAggregator answers Expect: 100-continue itself (and 413 instead when the
    // Content-Length is over the cap), so no HttpServerExpectContinueHandler is needed.
    OtlpHttpHandler handler = new OtlpHttpHandler(next, metrics, limits, draining, clock, authenticator, limiter, workers);
    p.addLast("aggregator", new OtlpHttpAggregator(limits, metrics, limiter, handler::busy));
    p.addLast("otlp", handler);
  }
}

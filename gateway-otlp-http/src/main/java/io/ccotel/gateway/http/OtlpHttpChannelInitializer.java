package io.ccotel.gateway.http;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The pipeline of one connection: [IdleStateHandler] -> HttpServerCodec -> ConnectionTracker ->
 * OtlpHttpAggregator (cap on the body as sent) -> OtlpHttpHandler. Shared by the server and by the
 * EmbeddedChannel tests.
 */
final class OtlpHttpChannelInitializer extends ChannelInitializer<Channel> {
  static final int MAX_INITIAL_LINE_LENGTH = 8192;

  private final OtlpHttpReceiverConfig config;
  private final GatewayMetrics metrics;
  private final BatchConsumer next;
  private final Clock clock;
  private final BooleanSupplier draining;
  private final ChannelGroup connections;

  OtlpHttpChannelInitializer(
      OtlpHttpReceiverConfig config,
      GatewayMetrics metrics,
      BatchConsumer next,
      Clock clock,
      BooleanSupplier draining,
      ChannelGroup connections) {
    this.config = config;
    this.metrics = metrics;
    this.next = next;
    this.clock = clock;
    this.draining = draining;
    this.connections = connections;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (connections != null) {
      connections.add(ch);
    }
    ChannelPipeline p = ch.pipeline();
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
    // HttpObjectAggregator answers Expect: 100-continue itself (and 413 instead when the
    // Content-Length is over the cap), so no HttpServerExpectContinueHandler is needed.
    BodyLimits limits = BodyLimits.of(config);
    p.addLast("aggregator", new OtlpHttpAggregator(limits, metrics));
    p.addLast("otlp", new OtlpHttpHandler(next, metrics, limits, draining, clock));
  }
}

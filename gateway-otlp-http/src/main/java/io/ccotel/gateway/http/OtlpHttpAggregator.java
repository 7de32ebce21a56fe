package io.ccotel.gateway.http;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.IntakeLimiter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.util.function.BooleanSupplier;

/**
 * HttpObjectAggregator whose 413 answers carry a google.rpc.Status naming the limit and the key to
 * raise (Netty's own have an empty body), and which refuses an uncompressed body by its
 * Content-Length against the smaller of both caps.
 *
 * <p>Connection handling follows Netty's: after a 413 decided from the headers the connection stays
 * open for a keep-alive client (the aggregator discards the rest of the body), and is closed when
 * the body was already being gathered, when the client did not ask for keep-alive, or when reading
 * is not automatic. With {@code Expect: 100-continue} and a too large Content-Length the 413 is the
 * answer to the expectation, so the client never sends the body.
 *
 * <p>Overload is decided here too, from the headers: when the {@link IntakeLimiter} would refuse a
 * body of the announced length, the answer is 503 with {@code Retry-After} and the body is skipped
 * the same way (never gathered), so refusing costs next to nothing.
 */
final class OtlpHttpAggregator extends HttpObjectAggregator {
  private final BodyLimits limits;
  private final GatewayMetrics metrics;
  private final IntakeLimiter limiter;
  // Event loop only: the request whose headers were just refused for overload (not for size).
  private boolean overloaded;

  private final BooleanSupplier answerPending;

  OtlpHttpAggregator(BodyLimits limits, GatewayMetrics metrics) {
    this(limits, metrics, IntakeLimiter.unlimited(), () -> false);
  }

  /**
   * @param answerPending true while an earlier request of the connection is still being
   *     processed: then no early answer is given (it would overtake that one's)
   */
  OtlpHttpAggregator(BodyLimits limits, GatewayMetrics metrics, IntakeLimiter limiter, BooleanSupplier answerPending) {
    super(limits.aggregatorLimit());
    this.limits = limits;
    this.metrics = metrics;
    this.limiter = limiter;
    this.answerPending = answerPending;
  }

  @Override
  protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
    overloaded = false;
    long length;
    try {
      length = HttpUtil.getContentLength(start, -1L);
    } catch (NumberFormatException e) {
      return false; // the codec has already flagged a bad Content-Length
    }
    if (length > Math.min(maxContentLength, limits.sentLimit(coding(start)))) {
      return true;
    }
    if (length > 0 && start instanceof HttpRequest req && !answerPending.getAsBoolean()
        && OtlpRoute.forUri(req.uri()) != null && limiter.refusesNow(length)) {
      overloaded = true;
      return true;
    }
    return false;
  }

  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
    if (answer instanceof FullHttpResponse res
        && res.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()
        && start instanceof HttpRequest req) {
      res.release();
      return overloaded ? overloaded(req) : tooLarge(req);
    }
    return answer;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
    if (!(oversized instanceof HttpRequest req)) {
      super.handleOversizedMessage(ctx, oversized);
      return;
    }
    boolean close =
        oversized instanceof FullHttpMessage
            || !ctx.channel().config().isAutoRead()
            || (!HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized));
    FullHttpResponse res = overloaded ? overloaded(req) : tooLarge(req);
    overloaded = false;
    if (close) {
      HttpUtil.setKeepAlive(res, false);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
  }

  private FullHttpResponse overloaded(HttpRequest req) {
    OtlpRoute route = OtlpRoute.forUri(req.uri());
    String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
    BodyFormat format = BodyFormat.forRequest(contentType);
    if (format == null) {
      format = BodyFormat.forErrors(contentType);
    }
    if (route != null) {
      metrics.request(route.signal(), OtlpHttpHandler.TRANSPORT, "overloaded");
    }
    ConsumeResult refusal = limiter.refusal();
    return HttpAnswers.unavailable(req.protocolVersion(), format, refusal.message(), refusal.retryAfter());
  }

  private FullHttpResponse tooLarge(HttpRequest req) {
    OtlpRoute route = OtlpRoute.forUri(req.uri());
    if (route != null) {
      metrics.request(route.signal(), OtlpHttpHandler.TRANSPORT, "too_large");
    }
    long length;
    try {
      length = HttpUtil.getContentLength(req, -1L);
    } catch (NumberFormatException e) {
      length = -1;
    }
    // A body being gathered (chunked) has no Content-Length yet; say how much was too much.
    String message = limits.tooLargeAsSent(req instanceof FullHttpMessage ? -1 : length, coding(req));
    return HttpAnswers.status(
        req.protocolVersion(),
        HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
        BodyFormat.forErrors(req.headers().get(HttpHeaderNames.CONTENT_TYPE)),
        HttpAnswers.RESOURCE_EXHAUSTED,
        message);
  }

  private static ContentCoding coding(HttpMessage m) {
    return ContentCoding.parse(m.headers().get(HttpHeaderNames.CONTENT_ENCODING));
  }
}

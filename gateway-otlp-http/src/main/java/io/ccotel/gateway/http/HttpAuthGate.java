package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.AuthResult;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TlsCredentials;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.security.cert.X509Certificate;
import java.util.function.BooleanSupplier;

/**
 * Checks every request's {@code Authorization: Bearer <token>} (and, with mTLS, the client
 * certificate) as soon as its headers are decoded, before the body is gathered or decoded.
 *
 * <p>Accepted: the identity attributes are put on the connection ({@link #IDENTITY}) for {@link
 * OtlpHttpHandler}, which applies them to the batch, and the request goes on. Refused: 401 with
 * {@code WWW-Authenticate: Bearer} (with {@code error="invalid_token"} for a wrong token) and a
 * google.rpc.Status body (code 16 UNAUTHENTICATED) in the request's encoding; the body the client
 * sends is read and dropped without being kept (at most {@code max_compressed_body_bytes}, then the
 * connection is closed), so a keep-alive connection stays usable. With {@code Expect:
 * 100-continue} the 401 is the answer to the expectation and the client sends no body. Counted as
 * {@code gateway_requests_total{outcome="unauthenticated"}} (requests to one of the three paths).
 * Nothing is logged: the header is never written anywhere.
 *
 * <p>Requests the HTTP codec could not parse pass through to be answered 400 / 431. One instance
 * per connection; event loop only.
 */
final class HttpAuthGate extends ChannelInboundHandlerAdapter {
  /** The identity of the request being gathered on this connection; null when none. */
  static final AttributeKey<Attributes> IDENTITY = AttributeKey.valueOf(HttpAuthGate.class, "identity");

  private final Authenticator authenticator;
  private final GatewayMetrics metrics;
  private final BooleanSupplier draining;
  private final long maxDiscardBytes;
  private boolean discarding;
  private long discarded;
  private boolean closeAfterBody;

  HttpAuthGate(Authenticator authenticator, GatewayMetrics metrics, BooleanSupplier draining, long maxDiscardBytes) {
    this.authenticator = authenticator;
    this.metrics = metrics;
    this.draining = draining;
    this.maxDiscardBytes = maxDiscardBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (discarding) {
      discard(ctx, msg);
      return;
    }
    if (!(msg instanceof HttpRequest req)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ctx.channel().attr(IDENTITY).set(null);
    if (req.decoderResult().isFailure()) {
      ctx.fireChannelRead(msg);
      return;
    }
    AuthResult result =
        authenticator.authenticate(req.headers().get(HttpHeaderNames.AUTHORIZATION), peerCertificate(ctx));
    if (result instanceof AuthResult.Ok ok) {
      ctx.channel().attr(IDENTITY).set(ok.identity());
      ctx.fireChannelRead(msg);
      return;
    }
    boolean expectContinue = HttpUtil.is100ContinueExpected(req);
    boolean bodyDone = msg instanceof LastHttpContent || expectContinue;
    refuse(ctx, req, result, bodyDone);
    ReferenceCountUtil.release(msg);
    if (expectContinue && !(msg instanceof LastHttpContent)) {
      // No 100 Continue was sent, so no body follows: the decoder must read the next bytes as a new
      // request (what HttpObjectAggregator does when it refuses an expectation).
      ctx.pipeline().fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
    } else if (!bodyDone) {
      discarding = true;
      discarded = 0;
    }
  }

  private void refuse(ChannelHandlerContext ctx, HttpRequest req, AuthResult result, boolean bodyDone) {
    OtlpRoute route = OtlpRoute.forUri(req.uri());
    if (route != null) {
      metrics.request(route.signal(), OtlpHttpHandler.TRANSPORT, "unauthenticated");
    }
    BodyFormat format = BodyFormat.forErrors(req.headers().get(HttpHeaderNames.CONTENT_TYPE));
    FullHttpResponse res = HttpAnswers.status(
        req.protocolVersion(), HttpResponseStatus.UNAUTHORIZED, format, HttpAnswers.UNAUTHENTICATED, result.message());
    res.headers().set(
        HttpHeaderNames.WWW_AUTHENTICATE,
        result instanceof AuthResult.Invalid ? "Bearer error=\"invalid_token\"" : "Bearer");
    boolean keepAlive = HttpUtil.isKeepAlive(req) && !draining.getAsBoolean();
    HttpUtil.setKeepAlive(res, keepAlive);
    closeAfterBody = !keepAlive && !bodyDone;
    if (!keepAlive && bodyDone) {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
  }

  private void discard(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpContent c) {
      discarded += c.content().readableBytes();
    }
    boolean last = msg instanceof LastHttpContent;
    ReferenceCountUtil.release(msg);
    if (last) {
      discarding = false;
      if (closeAfterBody) {
        ctx.close();
      }
    } else if (discarded > maxDiscardBytes) {
      discarding = false;
      ctx.close();
    }
  }

  private static X509Certificate peerCertificate(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    return ssl == null ? null : TlsCredentials.peerCertificate(ssl.engine().getSession());
  }
}

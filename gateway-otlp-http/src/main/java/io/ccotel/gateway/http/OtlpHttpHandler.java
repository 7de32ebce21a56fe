package io.ccotel.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpResponses;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.IntakeLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one aggregated OTLP/HTTP request: route, checks, decompression, decoding (protobuf or
 * OTLP/JSON), {@link BatchConsumer#consume}, answer. Decoding and the consume call run on the event
 * loop: consume is non-blocking by contract, and decoding a few hundred KB takes well under a
 * millisecond (issue 6 may move large bodies to a worker pool).
 *
 * <p>Answers (see {@link OtlpHttpReceiver} for the full table) mirror the request's encoding;
 * error bodies are google.rpc.Status. Nothing thrown while answering escapes to Netty: an
 * unexpected exception is logged (at most once a minute) and answered 500. The request buffer is
 * released by {@link SimpleChannelInboundHandler}; the decompressed copy is released here.
 *
 * <p>Counts with {@link GatewayMetrics}, for requests to one of the three paths only: {@code
 * request(signal, "http", outcome)} with outcome ok, partial, invalid, retryable, too_large,
 * unsupported_media_type, method_not_allowed or error; and for decoded requests {@code received}
 * = {@code accepted} + {@code rejected} (reason {@code pipeline} for items a partial success
 * refused, {@code invalid} or {@code retryable} when the pipeline refused the whole batch).
 *
 * <p>With an {@link Authenticator}, {@link HttpAuthGate} has already checked the request and left
 * its identity on the connection; the identity is applied to the decoded batch before {@code
 * consume}. A request that reaches this handler without one is refused with 401 (fail closed).
 */
final class OtlpHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final String TRANSPORT = "http";

  private static final Logger log = LoggerFactory.getLogger(OtlpHttpHandler.class);
  private static final long LOG_INTERVAL_MILLIS = 60_000;
  private static final Object LOG_LOCK = new Object();
  private static long nextErrorLogMillis;
  private static long suppressedErrors;

  private final BatchConsumer next;
  private final GatewayMetrics metrics;
  private final BodyLimits limits;
  private final BooleanSupplier draining;
  private final Clock clock;
  private final Authenticator authenticator;
  private final IntakeLimiter limiter;
  private final Executor workers;

  // Event loop only: one request of this connection is processed at a time, so answers leave in
  // the order the requests came (HTTP/1.1); pipelined ones wait here.
  private boolean busy;
  private boolean closed;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>(1);

  /**
   * @param authenticator null when authentication is off
   * @param limiter gives each request a permit before it is decoded
   * @param workers where requests are decoded and processed; null: on the event loop (tests)
   */
  OtlpHttpHandler(
      BatchConsumer next,
      GatewayMetrics metrics,
      BodyLimits limits,
      BooleanSupplier draining,
      Clock clock,
      Authenticator authenticator,
      IntakeLimiter limiter,
      Executor workers) {
    super(FullHttpRequest.class, true);
    this.next = next;
    this.metrics = metrics;
    this.limits = limits;
    this.draining = draining;
    this.clock = clock;
    this.authenticator = authenticator;
    this.limiter = limiter;
    this.workers = workers;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    req.retain(); // released once answered (channelRead0's own reference goes when it returns)
    if (busy) {
      waiting.add(req);
      return;
    }
    dispatch(ctx, req);
  }

  /**
   * Event loop; owns one reference of {@code req}. Takes a permit from the limiter (or answers 503
   * at once), then decodes and processes the request on a worker thread: with durability on the
   * worker waits for the durable log's fsync, which must never stall the event loop. The channel
   * reads nothing more meanwhile.
   */
  private void dispatch(ChannelHandlerContext ctx, FullHttpRequest req) {
    busy = true;
    ctx.channel().config().setAutoRead(false);
    IntakeLimiter.Permit permit = limiter.tryAcquire(req.content().readableBytes());
    if (permit == null) {
      try {
        overloaded(ctx, req, limiter.refusal());
      } finally {
        req.release();
      }
      done(ctx);
      return;
    }
    Runnable work = () -> {
      try {
        handle(ctx, req);
      } finally {
        permit.close();
        req.release();
        if (ctx.executor().inEventLoop()) {
          done(ctx);
        } else {
          ctx.executor().execute(() -> done(ctx));
        }
      }
    };
    if (workers == null) {
      work.run();
      return;
    }
    try {
      workers.execute(work);
    } catch (RejectedExecutionException e) {
      // The receiver is stopping: its worker pool takes nothing more.
      permit.close();
      try {
        overloaded(ctx, req, ConsumeResult.retryable("the gateway is shutting down; retry later", limiter.retryAfter()));
      } finally {
        req.release();
      }
      done(ctx);
    }
  }

  /** Event loop: whether a request of this connection is being processed (its answer not sent yet). */
  boolean busy() {
    return busy;
  }

  /** Event loop: the current request is answered; the next waiting one (or more reading) follows. */
  private void done(ChannelHandlerContext ctx) {
    busy = false;
    FullHttpRequest nextReq = waiting.poll();
    if (nextReq != null) {
      if (closed) {
        nextReq.release();
        releaseWaiting();
        return;
      }
      dispatch(ctx, nextReq);
    } else if (!closed) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void releaseWaiting() {
    for (FullHttpRequest r; (r = waiting.poll()) != null; ) {
      r.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closed = true;
    releaseWaiting();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    closed = true;
    releaseWaiting();
  }

  /** 503 with Retry-After: the gateway is overloaded (or stopping); the client retries later. */
  private void overloaded(ChannelHandlerContext ctx, FullHttpRequest req, ConsumeResult refusal) {
    String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
    OtlpRoute route = OtlpRoute.forUri(req.uri());
    BodyFormat format = BodyFormat.forErrors(contentType);
    if (route != null) {
      metrics.request(route.signal(), TRANSPORT, "overloaded");
      BodyFormat requestFormat = BodyFormat.forRequest(contentType);
      if (requestFormat != null) {
        format = requestFormat;
      }
    }
    send(ctx, req, HttpAnswers.unavailable(req.protocolVersion(), format, refusal.message(), refusal.retryAfter()), false);
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
    String contentType = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
    BodyFormat errorFormat = BodyFormat.forErrors(contentType);
    OtlpRoute route = null;
    Attributes identity = authenticator == null ? null : ctx.channel().attr(HttpAuthGate.IDENTITY).getAndSet(null);
    try {
      DecoderResult decoded = req.decoderResult();
      if (decoded.isFailure()) {
        badHttp(ctx, req, errorFormat, decoded.cause());
        return;
      }
      if (authenticator != null && identity == null) {
        // The gate lets no unchecked request through; if one got here anyway, refuse it.
        route = OtlpRoute.forUri(req.uri());
        if (route != null) {
          metrics.request(route.signal(), TRANSPORT, "unauthenticated");
        }
        FullHttpResponse res = HttpAnswers.status(req.protocolVersion(), HttpResponseStatus.UNAUTHORIZED,
            errorFormat, HttpAnswers.UNAUTHENTICATED,
            "this gateway requires a bearer token: send the header \"Authorization: Bearer <token>\"");
        res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        send(ctx, req, res, false);
        return;
      }
      route = OtlpRoute.forUri(req.uri());
      if (route == null) {
        // Not counted: there is no signal to count it under.
        error(ctx, req, HttpResponseStatus.NOT_FOUND, errorFormat, HttpAnswers.NOT_FOUND,
            "no such path " + quote(req.uri()) + "; OTLP/HTTP paths are " + OtlpRoute.PATHS + " (POST)");
        return;
      }
      Signal signal = route.signal();
      if (!HttpMethod.POST.equals(req.method())) {
        metrics.request(signal, TRANSPORT, "method_not_allowed");
        FullHttpResponse res = HttpAnswers.status(req.protocolVersion(), HttpResponseStatus.METHOD_NOT_ALLOWED,
            errorFormat, HttpAnswers.UNIMPLEMENTED,
            "method " + req.method() + " is not allowed on " + route.path() + "; send POST");
        res.headers().set(HttpHeaderNames.ALLOW, "POST");
        send(ctx, req, res, false);
        return;
      }
      BodyFormat format = BodyFormat.forRequest(contentType);
      if (format == null) {
        metrics.request(signal, TRANSPORT, "unsupported_media_type");
        error(ctx, req, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, errorFormat, HttpAnswers.INVALID_ARGUMENT,
            (contentType == null ? "missing Content-Type" : "unsupported Content-Type " + quote(contentType))
                + "; accepted are " + BodyFormat.ACCEPTED);
        return;
      }
      String encodingHeader = req.headers().get(HttpHeaderNames.CONTENT_ENCODING);
      ContentCoding coding = ContentCoding.parse(encodingHeader);
      if (coding == null) {
        metrics.request(signal, TRANSPORT, "unsupported_media_type");
        error(ctx, req, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, format, HttpAnswers.INVALID_ARGUMENT,
            "unsupported Content-Encoding " + quote(encodingHeader) + "; accepted are " + ContentCoding.ACCEPTED);
        return;
      }
      handleBody(ctx, req, route, format, coding, identity);
    } catch (Throwable t) {
      unexpected(ctx, req, route, errorFormat, t);
    }
  }

  private void handleBody(
      ChannelHandlerContext ctx,
      FullHttpRequest req,
      OtlpRoute route,
      BodyFormat format,
      ContentCoding coding,
      Attributes identity) {
    // A decompressed body is charged to the limiter too, until the answer is sent.
    IntakeLimiter.Permit inflatedPermit = null;
    try {
      Signal signal = route.signal();
      ByteBuf body = req.content();
      ByteBuf inflated = null;
      TelemetryBatch batch;
      try {
        if (coding == ContentCoding.IDENTITY || !body.isReadable()) {
          // A chunked body has no Content-Length for the aggregator to check beforehand.
          if (body.readableBytes() > limits.maxBodyBytes()) {
            tooLarge(ctx, req, route, format, limits.tooLargeAsSent(body.readableBytes(), ContentCoding.IDENTITY));
            return;
          }
        } else {
          inflated = coding.decompress(ctx.alloc(), body, limits.maxBodyBytes());
          body = inflated;
          // The inflated body counts too: a small gzip body may be large once decompressed.
          inflatedPermit = limiter.tryAcquire(inflated.readableBytes());
          if (inflatedPermit == null) {
            overloaded(ctx, req, limiter.refusal());
            return;
          }
        }
        // Decoded on a worker thread (see dispatch), off the event loop.
        Message request = body.isReadable() ? decode(route, format, body) : route.prototype();
        batch = route.toBatch(request);
      } catch (ContentCoding.TooLargeException e) {
        tooLarge(ctx, req, route, format, limits.tooLargeDecompressed(coding));
        return;
      } catch (OtlpDecodeException e) {
        metrics.request(signal, TRANSPORT, "invalid");
        error(ctx, req, HttpResponseStatus.BAD_REQUEST, format, HttpAnswers.INVALID_ARGUMENT, e.getMessage());
        return;
      } finally {
        if (inflated != null) {
          inflated.release();
        }
      }

      if (identity != null) {
        // Anti-spoofing: the token's attributes replace what the client claimed (see Identity).
        batch = authenticator.apply(batch, identity);
      }
      int items = batch.itemCount();
      metrics.received(signal, TRANSPORT, items);
      // An empty request has nothing to lose: answer it without bothering the pipeline.
      ConsumeResult result = items == 0 ? ConsumeResult.ok() : next.consume(batch);
      switch (result.outcome()) {
        case OK -> {
          metrics.request(signal, TRANSPORT, "ok");
          metrics.accepted(signal, TRANSPORT, items);
          send(ctx, req, HttpAnswers.message(req.protocolVersion(), HttpResponseStatus.OK, format,
              OtlpResponses.success(signal, result)), false);
        }
        case PARTIAL -> {
          long rejected = Math.min(result.rejectedItems(), items);
          metrics.request(signal, TRANSPORT, "partial");
          metrics.accepted(signal, TRANSPORT, items - rejected);
          metrics.rejected(signal, TRANSPORT, "pipeline", rejected);
          send(ctx, req, HttpAnswers.message(req.protocolVersion(), HttpResponseStatus.OK, format,
              OtlpResponses.success(signal, result)), false);
        }
        case RETRYABLE -> {
          metrics.request(signal, TRANSPORT, "retryable");
          metrics.rejected(signal, TRANSPORT, "retryable", items);
          String message = result.message().isEmpty()
              ? "the gateway cannot take more " + signal.itemName() + " right now; retry later"
              : result.message();
          send(ctx, req, HttpAnswers.unavailable(req.protocolVersion(), format, message, result.retryAfter()), false);
        }
        case INVALID -> {
          metrics.request(signal, TRANSPORT, "invalid");
          metrics.rejected(signal, TRANSPORT, "invalid", items);
          String message = result.message().isEmpty() ? "the " + signal.itemName() + " were refused as invalid"
              : result.message();
          error(ctx, req, HttpResponseStatus.BAD_REQUEST, format, HttpAnswers.INVALID_ARGUMENT, message);
        }
      }
    } finally {
      if (inflatedPermit != null) {
        inflatedPermit.close();
      }
    }
  }

  private static Message decode(OtlpRoute route, BodyFormat format, ByteBuf body) throws OtlpDecodeException {
    if (format == BodyFormat.JSON) {
      if (body.hasArray()) {
        return OtlpJsonDecoder.decode(
            body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes(), route.prototype());
      }
      return OtlpJsonDecoder.decode(new ByteBufInputStream(body.duplicate()), route.prototype());
    }
    try {
      return route.parseProtobuf(body.nioBufferCount() == 1 ? body.nioBuffer() : copy(body));
    } catch (InvalidProtocolBufferException e) {
      throw new OtlpDecodeException(
          "the body is not a valid protobuf " + route.prototype().getDescriptorForType().getName() + ": "
              + e.getMessage(), e);
    }
  }

  private static ByteBuffer copy(ByteBuf body) {
    byte[] bytes = new byte[body.readableBytes()];
    body.getBytes(body.readerIndex(), bytes);
    return ByteBuffer.wrap(bytes);
  }

  static String retryAfterSeconds(Duration retryAfter) {
    long millis = retryAfter.toMillis();
    return Long.toString(Math.max(1, (millis + 999) / 1000));
  }

  private void tooLarge(ChannelHandlerContext ctx, FullHttpRequest req, OtlpRoute route, BodyFormat format,
      String message) {
    metrics.request(route.signal(), TRANSPORT, "too_large");
    error(ctx, req, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, format, HttpAnswers.RESOURCE_EXHAUSTED, message);
  }

  private void badHttp(ChannelHandlerContext ctx, FullHttpRequest req, BodyFormat format, Throwable cause) {
    // The codec cannot find the next request after a malformed one: answer and close.
    HttpResponseStatus status;
    int code;
    String message;
    if (cause instanceof TooLongHttpHeaderException) {
      status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
      code = HttpAnswers.RESOURCE_EXHAUSTED;
      message = "the request headers are too large; raise receivers.otlp_http.max_header_bytes to accept them";
    } else if (cause instanceof TooLongHttpLineException) {
      status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
      code = HttpAnswers.RESOURCE_EXHAUSTED;
      message = "the request line is too long";
    } else {
      status = HttpResponseStatus.BAD_REQUEST;
      code = HttpAnswers.INVALID_ARGUMENT;
      message = "malformed HTTP request: " + cause.getMessage();
    }
    OtlpRoute route = OtlpRoute.forUri(req.uri());
    if (route != null) {
      metrics.request(route.signal(), TRANSPORT, "invalid");
    }
    HttpVersion version = req.protocolVersion();
    send(ctx, req, HttpAnswers.status(version, status, format, code, message), true);
  }

  private void unexpected(ChannelHandlerContext ctx, FullHttpRequest req, OtlpRoute route, BodyFormat format,
      Throwable t) {
    logUnexpected(t);
    try {
      if (route != null) {
        metrics.request(route.signal(), TRANSPORT, "error");
      }
      error(ctx, req, HttpResponseStatus.INTERNAL_SERVER_ERROR, format, HttpAnswers.INTERNAL,
          "internal error in the gateway (" + t.getClass().getSimpleName()
              + "); the gateway log has the details");
    } catch (Throwable again) {
      log.debug("could not answer 500, closing the connection", again);
      ctx.close();
    }
  }

  private void logUnexpected(Throwable t) {
    long now = clock.millis();
    long suppressed;
    synchronized (LOG_LOCK) {
      if (now < nextErrorLogMillis) {
        suppressedErrors++;
        return;
      }
      nextErrorLogMillis = now + LOG_INTERVAL_MILLIS;
      suppressed = suppressedErrors;
      suppressedErrors = 0;
    }
    log.error("OTLP/HTTP request failed unexpectedly, answered 500 ({} more such failures not logged in the"
        + " last minute; all are counted as outcome=error)", suppressed, t);
  }

  private void error(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, BodyFormat format,
      int code, String message) {
    send(ctx, req, HttpAnswers.status(req.protocolVersion(), status, format, code, message), false);
  }

  /** Writes the answer, keeping the connection open only if the client and the receiver both want. */
  private void send(ChannelHandlerContext ctx, FullHttpRequest req, FullHttpResponse res, boolean close) {
    boolean keepAlive = !close && HttpUtil.isKeepAlive(req) && !draining.getAsBoolean();
    HttpUtil.setKeepAlive(res, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    } else {
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Only transport trouble gets here (a reset connection, a TLS error): requests are answered
    // in channelRead0, which catches everything.
    if (isTransportTrouble(cause)) {
      log.debug("OTLP/HTTP connection error, closing {}", ctx.channel(), cause);
    } else {
      logUnexpected(cause);
    }
    ctx.close();
  }

  /** A reset connection, a failed TLS handshake, plain text sent to the TLS port. */
  private static boolean isTransportTrouble(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      // PrematureChannelClosureException: the client closed mid-request (e.g. after an early 413).
      if (c instanceof IOException || c instanceof NotSslRecordException
          || c instanceof io.netty.handler.codec.PrematureChannelClosureException) {
        return true;
      }
    }
    return false;
  }

  private static String quote(String s) {
    String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return "\"" + t + "\"";
  }
}

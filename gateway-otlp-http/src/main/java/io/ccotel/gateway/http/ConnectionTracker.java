package io.ccotel.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Knows whether its connection is in the middle of a request (from the request line until the
 * final response is written), so that shutdown can close idle keep-alive connections at once and
 * busy ones right after their answer. Also closes the connection on an idle timeout. One instance
 * per connection; used on its event loop only.
 */
final class ConnectionTracker extends ChannelDuplexHandler {
  private ChannelHandlerContext ctx;
  private int pending;
  private boolean closeWhenIdle;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      pending++;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    // A final (not 1xx) response that is complete ends a request; 100 Continue does not.
    if (msg instanceof HttpResponse res
        && msg instanceof LastHttpContent
        && res.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      ctx.write(msg, promise.unvoid()).addListener((ChannelFutureListener) f -> answered());
      return;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  private void answered() {
    if (pending > 0) {
      pending--;
    }
    if (closeWhenIdle && pending == 0) {
      ctx.close();
    }
  }

  /** Shutdown: close now if no request is in progress, else after its answer. Event loop only. */
  void closeWhenIdle() {
    closeWhenIdle = true;
    if (pending == 0) {
      ctx.close();
    }
  }
}

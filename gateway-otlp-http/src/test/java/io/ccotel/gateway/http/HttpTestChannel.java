package io.ccotel.gateway.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The receiver's real per-connection pipeline on an EmbeddedChannel, fed raw HTTP/1.1 bytes; the
 * bytes it writes back are parsed by a client-side decoder into FullHttpResponses.
 */
final class HttpTestChannel implements AutoCloseable {
  final EmbeddedChannel server;
  final AtomicBoolean draining = new AtomicBoolean();
  private final EmbeddedChannel client =
      new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(16 * 1024 * 1024));
  private final List<FullHttpResponse> responses = new ArrayList<>();
  private final List<FullHttpResponse> toRelease = new ArrayList<>();

  HttpTestChannel(OtlpHttpReceiverConfig config, TestSupport.Metrics metrics, BatchConsumer next) {
    this(config, metrics, next, null);
  }

  /** With an authenticator (null: none). */
  HttpTestChannel(OtlpHttpReceiverConfig config, TestSupport.Metrics metrics, BatchConsumer next,
      io.ccotel.gateway.core.auth.Authenticator authenticator) {
    server = new EmbeddedChannel(
        new OtlpHttpChannelInitializer(config, metrics.gateway, next, TestSupport.CLOCK, draining::get, null,
            authenticator, null, null));
  }

  /** Writes raw bytes; returns the responses completed so far (each one once). */
  List<FullHttpResponse> write(byte[] bytes) {
    server.writeInbound(Unpooled.wrappedBuffer(bytes));
    server.runPendingTasks();
    for (Object o; (o = server.readOutbound()) != null; ) {
      client.writeInbound((ByteBuf) o);
    }
    for (Object o; (o = client.readInbound()) != null; ) {
      responses.add((FullHttpResponse) o);
      toRelease.add((FullHttpResponse) o);
    }
    List<FullHttpResponse> out = List.copyOf(responses);
    responses.clear();
    return out;
  }

  /** Writes one request and expects exactly one response. */
  FullHttpResponse exchange(byte[] request) {
    List<FullHttpResponse> got = write(request);
    if (got.size() != 1) {
      throw new AssertionError("expected one response, got " + got.size() + ": " + got);
    }
    return got.get(0);
  }

  boolean isOpen() {
    return server.isOpen();
  }

  @Override
  public void close() {
    toRelease.forEach(r -> r.release());
    toRelease.clear();
    server.finishAndReleaseAll();
    client.finishAndReleaseAll();
  }

  /** Builds raw HTTP/1.1 requests. */
  static final class Request {
    private final StringBuilder head = new StringBuilder();
    private byte[] body = new byte[0];
    private boolean contentLength = true;

    private Request(String method, String uri, String version) {
      head.append(method).append(' ').append(uri).append(' ').append(version).append("\r\n");
      head.append("Host: 127.0.0.1:4318\r\n");
    }

    static Request post(String uri, String contentType, byte[] body) {
      Request r = new Request("POST", uri, "HTTP/1.1");
      if (contentType != null) {
        r.header("Content-Type", contentType);
      }
      r.body = body;
      return r;
    }

    static Request of(String method, String uri, String version) {
      return new Request(method, uri, version);
    }

    Request header(String name, String value) {
      head.append(name).append(": ").append(value).append("\r\n");
      return this;
    }

    Request body(byte[] b) {
      body = b;
      return this;
    }

    Request noContentLength() {
      contentLength = false;
      return this;
    }

    /** Head only (for Expect: 100-continue), with the Content-Length of the body. */
    byte[] head() {
      return (head + (contentLength ? "Content-Length: " + body.length + "\r\n" : "") + "\r\n").getBytes(ISO_8859_1);
    }

    byte[] bytes() {
      byte[] h = head();
      byte[] all = new byte[h.length + body.length];
      System.arraycopy(h, 0, all, 0, h.length);
      System.arraycopy(body, 0, all, h.length, body.length);
      return all;
    }

    /** The body as chunked transfer encoding, in chunks of {@code chunkSize}. */
    byte[] chunked(int chunkSize) {
      StringBuilder sb = new StringBuilder(head).append("Transfer-Encoding: chunked\r\n\r\n");
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.writeBytes(sb.toString().getBytes(ISO_8859_1));
      for (int i = 0; i < body.length; i += chunkSize) {
        int n = Math.min(chunkSize, body.length - i);
        out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(ISO_8859_1));
        out.write(body, i, n);
        out.writeBytes("\r\n".getBytes(ISO_8859_1));
      }
      out.writeBytes("0\r\n\r\n".getBytes(ISO_8859_1));
      return out.toByteArray();
    }
  }
}

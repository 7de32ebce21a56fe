package io.ccotel.gateway.http;

import com.google.protobuf.Message;
import com.google.rpc.Status;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Builds the receiver's HTTP answers: a protobuf message in the protobuf or the JSON encoding. */
final class HttpAnswers {
  // google.rpc.Code numbers (the gRPC status codes).
  static final int INVALID_ARGUMENT = 3;
  static final int NOT_FOUND = 5;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;
  static final int UNAUTHENTICATED = 16;

  private HttpAnswers() {}

  /** A response carrying {@code body}; Content-Type and Content-Length are set. */
  static FullHttpResponse message(
      HttpVersion version, HttpResponseStatus status, BodyFormat format, Message body) {
    byte[] bytes =
        switch (format) {
          case JSON -> ProtoJsonWriter.toJson(body);
          case PROTOBUF -> body.toByteArray();
          case TEXT -> ((body instanceof Status s ? s.getMessage() : body.toString()) + "\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        };
    FullHttpResponse res = new DefaultFullHttpResponse(version, status, Unpooled.wrappedBuffer(bytes));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, format.contentType());
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return res;
  }

  /** An error response with a google.rpc.Status body. */
  /** 503 with a Status UNAVAILABLE and {@code Retry-After} (whole seconds, at least 1). */
  static FullHttpResponse unavailable(HttpVersion version, BodyFormat format, String message, java.time.Duration retryAfter) {
    FullHttpResponse res = status(version, HttpResponseStatus.SERVICE_UNAVAILABLE, format, UNAVAILABLE, message);
    res.headers().set(io.netty.handler.codec.http.HttpHeaderNames.RETRY_AFTER, OtlpHttpHandler.retryAfterSeconds(retryAfter));
    return res;
  }

  static FullHttpResponse status(
      HttpVersion version, HttpResponseStatus status, BodyFormat format, int code, String message) {
    return message(version, status, format, Status.newBuilder().setCode(code).setMessage(message).build());
  }
}

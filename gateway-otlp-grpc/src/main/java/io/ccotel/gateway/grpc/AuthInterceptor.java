package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.AuthResult;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TlsCredentials;
import io.ccotel.gateway.core.model.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Checks the {@code authorization} metadata ({@code Bearer <token>}) and, with mTLS, the client
 * certificate of every Export call when the call starts, before its message is read or decoded.
 * Refused: the call ends at once with UNAUTHENTICATED (counted by {@link CallCounter} as outcome
 * {@code unauthenticated}); the message, if it has arrived, is never parsed. Accepted: the identity
 * goes into the call's {@link Context} ({@link #IDENTITY}) for {@link ExportService}. Nothing is
 * logged. Thread-safe.
 */
final class AuthInterceptor implements ServerInterceptor {
  static final Context.Key<Attributes> IDENTITY = Context.key("ccotel.otlp-grpc.identity");
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Authenticator authenticator;

  AuthInterceptor(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    AuthResult result =
        authenticator.authenticate(
            headers.get(AUTHORIZATION),
            TlsCredentials.peerCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)));
    if (result instanceof AuthResult.Ok ok) {
      return Contexts.interceptCall(Context.current().withValue(IDENTITY, ok.identity()), call, headers, next);
    }
    call.close(Status.UNAUTHENTICATED.withDescription(grpcMessage(result)), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** The refusal in gRPC terms: the token travels in the {@code authorization} metadata. */
  private static String grpcMessage(AuthResult result) {
    return result instanceof AuthResult.Missing
        ? "this gateway requires a bearer token: send the metadata \"authorization: Bearer <token>\""
            + " (Claude Code: OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer <token>\")"
        : result.message();
  }
}

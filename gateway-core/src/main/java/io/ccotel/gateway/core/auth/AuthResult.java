package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.model.Attributes;
import java.util.Objects;

/**
 * What {@link Authenticator#authenticate} decided: {@link Ok} with the identity attributes, or a
 * refusal ({@link Missing}: no credentials; {@link Invalid}: wrong ones). Receivers answer a refusal
 * with HTTP 401 / gRPC UNAUTHENTICATED and the {@link #message()}, which never quotes the token.
 */
public sealed interface AuthResult {
  /** A sentence for the client (the body of the 401, the gRPC status description). */
  String message();

  default boolean isOk() {
    return this instanceof Ok;
  }

  /** Authenticated; {@code identity} may be empty (a token without attributes). */
  record Ok(Attributes identity) implements AuthResult {
    public Ok {
      Objects.requireNonNull(identity, "identity");
    }

    @Override
    public String message() {
      return "";
    }
  }

  /** No credentials at all. */
  record Missing(String message) implements AuthResult {
    static final Missing INSTANCE =
        new Missing(
            "this gateway requires a bearer token: send the header \"Authorization: Bearer <token>\""
                + " (Claude Code: OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer <token>\")");
  }

  /** Credentials that are not accepted: an unknown or revoked token, another scheme, an empty token. */
  record Invalid(String message) implements AuthResult {}
}

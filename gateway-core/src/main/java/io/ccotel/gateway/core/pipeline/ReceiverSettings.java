package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import java.time.Clock;
import java.util.Objects;

/**
 * What the code hands a receiver when it is built.
 *
 * @param metrics the gateway's own metrics
 * @param clock time for timeouts, log throttling and file reload checks
 * @param authenticator the shared {@link Authenticator} when the {@code auth} section is enabled:
 *     receivers then refuse requests without a valid bearer token (HTTP 401 / gRPC UNAUTHENTICATED)
 *     and apply the identity to every batch; null when authentication is off
 */
public record ReceiverSettings(GatewayMetrics metrics, Clock clock, Authenticator authenticator) {
  public ReceiverSettings {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(clock, "clock");
  }

  /** Settings without authentication. */
  public ReceiverSettings(GatewayMetrics metrics, Clock clock) {
    this(metrics, clock, null);
  }

  /** A copy with this authenticator (null: authentication off). */
  public ReceiverSettings withAuthenticator(Authenticator newAuthenticator) {
    return new ReceiverSettings(metrics, clock, newAuthenticator);
  }
}

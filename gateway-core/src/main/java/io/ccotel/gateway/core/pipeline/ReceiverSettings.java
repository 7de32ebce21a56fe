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
 * @param limiter the gateway's shared {@link IntakeLimiter}: a receiver takes a permit for each
 *     request before decoding it and answers a retryable refusal when there is none
 */
public record ReceiverSettings(
    GatewayMetrics metrics, Clock clock, Authenticator authenticator, IntakeLimiter limiter) {
  public ReceiverSettings {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(limiter, "limiter");
  }

  /** Settings without a limit on requests in flight. */
  public ReceiverSettings(GatewayMetrics metrics, Clock clock, Authenticator authenticator) {
    this(metrics, clock, authenticator, IntakeLimiter.unlimited());
  }

  /** Settings without authentication and without a limit on requests in flight. */
  public ReceiverSettings(GatewayMetrics metrics, Clock clock) {
    this(metrics, clock, null);
  }

  /**
   * The receivers' {@code worker_threads} when set to 0: four per CPU, at least 8. More threads
   * than CPUs, because with durability a worker waits for the log's fsync before it answers, and
   * concurrent appends share one fsync.
   */
  public static int defaultWorkerThreads() {
    return Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
  }

  /** A copy with this authenticator (null: authentication off). */
  public ReceiverSettings withAuthenticator(Authenticator newAuthenticator) {
    return new ReceiverSettings(metrics, clock, newAuthenticator, limiter);
  }

  /** A copy with this limiter. */
  public ReceiverSettings withLimiter(IntakeLimiter newLimiter) {
    return new ReceiverSettings(metrics, clock, authenticator, newLimiter);
  }
}

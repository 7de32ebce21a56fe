package io.ccotel.gateway.testkit;

import java.time.Duration;

/**
 * A receiver's answer, in terms both transports share, plus the raw status for exact checks.
 *
 * @param kind what the answer means to an OTLP client
 * @param rejected partial success: rejected item count (0 otherwise)
 * @param message partial-success error message or the status message
 * @param retryAfter Retry-After (HTTP) or RetryInfo delay (gRPC), ZERO when absent
 * @param raw the raw status: "200", "413", ... for HTTP; "OK", "UNAVAILABLE", ... for gRPC
 */
public record Answer(Kind kind, long rejected, String message, Duration retryAfter, String raw) {
  public enum Kind {
    OK,
    PARTIAL,
    INVALID,
    TOO_LARGE,
    RETRYABLE,
    UNAUTHENTICATED,
    UNSUPPORTED,
    OTHER
  }
}

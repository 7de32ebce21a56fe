package io.ccotel.gateway.core.pipeline;

import java.time.Duration;
import java.util.Objects;

/**
 * What became of a batch handed to a {@link BatchConsumer}, decided once inside the gateway and
 * translated to HTTP status codes or gRPC statuses at the edge:
 *
 * <ul>
 *   <li>{@link Outcome#OK}: everything accepted (HTTP 200 / gRPC OK, empty response);
 *   <li>{@link Outcome#PARTIAL}: accepted except {@code rejectedItems} items, for the reason in
 *       {@code message} (200 / OK with {@code partial_success}); permanent, not to be retried;
 *   <li>{@link Outcome#RETRYABLE}: nothing accepted, try again after {@code retryAfter} (HTTP 503
 *       with Retry-After / gRPC UNAVAILABLE with RetryInfo);
 *   <li>{@link Outcome#INVALID}: nothing accepted, the data is bad and retrying will not help (HTTP
 *       400 / gRPC INVALID_ARGUMENT).
 * </ul>
 */
public record ConsumeResult(Outcome outcome, long rejectedItems, String message, Duration retryAfter) {
  private static final ConsumeResult OK = new ConsumeResult(Outcome.OK, 0, "", Duration.ZERO);

  public enum Outcome {
    OK,
    PARTIAL,
    RETRYABLE,
    INVALID
  }

  public ConsumeResult {
    Objects.requireNonNull(outcome, "outcome");
    message = message == null ? "" : message;
    retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
    if (rejectedItems < 0) {
      throw new IllegalArgumentException("rejectedItems < 0");
    }
  }

  public static ConsumeResult ok() {
    return OK;
  }

  /** Part rejected; with {@code rejected == 0} and no message this is plain OK. */
  public static ConsumeResult partial(long rejected, String message) {
    if (rejected == 0 && (message == null || message.isEmpty())) {
      return OK;
    }
    return new ConsumeResult(Outcome.PARTIAL, rejected, message, Duration.ZERO);
  }

  public static ConsumeResult retryable(String message, Duration retryAfter) {
    return new ConsumeResult(Outcome.RETRYABLE, 0, message, retryAfter);
  }

  public static ConsumeResult invalid(String message) {
    return new ConsumeResult(Outcome.INVALID, 0, message, Duration.ZERO);
  }

  public boolean isAccepted() {
    return outcome == Outcome.OK || outcome == Outcome.PARTIAL;
  }

  /**
   * Combines the result of an earlier stage that rejected some items with this (later) result.
   * Retryable and invalid results win, as nothing was accepted then.
   */
  public ConsumeResult plusRejected(long rejected, String reason) {
    if (!isAccepted() || rejected == 0) {
      return this;
    }
    String msg = message.isEmpty() ? reason : reason + "; " + message;
    return new ConsumeResult(Outcome.PARTIAL, rejectedItems + rejected, msg, Duration.ZERO);
  }
}

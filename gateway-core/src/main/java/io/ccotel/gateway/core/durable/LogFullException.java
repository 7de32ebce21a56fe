package io.ccotel.gateway.core.durable;

import java.io.IOException;

/**
 * The {@link DurableLog} has no room for a record now: its size on disk would pass {@code
 * max_bytes} (readers have not yet committed enough for old segments to be deleted), or too many
 * bytes are waiting to be written. Retryable: the caller answers the client with 429/503 +
 * Retry-After (gRPC UNAVAILABLE). Nothing acknowledged is ever dropped to make room.
 */
public final class LogFullException extends IOException {
  private static final long serialVersionUID = 1L;

  public LogFullException(String message) {
    super(message);
  }
}

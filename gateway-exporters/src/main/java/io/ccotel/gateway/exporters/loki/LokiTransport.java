package io.ccotel.gateway.exporters.loki;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one push request. The HTTP implementation is {@link HttpLokiTransport}; tests of the
 * retry policy use a fake. Called from the exporter's sender thread only.
 */
interface LokiTransport {
  /**
   * Posts the body and returns Loki's answer. Throws {@link IOException} for network errors and
   * time-outs (retryable); never follows redirects.
   */
  Response post(URI uri, Map<String, String> headers, byte[] body, Duration timeout)
      throws IOException, InterruptedException;

  /**
   * Loki's answer.
   *
   * @param status HTTP status code
   * @param body the response body (an excerpt is enough), empty when none
   * @param retryAfter the {@code Retry-After} header, or empty
   */
  record Response(int status, String body, String retryAfter) {
    public Response {
      body = body == null ? "" : body;
      retryAfter = retryAfter == null ? "" : retryAfter.trim();
    }
  }
}

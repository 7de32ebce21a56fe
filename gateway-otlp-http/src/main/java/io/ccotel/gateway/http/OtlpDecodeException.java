package io.ccotel.gateway.http;

/**
 * A request body that cannot be decoded as the OTLP message its path asks for: malformed JSON or
 * protobuf, a value of the wrong type, a bad trace id, nesting that is too deep. Permanent: the
 * receiver answers 400 with this message, which names the JSON field path where there is one
 * ({@code resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[0].asDouble: expected a
 * number, got "abc"}).
 */
public final class OtlpDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  public OtlpDecodeException(String message) {
    super(message, null, false, false);
  }

  public OtlpDecodeException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}

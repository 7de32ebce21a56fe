package io.ccotel.gateway.http;

import io.ccotel.gateway.core.config.HostPort;
import java.time.Duration;
import java.util.Objects;

/**
 * What a user writes under {@code receivers.otlp_http} in the YAML configuration.
 *
 * <pre>
 * receivers:
 *   otlp_http:
 *     enabled: true                      # false: start() does nothing
 *     endpoint: 0.0.0.0:4318             # host:port; port 0 picks a free port
 *     max_body_bytes: 64MiB              # cap on the body after decompression
 *     max_compressed_body_bytes: 64MiB   # cap on the body as sent (before decompression)
 *     idle_timeout: 60s                  # close connections idle this long; 0s = never
 *     max_header_bytes: 16KiB            # cap on all request headers together
 * </pre>
 *
 * @param enabled whether {@link OtlpHttpReceiver#start()} listens at all
 * @param endpoint where to listen
 * @param maxBodyBytes largest body accepted after decompression (and largest uncompressed body),
 *     1 byte to 2 GiB - 1; larger ones are answered 413
 * @param maxCompressedBodyBytes largest body accepted as sent, 1 byte to 2 GiB - 1; larger ones are
 *     answered 413 (before the body is read when a Content-Length says so)
 * @param idleTimeout a connection with no traffic for this long is closed; zero means never
 * @param maxHeaderBytes largest total size of the request headers, 1 KiB to 1 MiB; larger ones are
 *     answered 431 and the connection is closed
 */
public record OtlpHttpReceiverConfig(
    boolean enabled,
    HostPort endpoint,
    long maxBodyBytes,
    long maxCompressedBodyBytes,
    Duration idleTimeout,
    int maxHeaderBytes) {
  public static final HostPort DEFAULT_ENDPOINT = HostPort.of("0.0.0.0", 4318);
  public static final long DEFAULT_MAX_BODY_BYTES = 64L * 1024 * 1024;
  public static final long DEFAULT_MAX_COMPRESSED_BODY_BYTES = 64L * 1024 * 1024;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

  /** Netty aggregates into one buffer, whose capacity is an int. */
  public static final long MAX_BODY_LIMIT = Integer.MAX_VALUE;

  public static final int MIN_HEADER_BYTES = 1024;
  public static final int MAX_HEADER_BYTES = 1024 * 1024;

  public OtlpHttpReceiverConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    checkRange("max_body_bytes", maxBodyBytes, 1, MAX_BODY_LIMIT);
    checkRange("max_compressed_body_bytes", maxCompressedBodyBytes, 1, MAX_BODY_LIMIT);
    checkRange("max_header_bytes", maxHeaderBytes, MIN_HEADER_BYTES, MAX_HEADER_BYTES);
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idle_timeout must not be negative, got " + idleTimeout);
    }
  }

  /** The zero-config receiver: enabled, 0.0.0.0:4318, 64 MiB bodies, 60 s idle, 16 KiB headers. */
  public static OtlpHttpReceiverConfig defaults() {
    return new OtlpHttpReceiverConfig(
        true,
        DEFAULT_ENDPOINT,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_MAX_COMPRESSED_BODY_BYTES,
        DEFAULT_IDLE_TIMEOUT,
        DEFAULT_MAX_HEADER_BYTES);
  }

  public OtlpHttpReceiverConfig withEndpoint(HostPort newEndpoint) {
    return new OtlpHttpReceiverConfig(
        enabled, newEndpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes);
  }

  public OtlpHttpReceiverConfig withBodyLimits(long newMaxBodyBytes, long newMaxCompressedBodyBytes) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, newMaxBodyBytes, newMaxCompressedBodyBytes, idleTimeout, maxHeaderBytes);
  }

  public OtlpHttpReceiverConfig withIdleTimeout(Duration newIdleTimeout) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, newIdleTimeout, maxHeaderBytes);
  }

  private static void checkRange(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}

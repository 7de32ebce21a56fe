package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.TlsConfig;
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
 *     max_connections: 1000              # open connections at most; more are closed at once; 0 = no cap
 *     read_timeout: 30s                  # a request must arrive whole within this; 0s = no limit
 *     worker_threads: 0                  # decode/process threads; 0 = four per CPU, at least 8
 *     tls:                               # optional: HTTPS (see TlsConfig)
 *       cert_file: /etc/ccotel/tls/server.crt
 *       key_file: /etc/ccotel/tls/server.key
 *       client_ca_file: /etc/ccotel/tls/ca.crt   # optional: mTLS
 *       client_auth: require                      # or optional
 *       reload_interval: 1m
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
 * @param maxConnections connections open at once, 0 to 1,000,000 (0: no cap); a connection beyond
 *     the cap is closed as soon as it is accepted, before any TLS handshake, and counted in {@code
 *     gateway_connections_closed_total{transport="http",reason="max_connections"}}
 * @param readTimeout from the first byte of a request (or of the TLS records carrying it) until the
 *     whole request has arrived and been answered; a client slower than that (a slowloris sending
 *     a byte a second) is disconnected and counted with {@code reason="read_timeout"}; zero means
 *     no limit
 * @param tls HTTPS settings, or null for plain HTTP
 * @param workerThreads threads that decompress, decode and process requests off the event loop
 *     (0 = four per CPU, at least 8); with durability on each waits for the durable log's fsync,
 *     and concurrent requests share one fsync
 */
public record OtlpHttpReceiverConfig(
    boolean enabled,
    HostPort endpoint,
    long maxBodyBytes,
    long maxCompressedBodyBytes,
    Duration idleTimeout,
    int maxHeaderBytes,
    int maxConnections,
    Duration readTimeout,
    TlsConfig tls,
    int workerThreads) {
  public static final HostPort DEFAULT_ENDPOINT = HostPort.of("0.0.0.0", 4318);
  public static final long DEFAULT_MAX_BODY_BYTES = 64L * 1024 * 1024;
  public static final long DEFAULT_MAX_COMPRESSED_BODY_BYTES = 64L * 1024 * 1024;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
  public static final int DEFAULT_MAX_CONNECTIONS = 1000;
  public static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

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
    checkRange("max_connections", maxConnections, 0, MAX_CONNECTIONS_LIMIT);
    Objects.requireNonNull(readTimeout, "readTimeout");
    if (readTimeout.isNegative()) {
      throw new IllegalArgumentException("read_timeout must not be negative, got " + readTimeout);
    }
    checkRange("worker_threads", workerThreads, 0, 10_000);
  }

  /** The settings with the default {@code worker_threads}. */
  public OtlpHttpReceiverConfig(
      boolean enabled,
      HostPort endpoint,
      long maxBodyBytes,
      long maxCompressedBodyBytes,
      Duration idleTimeout,
      int maxHeaderBytes,
      int maxConnections,
      Duration readTimeout,
      TlsConfig tls) {
    this(enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes, maxConnections,
        readTimeout, tls, 0);
  }

  /** {@code worker_threads} with 0 resolved. */
  public int effectiveWorkerThreads() {
    return workerThreads > 0 ? workerThreads : io.ccotel.gateway.core.pipeline.ReceiverSettings.defaultWorkerThreads();
  }

  /**
   * The settings of before connection limits and TLS: {@code max_connections}, {@code
   * read_timeout} at their defaults, plain HTTP.
   */
  public OtlpHttpReceiverConfig(
      boolean enabled,
      HostPort endpoint,
      long maxBodyBytes,
      long maxCompressedBodyBytes,
      Duration idleTimeout,
      int maxHeaderBytes) {
    this(enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT, null);
  }

  /**
   * The zero-config receiver: enabled, 0.0.0.0:4318, 64 MiB bodies, 60 s idle, 16 KiB headers,
   * 1000 connections, 30 s read timeout, plain HTTP.
   */
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
        enabled, newEndpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        maxConnections, readTimeout, tls, workerThreads);
  }

  public OtlpHttpReceiverConfig withBodyLimits(long newMaxBodyBytes, long newMaxCompressedBodyBytes) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, newMaxBodyBytes, newMaxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        maxConnections, readTimeout, tls, workerThreads);
  }

  public OtlpHttpReceiverConfig withIdleTimeout(Duration newIdleTimeout) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, newIdleTimeout, maxHeaderBytes,
        maxConnections, readTimeout, tls, workerThreads);
  }

  public OtlpHttpReceiverConfig withConnectionLimits(int newMaxConnections, Duration newReadTimeout) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        newMaxConnections, newReadTimeout, tls, workerThreads);
  }

  /** A copy serving HTTPS with these settings (null: plain HTTP). */
  public OtlpHttpReceiverConfig withTls(TlsConfig newTls) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        maxConnections, readTimeout, newTls, workerThreads);
  }

  public OtlpHttpReceiverConfig withWorkerThreads(int newWorkerThreads) {
    return new OtlpHttpReceiverConfig(
        enabled, endpoint, maxBodyBytes, maxCompressedBodyBytes, idleTimeout, maxHeaderBytes,
        maxConnections, readTimeout, tls, newWorkerThreads);
  }

  private static void checkRange(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
    }
  }
}

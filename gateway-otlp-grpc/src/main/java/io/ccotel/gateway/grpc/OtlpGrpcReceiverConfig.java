package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.config.HostPort;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of the OTLP/gRPC receiver, the YAML section {@code receivers.otlp_grpc}. Every
 * field is checked here, so a bad value fails at start-up with the YAML key in the message.
 *
 * @param enabled {@code enabled} (default true): when false the receiver binds nothing.
 * @param endpoint {@code endpoint} (default {@code 0.0.0.0:4317}): where to listen; port 0 picks a
 *     free port (see {@link OtlpGrpcReceiver#boundAddress()}).
 * @param maxMessageBytes {@code max_message_bytes} (default 64MiB): the largest request message,
 *     checked on the frame as sent and again on the decompressed bytes of a gzip message; above it
 *     the call ends with RESOURCE_EXHAUSTED. At most 2GiB-1 (a gRPC limit).
 * @param maxMetadataBytes {@code max_metadata_bytes} (default 16KiB): the largest header block
 *     (metadata) of a call; above it the call is refused.
 * @param maxConcurrentStreams {@code max_concurrent_streams} (default 32): calls in flight on
 *     one HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS); more wait in the client. grpc-java
 *     buffers each call's message until it is whole, before the limiter can see it, so this (times
 *     the connections, times the message size) bounds that memory under overload: at 1000, a 3x
 *     overload with 245 KB messages exhausted 256 MiB of direct memory.
 * @param maxConnectionIdle {@code max_connection_idle} (default 5m; {@code 0s} = never): a
 *     connection without calls for this long is closed gracefully (GOAWAY).
 * @param maxConnectionAge {@code max_connection_age} (default {@code 0s} = never): a connection
 *     older than this is closed gracefully, so that clients behind a layer-4 load balancer spread
 *     over new gateway replicas.
 * @param maxConnectionAgeGrace {@code max_connection_age_grace} (default 30s): how long calls in
 *     flight may run on a connection closed for its age.
 * @param keepaliveTime {@code keepalive_time} (default 1m): the server pings a connection that was
 *     quiet this long, to find dead peers (and keep NAT entries) while calls are open.
 * @param keepaliveTimeout {@code keepalive_timeout} (default 20s): a ping not answered within this
 *     closes the connection.
 * @param permitKeepaliveTime {@code permit_keepalive_time} (default 10s): the shortest interval at
 *     which a client may ping; a client pinging faster gets GOAWAY (ENHANCE_YOUR_CALM).
 * @param permitKeepaliveWithoutCalls {@code permit_keepalive_without_calls} (default true): clients
 *     may ping idle connections (exporters keep them open between their export intervals).
 * @param workerThreads {@code worker_threads} (default 0 = four per CPU, at least 8): threads that
 *     decompress, decode and hand requests to the pipeline. With durability on a thread waits for
 *     the log's fsync before it answers, so there are more threads than CPUs: concurrent requests
 *     then share one fsync (group commit).
 * @param maxConnections {@code max_connections} (default 1000; 0 = no cap): connections open at
 *     once; one beyond the cap is closed as soon as it is accepted, before TLS, and counted in
 *     {@code gateway_connections_closed_total{transport="grpc",reason="max_connections"}}.
 * @param tls {@code tls} (default none = plain text, h2c): {@code cert_file}, {@code key_file},
 *     {@code client_ca_file} (mTLS), {@code client_auth}, {@code reload_interval}; see {@link
 *     TlsConfig}. Null for plain text.
 */
public record OtlpGrpcReceiverConfig(
    boolean enabled,
    HostPort endpoint,
    long maxMessageBytes,
    long maxMetadataBytes,
    int maxConcurrentStreams,
    Duration maxConnectionIdle,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    Duration keepaliveTime,
    Duration keepaliveTimeout,
    Duration permitKeepaliveTime,
    boolean permitKeepaliveWithoutCalls,
    int workerThreads,
    int maxConnections,
    TlsConfig tls) {

  public static final HostPort DEFAULT_ENDPOINT = HostPort.of("0.0.0.0", 4317);
  public static final int DEFAULT_MAX_CONNECTIONS = 1000;
  public static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L * 1024 * 1024;
  public static final long DEFAULT_MAX_METADATA_BYTES = 16L * 1024;
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 32;

  private static final OtlpGrpcReceiverConfig DEFAULTS =
      new OtlpGrpcReceiverConfig(
          true,
          DEFAULT_ENDPOINT,
          DEFAULT_MAX_MESSAGE_BYTES,
          DEFAULT_MAX_METADATA_BYTES,
          DEFAULT_MAX_CONCURRENT_STREAMS,
          Duration.ofMinutes(5),
          Duration.ZERO,
          Duration.ofSeconds(30),
          Duration.ofMinutes(1),
          Duration.ofSeconds(20),
          Duration.ofSeconds(10),
          true,
          0,
          DEFAULT_MAX_CONNECTIONS,
          null);

  public OtlpGrpcReceiverConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    checkRange("max_message_bytes", maxMessageBytes, 1, Integer.MAX_VALUE);
    checkRange("max_metadata_bytes", maxMetadataBytes, 1, Integer.MAX_VALUE);
    checkRange("max_concurrent_streams", maxConcurrentStreams, 1, Integer.MAX_VALUE);
    checkRange("worker_threads", workerThreads, 0, 10_000);
    notNegative("max_connection_idle", maxConnectionIdle);
    notNegative("max_connection_age", maxConnectionAge);
    notNegative("max_connection_age_grace", maxConnectionAgeGrace);
    positive("keepalive_time", keepaliveTime);
    positive("keepalive_timeout", keepaliveTimeout);
    notNegative("permit_keepalive_time", permitKeepaliveTime);
    checkRange("max_connections", maxConnections, 0, MAX_CONNECTIONS_LIMIT);
  }

  /** The settings of before connection limits and TLS: {@code max_connections} 1000, plain text. */
  public OtlpGrpcReceiverConfig(
      boolean enabled,
      HostPort endpoint,
      long maxMessageBytes,
      long maxMetadataBytes,
      int maxConcurrentStreams,
      Duration maxConnectionIdle,
      Duration maxConnectionAge,
      Duration maxConnectionAgeGrace,
      Duration keepaliveTime,
      Duration keepaliveTimeout,
      Duration permitKeepaliveTime,
      boolean permitKeepaliveWithoutCalls,
      int workerThreads) {
    this(enabled, endpoint, maxMessageBytes, maxMetadataBytes, maxConcurrentStreams, maxConnectionIdle,
        maxConnectionAge, maxConnectionAgeGrace, keepaliveTime, keepaliveTimeout, permitKeepaliveTime,
        permitKeepaliveWithoutCalls, workerThreads, DEFAULT_MAX_CONNECTIONS, null);
  }

  /** Everything at its default: {@code 0.0.0.0:4317}, 64 MiB messages, and so on. */
  public static OtlpGrpcReceiverConfig defaults() {
    return DEFAULTS;
  }

  public OtlpGrpcReceiverConfig withEndpoint(HostPort newEndpoint) {
    return new OtlpGrpcReceiverConfig(
        enabled, newEndpoint, maxMessageBytes, maxMetadataBytes, maxConcurrentStreams,
        maxConnectionIdle, maxConnectionAge, maxConnectionAgeGrace, keepaliveTime,
        keepaliveTimeout, permitKeepaliveTime, permitKeepaliveWithoutCalls, workerThreads,
        maxConnections, tls);
  }

  public OtlpGrpcReceiverConfig withMaxMessageBytes(long newMaxMessageBytes) {
    return new OtlpGrpcReceiverConfig(
        enabled, endpoint, newMaxMessageBytes, maxMetadataBytes, maxConcurrentStreams,
        maxConnectionIdle, maxConnectionAge, maxConnectionAgeGrace, keepaliveTime,
        keepaliveTimeout, permitKeepaliveTime, permitKeepaliveWithoutCalls, workerThreads,
        maxConnections, tls);
  }

  public OtlpGrpcReceiverConfig withMaxConnections(int newMaxConnections) {
    return new OtlpGrpcReceiverConfig(
        enabled, endpoint, maxMessageBytes, maxMetadataBytes, maxConcurrentStreams,
        maxConnectionIdle, maxConnectionAge, maxConnectionAgeGrace, keepaliveTime,
        keepaliveTimeout, permitKeepaliveTime, permitKeepaliveWithoutCalls, workerThreads,
        newMaxConnections, tls);
  }

  /** A copy serving TLS with these settings (null: plain text). */
  public OtlpGrpcReceiverConfig withTls(TlsConfig newTls) {
    return new OtlpGrpcReceiverConfig(
        enabled, endpoint, maxMessageBytes, maxMetadataBytes, maxConcurrentStreams,
        maxConnectionIdle, maxConnectionAge, maxConnectionAgeGrace, keepaliveTime,
        keepaliveTimeout, permitKeepaliveTime, permitKeepaliveWithoutCalls, workerThreads,
        maxConnections, newTls);
  }

  /** The worker thread count with the default (0) resolved. */
  int effectiveWorkerThreads() {
    return workerThreads > 0 ? workerThreads : io.ccotel.gateway.core.pipeline.ReceiverSettings.defaultWorkerThreads();
  }

  private static void checkRange(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  private static void notNegative(String key, Duration d) {
    Objects.requireNonNull(d, key);
    if (d.isNegative()) {
      throw new IllegalArgumentException(key + " must not be negative, got " + d);
    }
  }

  private static void positive(String key, Duration d) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be more than 0, got " + d);
    }
  }
}

package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverFactory;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import java.util.List;

/**
 * Builds {@link OtlpHttpReceiver}s from the {@code receivers.otlp_http} section. YAML keys: {@code
 * enabled}, {@code endpoint}, {@code max_body_bytes}, {@code max_compressed_body_bytes}, {@code
 * idle_timeout}, {@code max_header_bytes}, {@code max_connections}, {@code read_timeout}, {@code
 * tls} (see {@link OtlpHttpReceiverConfig} and {@link TlsConfig}). Thread-safe.
 */
public final class OtlpHttpReceiverFactory implements ReceiverFactory<OtlpHttpReceiverConfig> {
  public static final String TYPE = "otlp_http";

  static final List<String> KEYS =
      List.of(
          "enabled",
          "endpoint",
          "max_body_bytes",
          "max_compressed_body_bytes",
          "idle_timeout",
          "max_header_bytes",
          "max_connections",
          "read_timeout",
          "worker_threads",
          "tls");

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public OtlpHttpReceiverConfig defaultConfig() {
    return OtlpHttpReceiverConfig.defaults();
  }

  /** Fails with a {@link ConfigException} naming the key on an unknown key or a bad value. */
  @Override
  public OtlpHttpReceiverConfig parseConfig(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    OtlpHttpReceiverConfig d = defaultConfig();
    boolean enabled = node.bool("enabled", d.enabled());
    var endpoint = node.hostPort("endpoint", d.endpoint());
    long maxBody = node.bytes("max_body_bytes", d.maxBodyBytes(), 1, OtlpHttpReceiverConfig.MAX_BODY_LIMIT);
    long maxCompressed =
        node.bytes(
            "max_compressed_body_bytes", d.maxCompressedBodyBytes(), 1, OtlpHttpReceiverConfig.MAX_BODY_LIMIT);
    var idle = node.duration("idle_timeout", d.idleTimeout());
    int maxHeader =
        (int)
            node.bytes(
                "max_header_bytes",
                d.maxHeaderBytes(),
                OtlpHttpReceiverConfig.MIN_HEADER_BYTES,
                OtlpHttpReceiverConfig.MAX_HEADER_BYTES);
    int maxConnections =
        node.intValue("max_connections", d.maxConnections(), 0, OtlpHttpReceiverConfig.MAX_CONNECTIONS_LIMIT);
    var readTimeout = node.duration("read_timeout", d.readTimeout());
    int workerThreads = node.intValue("worker_threads", d.workerThreads(), 0, 10_000);
    TlsConfig tls = TlsConfig.parse(node.child("tls"));
    try {
      return new OtlpHttpReceiverConfig(
          enabled, endpoint, maxBody, maxCompressed, idle, maxHeader, maxConnections, readTimeout, tls, workerThreads);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(node.path(), e.getMessage());
    }
  }

  @Override
  public Receiver create(ReceiverSettings settings, OtlpHttpReceiverConfig config, BatchConsumer next) {
    return OtlpHttpReceiver.create(settings, config, next);
  }
}

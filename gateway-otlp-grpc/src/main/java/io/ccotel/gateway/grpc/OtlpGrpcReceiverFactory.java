package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverFactory;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import java.util.List;
import java.util.Objects;

/**
 * Builds the OTLP/gRPC receiver ({@code type: otlp_grpc}) from its YAML section; the keys are
 * described on {@link OtlpGrpcReceiverConfig}. Stateless and thread-safe.
 */
public final class OtlpGrpcReceiverFactory implements ReceiverFactory<OtlpGrpcReceiverConfig> {
  public static final String TYPE = "otlp_grpc";

  static final List<String> KEYS =
      List.of(
          "enabled",
          "endpoint",
          "max_message_bytes",
          "max_metadata_bytes",
          "max_concurrent_streams",
          "max_connection_idle",
          "max_connection_age",
          "max_connection_age_grace",
          "keepalive_time",
          "keepalive_timeout",
          "permit_keepalive_time",
          "permit_keepalive_without_calls",
          "worker_threads",
          "max_connections",
          "tls");

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public OtlpGrpcReceiverConfig defaultConfig() {
    return OtlpGrpcReceiverConfig.defaults();
  }

  /** Reads the section; a misspelt key or a bad value is a {@link ConfigException} naming the key. */
  @Override
  public OtlpGrpcReceiverConfig parseConfig(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    OtlpGrpcReceiverConfig d = defaultConfig();
    int maxInt = Integer.MAX_VALUE;
    TlsConfig tls = TlsConfig.parse(node.child("tls"));
    try {
      return new OtlpGrpcReceiverConfig(
          node.bool("enabled", d.enabled()),
          node.hostPort("endpoint", d.endpoint()),
          node.bytes("max_message_bytes", d.maxMessageBytes(), 1, maxInt),
          node.bytes("max_metadata_bytes", d.maxMetadataBytes(), 1, maxInt),
          node.intValue("max_concurrent_streams", d.maxConcurrentStreams(), 1, maxInt),
          node.duration("max_connection_idle", d.maxConnectionIdle()),
          node.duration("max_connection_age", d.maxConnectionAge()),
          node.duration("max_connection_age_grace", d.maxConnectionAgeGrace()),
          node.duration("keepalive_time", d.keepaliveTime()),
          node.duration("keepalive_timeout", d.keepaliveTimeout()),
          node.duration("permit_keepalive_time", d.permitKeepaliveTime()),
          node.bool("permit_keepalive_without_calls", d.permitKeepaliveWithoutCalls()),
          node.intValue("worker_threads", d.workerThreads(), 0, 10_000),
          node.intValue("max_connections", d.maxConnections(), 0, OtlpGrpcReceiverConfig.MAX_CONNECTIONS_LIMIT),
          tls);
    } catch (IllegalArgumentException e) {
      // The record's own checks name the key ("keepalive_time must be more than 0, got PT0S").
      throw new ConfigException(node.path(), e.getMessage());
    }
  }

  @Override
  public Receiver create(ReceiverSettings settings, OtlpGrpcReceiverConfig config, BatchConsumer next) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(next, "next");
    return new OtlpGrpcReceiver(settings, config, next);
  }
}

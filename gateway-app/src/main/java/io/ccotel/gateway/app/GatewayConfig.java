package io.ccotel.gateway.app;

import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ExporterFactory;
import io.ccotel.gateway.core.pipeline.ReceiverFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole, checked configuration: what {@link ConfigLoader} makes of gateway.yaml (or of nothing,
 * for the defaults).
 *
 * @param receivers enabled receivers, in start order
 * @param exporters every configured exporter by id ({@code type} or {@code type/name})
 * @param pipelines for each signal, the exporter ids it fans out to (absent: the signal is
 *     accepted and dropped)
 * @param queueCapacityItems bound of each exporter's queue, in items
 * @param retryAfter the delay suggested to clients when a queue is full
 * @param shutdownTimeout how long a clean shutdown may take to flush
 * @param durability the durable log settings (enabled or not)
 * @param validation the {@code validation} section: Claude Code schema and generic OTLP checks
 * @param privacy the {@code privacy} section: what is removed or scrubbed before any exporter
 * @param auth the {@code auth} section: bearer tokens and the identity they stand for
 * @param limits the {@code limits} section: backpressure before the pipeline
 */
public record GatewayConfig(
    List<ReceiverSpec> receivers,
    Map<String, ExporterSpec> exporters,
    Map<Signal, List<String>> pipelines,
    long queueCapacityItems,
    Duration retryAfter,
    Duration shutdownTimeout,
    DurabilitySpec durability,
    io.ccotel.gateway.core.processing.ValidationConfig validation,
    io.ccotel.gateway.core.processing.PrivacyConfig privacy,
    io.ccotel.gateway.core.auth.AuthConfig auth,
    LimitsSpec limits) {
  public GatewayConfig {
    receivers = List.copyOf(receivers);
    exporters = Map.copyOf(exporters);
    pipelines = Map.copyOf(pipelines);
  }

  /** One receiver: its factory and its parsed config. */
  public record ReceiverSpec(String type, ReceiverFactory<Object> factory, Object config) {}

  /**
   * The {@code durability} section: with {@code enabled}, every accepted batch is written to the
   * on-disk log in {@code config.dir()} before the client's answer.
   */
  public record DurabilitySpec(boolean enabled, io.ccotel.gateway.core.durable.DurableLogConfig config) {}

  /**
   * The {@code limits} section (see {@link io.ccotel.gateway.core.pipeline.IntakeLimiter}).
   *
   * @param maxInflightBytes request bytes being processed at once; 0 = auto (1/16 of the max heap,
   *     at least 4 MiB)
   * @param maxHeapAfterGc refuse while heap used after the last GC exceeds this fraction (1 = off)
   * @param retryAfter the delay suggested to refused clients
   */
  public record LimitsSpec(long maxInflightBytes, double maxHeapAfterGc, Duration retryAfter) {
    public static LimitsSpec defaults() {
      return new LimitsSpec(0, 0.9, Duration.ofSeconds(1));
    }

    public long effectiveMaxInflightBytes() {
      return maxInflightBytes > 0
          ? maxInflightBytes
          : io.ccotel.gateway.core.pipeline.IntakeLimiter.defaultMaxInflightBytes();
    }
  }

  /** One exporter: id, factory and parsed config. */
  public record ExporterSpec(String id, String type, ExporterFactory<Object> factory, Object config) {}
}

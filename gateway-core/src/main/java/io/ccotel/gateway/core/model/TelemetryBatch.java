package io.ccotel.gateway.core.model;

/**
 * One request's worth of telemetry in the gateway's internal model. Immutable: once built, a batch
 * may be handed to several exporters at once without copying.
 */
public sealed interface TelemetryBatch permits MetricsBatch, LogsBatch, TracesBatch {
  Signal signal();

  /** Items in the OTLP sense: data points, log records or spans. */
  int itemCount();

  boolean isEmpty();
}

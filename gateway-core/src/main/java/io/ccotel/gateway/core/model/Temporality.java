package io.ccotel.gateway.core.model;

/** OTLP aggregation temporality. UNSPECIFIED is what gauges and summaries carry. */
public enum Temporality {
  UNSPECIFIED,
  DELTA,
  CUMULATIVE
}

package io.ccotel.gateway.core.model;

/** The OTLP metric data types. */
public enum MetricKind {
  GAUGE,
  SUM,
  HISTOGRAM,
  EXPONENTIAL_HISTOGRAM,
  SUMMARY
}

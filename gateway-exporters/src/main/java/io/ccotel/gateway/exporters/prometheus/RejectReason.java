package io.ccotel.gateway.exporters.prometheus;

/**
 * Why the Prometheus exporter refused a data point: the {@code reason} label of {@code
 * gateway_prometheus_rejected_points_total}.
 */
public enum RejectReason {
  /** Exponential histograms and summaries are not converted yet. */
  UNSUPPORTED_TYPE("unsupported_type"),
  /** A histogram point whose bucket bounds differ from those of its output series. */
  BUCKET_LAYOUT_CHANGED("bucket_layout_changed"),
  /** The Prometheus name is already used by a metric of another type. */
  TYPE_CONFLICT("type_conflict"),
  /** The point would create a series beyond {@code max_series}. */
  SERIES_LIMIT("series_limit"),
  /** NaN or infinite counter values, negative deltas of a monotonic sum, broken bucket layouts. */
  INVALID_VALUE("invalid_value"),
  /** A sum or histogram with temporality UNSPECIFIED: the value cannot be interpreted. */
  UNKNOWN_TEMPORALITY("unknown_temporality"),
  /** A cumulative point older than the last one applied from the same writer. */
  OUT_OF_ORDER("out_of_order");

  private final String label;

  RejectReason(String label) {
    this.label = label;
  }

  /** The label value, e.g. {@code bucket_layout_changed}. */
  public String label() {
    return label;
  }
}

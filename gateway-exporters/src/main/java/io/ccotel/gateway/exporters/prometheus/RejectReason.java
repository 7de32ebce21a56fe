package io.ccotel.gateway.exporters.prometheus;

/**
 * Why the Prometheus exporter refused a data point: the {@code reason} label of {@code
 * gateway_prometheus_rejected_points_total}, and one part of the partial-success message the
 * client gets (in this order).
 *
 * <p>Not refusals, and so not here: exact repeats of applied points (client retries; {@code
 * gateway_prometheus_duplicate_points_total}) and points older than what their cumulative writer
 * or gauge already holds ({@code gateway_prometheus_stale_points_total}): what they carry is
 * already applied.
 */
public enum RejectReason {
  /** The point would create a series beyond {@code max_series}. */
  SERIES_LIMIT("series_limit"),
  /** The point would create a series beyond {@code max_series_per_metric} for its metric. */
  SERIES_LIMIT_PER_METRIC("series_limit_per_metric"),
  /** Exponential histograms: not converted (see {@link MetricAccumulator}). */
  UNSUPPORTED_TYPE("unsupported_type"),
  /** The Prometheus name is already used by a metric of another type. */
  TYPE_CONFLICT("type_conflict"),
  /** A histogram point whose bucket bounds differ from those of its output series. */
  BUCKET_LAYOUT_CHANGED("bucket_layout_changed"),
  /** NaN or infinite values, negative deltas of a monotonic sum, broken bucket layouts or quantiles. */
  INVALID_VALUE("invalid_value"),
  /** A sum or histogram with temporality UNSPECIFIED: the value cannot be interpreted. */
  UNKNOWN_TEMPORALITY("unknown_temporality");

  private final String label;

  RejectReason(String label) {
    this.label = label;
  }

  /** The label value, e.g. {@code bucket_layout_changed}. */
  public String label() {
    return label;
  }
}

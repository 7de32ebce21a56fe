package io.ccotel.gateway.exporters.prometheus;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The points one {@link MetricAccumulator#apply} call refused, by reason, with the metrics they
 * belong to: what becomes the partial-success answer to the client. Not thread-safe: one per call.
 *
 * <p>The message ({@link #message}) is one part per reason, in {@link RejectReason} order, joined
 * with {@code "; "}. The first part names the exporter:
 *
 * <pre>
 * 3 data points refused by the prometheus exporter: series limit 100000 reached (exporters.prometheus.max_series);
 * 1 data point refused: exponential histograms are not supported, configure explicit buckets in the client, ...
 * </pre>
 */
final class Refusals {
  /** Metric names listed per reason; more are summed up as "and others". */
  private static final int NAMES_SHOWN = 3;

  private final long[] counts = new long[RejectReason.values().length];
  private final Map<RejectReason, Set<String>> metrics = new EnumMap<>(RejectReason.class);
  private final Set<RejectReason> moreMetrics = java.util.EnumSet.noneOf(RejectReason.class);
  private long total;

  void add(RejectReason reason, long points, String metric) {
    if (points <= 0) {
      return;
    }
    counts[reason.ordinal()] += points;
    total += points;
    if (metric != null) {
      Set<String> names = metrics.computeIfAbsent(reason, r -> new LinkedHashSet<>());
      if (names.size() < NAMES_SHOWN || names.contains(metric)) {
        names.add(metric);
      } else {
        moreMetrics.add(reason);
      }
    }
  }

  long total() {
    return total;
  }

  long count(RejectReason reason) {
    return counts[reason.ordinal()];
  }

  /** Empty when nothing was refused. */
  String message(String exporterId, PrometheusExporterConfig config) {
    if (total == 0) {
      return "";
    }
    String keyPrefix = "exporters." + exporterId + ".";
    List<String> parts = new ArrayList<>();
    for (RejectReason reason : RejectReason.values()) {
      long n = counts[reason.ordinal()];
      if (n == 0) {
        continue;
      }
      String head = n + (n == 1 ? " data point refused" : " data points refused");
      if (parts.isEmpty()) {
        head += " by the " + exporterId + " exporter";
      }
      parts.add(head + ": " + text(reason, keyPrefix, config));
    }
    return String.join("; ", parts);
  }

  private String text(RejectReason reason, String key, PrometheusExporterConfig config) {
    return switch (reason) {
      case SERIES_LIMIT -> "series limit " + config.maxSeries() + " reached (" + key + "max_series)";
      case SERIES_LIMIT_PER_METRIC ->
          "series limit " + config.maxSeriesPerMetric() + " per metric reached for " + names(reason)
              + " (" + key + "max_series_per_metric)";
      case UNSUPPORTED_TYPE ->
          "exponential histograms are not supported, configure explicit buckets in the client, e.g."
              + " OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=explicit_bucket_histogram"
              + inParens(reason);
      case TYPE_CONFLICT ->
          "the Prometheus name is already taken by a metric of another type, rename one of them" + inParens(reason);
      case BUCKET_LAYOUT_CHANGED ->
          "histogram bucket bounds differ from those of the existing series, keep one layout per series (the old one"
              + " expires after " + key + "series_idle_timeout without points)" + inParens(reason);
      case INVALID_VALUE ->
          "invalid values: NaN or infinite, a negative increment of a monotonic sum, bucket counts that do not match"
              + " the bounds, or a quantile outside [0, 1]" + inParens(reason);
      case UNKNOWN_TEMPORALITY ->
          "aggregation temporality unspecified, send DELTA or CUMULATIVE" + inParens(reason);
    };
  }

  private String inParens(RejectReason reason) {
    Set<String> names = metrics.get(reason);
    if (names == null || names.isEmpty()) {
      return "";
    }
    boolean several = names.size() > 1 || moreMetrics.contains(reason);
    return " (" + (several ? "metrics " : "metric ") + names(reason) + ")";
  }

  private String names(RejectReason reason) {
    Set<String> names = metrics.get(reason);
    if (names == null || names.isEmpty()) {
      return "a metric";
    }
    StringBuilder sb = new StringBuilder();
    Iterator<String> it = names.iterator();
    while (it.hasNext()) {
      String name = it.next();
      if (sb.length() > 0) {
        sb.append(it.hasNext() || moreMetrics.contains(reason) ? ", " : " and ");
      }
      sb.append(name);
    }
    if (moreMetrics.contains(reason)) {
      sb.append(" and others");
    }
    return sb.toString();
  }
}

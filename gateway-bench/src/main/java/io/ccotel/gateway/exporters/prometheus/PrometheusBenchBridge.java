package io.ccotel.gateway.exporters.prometheus;

import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.List;

/**
 * Benchmark access to the Prometheus exporter's accumulator (gateway-bench only; split package on
 * the class path, no JPMS): the snapshot step of a scrape, without the text writer.
 */
public final class PrometheusBenchBridge {
  private PrometheusBenchBridge() {}

  /** The OTLP series as client_java snapshots: what a scrape copies under the accumulator's lock. */
  public static List<MetricSnapshot> snapshot(PrometheusExporter exporter) {
    return exporter.accumulator().snapshot();
  }

  /** Points remembered to recognise client retries (bounded by 5 x max_series). */
  public static int rememberedPoints(PrometheusExporter exporter) {
    return exporter.accumulator().rememberedPointCount();
  }

  /**
   * The sample name in the text format of an OTLP sum ({@code monotonic}: a counter, with
   * {@code _total}) or gauge, as the exporter names it with its default {@code add_unit_suffixes}.
   */
  public static String sampleName(String otlpName, String otlpUnit, boolean monotonic) {
    return MetricNames.resolve(monotonic ? MetricNames.Kind.COUNTER : MetricNames.Kind.GAUGE, otlpName, otlpUnit, true).expositionName();
  }
}

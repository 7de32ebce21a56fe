package io.ccotel.gateway.bench;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.prometheus.PrometheusBenchBridge;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;

/**
 * Heap held by a Prometheus exporter with N active Claude Code series: fill a fresh exporter
 * (caps raised to fit) with one DELTA point of each series (the label sets of {@link
 * ClaudeCodeTraffic}: user_id, team tags, model, type, ...; 34 series per user with 4 models), then
 * full GCs, and measure the used heap against the baseline before. The figure includes what the
 * exporter keeps with the series: the remembered points for retry detection (one per applied
 * point, kept an hour) and target_info. Run it in a JVM of its own ({@code LoadGen heap}).
 */
final class SeriesHeap {
  private SeriesHeap() {}

  record Result(int series, long heapBytes, long baselineBytes, int remembered, double fillSeconds) {}

  static Result measure(int series) {
    long baseline = usedAfterGc();
    int perUser = 7 * 4 + 6;
    int users = (series + perUser - 1) / perUser;
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(new ClaudeCodeTraffic.Shape(users, 100, 4, users, 11));
    PrometheusExporter exporter =
        new PrometheusExporter(
            new ExporterSettings("prometheus", GatewayMetrics.noop(), Clock.systemUTC()),
            PrometheusExporterConfig.builder()
                .stateFile("")
                .endpoint(HostPort.of("127.0.0.1", 0))
                .stateCheckpointInterval(Duration.ZERO)
                .maxSeries(series * 2)
                .maxSeriesPerMetric(series * 2)
                .build());
    long t0 = System.nanoTime();
    for (int u = 0; u < users && exporter.seriesCount() < series; u++) {
      ExportMetricsServiceRequest req = traffic.allSeriesOfUser(u);
      ConsumeResult r = exporter.apply(OtlpProtoMapper.metrics(req));
      if (r.rejectedItems() > 0) {
        throw new IllegalStateException("refused while filling: " + r.message());
      }
    }
    double fill = (System.nanoTime() - t0) / 1e9;
    traffic = null;
    long used = usedAfterGc();
    Result result = new Result(exporter.seriesCount(), used - baseline, baseline, PrometheusBenchBridge.rememberedPoints(exporter), fill);
    // Keep the exporter reachable until measured.
    exporter.shutdown(Duration.ofSeconds(1));
    return result;
  }

  static long usedAfterGc() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}

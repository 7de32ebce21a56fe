package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.exporters.prometheus.PrometheusBenchBridge;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The exposition with {@code series} active Claude Code series (target: 100,000 rendered in at
 * most 250 ms). The exporter (caps raised to fit) is filled with one point of each series of
 * {@code series / 34} users x 4 models (the label sets of {@link ClaudeCodeTraffic}: user_id,
 * team tags, model, type, ...). {@code scrapeText}: {@link PrometheusExporter#scrape} in the
 * Prometheus text format 0.0.4 (what the HTTP endpoint writes, minus HTTP and gzip);
 * {@code scrapeOpenMetrics}: the same in OpenMetrics; {@code snapshotOnly}: copying the series
 * out of the accumulator, the part that holds its lock. Result: ms per scrape.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ScrapeBenchmark {
  @Param({"100000"})
  public int series;

  PrometheusExporter exporter;
  int seriesCount;
  int bytes;

  @Setup(Level.Trial)
  public void setup() {
    exporter =
        PrometheusApplyBenchmark.newExporter(
            PrometheusExporterConfig.builder().maxSeries(series * 2).maxSeriesPerMetric(series * 2));
    seriesCount = fill(exporter, series);
    bytes = exporter.scrape("text/plain; version=0.0.4").length();
    System.out.printf("%n[scrape] %d series (target_info included), text exposition %.1f MB%n", seriesCount, bytes / 1e6);
  }

  /** Fills with whole users' series until at least {@code series} claude_code series exist. */
  static int fill(PrometheusExporter exporter, int series) {
    ClaudeCodeTraffic.Shape shape = new ClaudeCodeTraffic.Shape(Math.max(1, series / 30), 100, 4, Math.max(1, series / 30), 7);
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(shape);
    int perUser = 7 * shape.models() + 6;
    int users = (series + perUser - 1) / perUser;
    if (users > shape.users()) {
      throw new IllegalStateException("shape too small");
    }
    for (int u = 0; u < users; u++) {
      ConsumeResult r = exporter.apply(OtlpProtoMapper.metrics(traffic.allSeriesOfUser(u)));
      if (!r.isAccepted() || r.rejectedItems() > 0) {
        throw new IllegalStateException("fill refused: " + r);
      }
    }
    return exporter.seriesCount();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    exporter.shutdown(Duration.ofSeconds(1));
  }

  @Benchmark
  public String scrapeText() {
    return exporter.scrape("text/plain; version=0.0.4");
  }

  @Benchmark
  public String scrapeOpenMetrics() {
    return exporter.scrape("application/openmetrics-text; version=1.0.0");
  }

  @Benchmark
  public List<MetricSnapshot> snapshotOnly() {
    return PrometheusBenchBridge.snapshot(exporter);
  }
}

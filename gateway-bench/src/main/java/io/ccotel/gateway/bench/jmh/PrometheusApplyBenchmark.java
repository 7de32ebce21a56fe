package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Label policy + accumulation: {@link PrometheusExporter#apply} (public API; default config, no
 * state file, not started) on Claude-Code-shaped DELTA batches. Every point is new: each
 * invocation re-times one of 64 template batches (fresh start/end times, same attributes), so the
 * exporter adds it instead of dropping it as a client retry. The population ({@link
 * ClaudeCodeTraffic.Shape#defaults()}: 1,000 users, 25 teams, 4 models, 5,000 sessions) makes
 * about 34,000 series, under the default caps; after warm-up every series exists and the retry
 * memory is full (steady state: one eviction per point).
 *
 * <p>{@code apply}: one thread; {@code apply2Threads}: two threads on one exporter (its lock).
 * {@code retimeOnly}: the re-timing alone, to subtract. {@code decodeAndApply}: protobuf bytes ->
 * model -> apply, from a ring of pre-encoded requests larger than the retry memory (the whole
 * in-process metrics path of a receiver, fresh objects every time). Result: batches/s and {@code
 * ·points} = data points/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PrometheusApplyBenchmark {
  @Param({"500"})
  public int pointsPerBatch;

  PrometheusExporter exporter;
  MetricsBatch[] templates;
  int[] templatePoints;
  final AtomicLong shift = new AtomicLong();

  byte[][] ring;
  int[] ringPoints;

  @Setup(Level.Trial)
  public void setup() {
    exporter = newExporter(PrometheusExporterConfig.builder());
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
    templates = new MetricsBatch[64];
    templatePoints = new int[templates.length];
    for (int i = 0; i < templates.length; i++) {
      templates[i] = OtlpProtoMapper.metrics(traffic.metrics(pointsPerBatch));
      templatePoints[i] = templates[i].itemCount();
    }
    // decodeAndApply: more distinct points than the exporter remembers (5 x max_series = 500,000).
    int requests = (int) Math.ceil(600_000.0 / pointsPerBatch);
    ring = new byte[requests][];
    ringPoints = new int[requests];
    ClaudeCodeTraffic other = new ClaudeCodeTraffic(Payloads.SHAPE, 1);
    for (int i = 0; i < requests; i++) {
      ExportMetricsServiceRequest req = other.metrics(pointsPerBatch);
      ring[i] = req.toByteArray();
      ringPoints[i] = ClaudeCodeTraffic.points(req);
    }
  }

  static PrometheusExporter newExporter(PrometheusExporterConfig.Builder config) {
    return new PrometheusExporter(
        new ExporterSettings("prometheus", GatewayMetrics.noop(), Clock.systemUTC()),
        config.stateFile("").endpoint(HostPort.of("127.0.0.1", 0)).stateCheckpointInterval(Duration.ZERO).build());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    exporter.shutdown(Duration.ofSeconds(1));
  }

  /** The template batch with every point's times moved by a new offset: all points new. */
  static MetricsBatch retimed(MetricsBatch template, long offset) {
    List<Metric> metrics = new ArrayList<>(template.metrics().size());
    for (Metric m : template.metrics()) {
      List<DataPoint> points = new ArrayList<>(m.points().size());
      for (DataPoint p : m.points()) {
        NumberPoint n = (NumberPoint) p;
        points.add(new NumberPoint(n.attributes(), n.startTimeNanos() + offset, n.timeNanos() + offset, n.isDouble(), n.doubleValue(), n.longValue(), n.flags()));
      }
      metrics.add(m.withPoints(points));
    }
    return new MetricsBatch(metrics);
  }

  @Benchmark
  public ConsumeResult apply(Counters.Points c) {
    int i = c.next(templates.length);
    ConsumeResult r = exporter.apply(retimed(templates[i], shift.incrementAndGet() * 1_000_000L));
    c.points += templatePoints[i];
    return r;
  }

  @Benchmark
  @Threads(2)
  public ConsumeResult apply2Threads(Counters.Points c) {
    int i = c.next(templates.length);
    ConsumeResult r = exporter.apply(retimed(templates[i], shift.incrementAndGet() * 1_000_000L));
    c.points += templatePoints[i];
    return r;
  }

  @Benchmark
  public MetricsBatch retimeOnly(Counters.Points c) {
    int i = c.next(templates.length);
    MetricsBatch b = retimed(templates[i], shift.incrementAndGet() * 1_000_000L);
    c.points += templatePoints[i];
    return b;
  }

  @Benchmark
  public ConsumeResult decodeAndApply(Counters.Points c) throws Exception {
    int i = c.next(ring.length);
    ConsumeResult r = exporter.apply(OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(ring[i])));
    c.points += ringPoints[i];
    return r;
  }
}

package io.ccotel.gateway.bench;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.ccotel.gateway.http.OtlpJsonDecoder;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ceiling of a load run: the same request bodies decoded in this process, with no network, on
 * {@code threads} threads for a fixed time. {@code decode}: what the receivers do before the
 * pipeline (protobuf: parseFrom + {@link OtlpProtoMapper}; JSON: {@link OtlpJsonDecoder} + the
 * same mapping). {@code decode+apply} (metrics only): plus {@link PrometheusExporter#apply} on a
 * fresh exporter with the gateway's defaults, i.e. the gateway's metrics path without network,
 * durable log or HTTP/2.
 */
final class Ceiling {
  private Ceiling() {}

  record Result(String what, int threads, double itemsPerSecond) {}

  static Result decode(Workload w, List<Workload.Payload> pool, int threads, double warmupSeconds, double seconds) throws InterruptedException {
    return run("decode", w, pool, threads, warmupSeconds, seconds, null);
  }

  static Result decodeAndApply(Workload w, List<Workload.Payload> pool, int threads, double warmupSeconds, double seconds) throws InterruptedException {
    PrometheusExporter exporter =
        new PrometheusExporter(
            new ExporterSettings("prometheus", GatewayMetrics.noop(), Clock.systemUTC()),
            PrometheusExporterConfig.builder().stateFile("").endpoint(HostPort.of("127.0.0.1", 0)).stateCheckpointInterval(Duration.ZERO).build());
    try {
      return run("decode+apply", w, pool, threads, warmupSeconds, seconds, exporter);
    } finally {
      exporter.shutdown(Duration.ofSeconds(1));
    }
  }

  private static Result run(String what, Workload w, List<Workload.Payload> pool, int threads, double warmupSeconds, double seconds, PrometheusExporter exporter)
      throws InterruptedException {
    AtomicLong items = new AtomicLong();
    AtomicLong next = new AtomicLong();
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<Thread> ts = new ArrayList<>();
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        long mine = 0;
        try {
          while (true) {
            long now = System.nanoTime();
            if (now >= end) {
              break;
            }
            Workload.Payload p = pool.get((int) (next.getAndIncrement() % pool.size()));
            decode(w, p.body(), exporter);
            if (now >= measureFrom) {
              mine += p.items();
            }
          }
        } catch (Exception | Error e) {
          failure[0] = e;
        }
        items.addAndGet(mine);
      }, "ceiling-" + t);
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    if (failure[0] != null) {
      throw new IllegalStateException("ceiling run failed", failure[0]);
    }
    return new Result(what, threads, items.get() / seconds);
  }

  private static void decode(Workload w, byte[] body, PrometheusExporter exporter) throws Exception {
    boolean json = w.protocol() == Workload.Protocol.HTTP_JSON;
    if (w.signal() == Workload.Signal.METRICS) {
      MetricsBatch b = OtlpProtoMapper.metrics(json ? OtlpJsonDecoder.metrics(body) : ExportMetricsServiceRequest.parseFrom(body));
      if (exporter != null) {
        exporter.apply(b);
      }
    } else {
      OtlpProtoMapper.logs(json ? OtlpJsonDecoder.logs(body) : ExportLogsServiceRequest.parseFrom(body));
    }
  }
}

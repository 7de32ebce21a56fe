package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.PrometheusProtobufWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus scrape endpoint: OTLP metrics in, exact Prometheus series out (see {@link
 * MetricAccumulator} for the rules), served over HTTP with client_java's {@link HTTPServer}
 * (content negotiation between Prometheus text 0.0.4, OpenMetrics and protobuf; gzip).
 *
 * <p>The same endpoint also serves the gateway's own metrics: when the settings' meter registry is
 * (or contains) a micrometer {@link PrometheusMeterRegistry}, every scrape includes what that
 * registry's {@link PrometheusRegistry} holds. The exporter does not register into that registry
 * but serves its own {@link PrometheusRegistry} with one collector that merges the two, so that
 * two prometheus exporters in one gateway do not see each other's series, and a client metric
 * whose name clashes with a gateway metric is left out (logged once) instead of failing the whole
 * scrape.
 *
 * <p>Own metrics, tagged {@code exporter=<id>}: {@code gateway_prometheus_series} (gauge),
 * {@code gateway_prometheus_duplicate_points_total}, {@code
 * gateway_prometheus_rejected_points_total{reason}}, {@code
 * gateway_prometheus_evicted_writers_total}. They are registered in the settings' registry and,
 * when that is no Prometheus registry, exposed directly on the endpoint.
 *
 * <p>Thread safety: {@link #export} is called by one queue worker; scrapes come from HTTP threads
 * and {@link #scrape} from anyone; idle series expire on a timer thread of this exporter.
 */
public final class PrometheusExporter implements Exporter {
  private static final Logger log = LoggerFactory.getLogger(PrometheusExporter.class);

  private final String id;
  private final PrometheusExporterConfig config;
  private final MetricAccumulator accumulator;
  private final MeterRegistry meterRegistry;
  private final PrometheusRegistry gatewayRegistry;
  private final PrometheusRegistry servedRegistry = new PrometheusRegistry();
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final List<Meter> meters = new ArrayList<>();
  private final Set<String> clashesLogged = ConcurrentHashMap.newKeySet();

  private final Object lifecycle = new Object();
  private HTTPServer server;
  private ScheduledExecutorService expiry;
  private volatile InetSocketAddress boundAddress;
  private boolean started;
  private boolean stopped;

  public PrometheusExporter(ExporterSettings settings, PrometheusExporterConfig config) {
    this.id = settings.id();
    this.config = config;
    this.accumulator = new MetricAccumulator(id, config, settings.clock());
    this.meterRegistry = settings.metrics().registry();
    PrometheusMeterRegistry prometheusMeters = findPrometheusRegistry(meterRegistry);
    this.gatewayRegistry = prometheusMeters == null ? null : prometheusMeters.getPrometheusRegistry();
    registerMeters();
    servedRegistry.register(new ScrapeCollector());
  }

  private static PrometheusMeterRegistry findPrometheusRegistry(MeterRegistry registry) {
    if (registry instanceof PrometheusMeterRegistry p) {
      return p;
    }
    if (registry instanceof CompositeMeterRegistry c) {
      for (MeterRegistry r : c.getRegistries()) {
        PrometheusMeterRegistry p = findPrometheusRegistry(r);
        if (p != null) {
          return p;
        }
      }
    }
    return null;
  }

  private void registerMeters() {
    meters.add(
        Gauge.builder("gateway.prometheus.series", accumulator, MetricAccumulator::seriesCount)
            .description("Series the Prometheus exporter currently exposes for OTLP metrics")
            .tag("exporter", id)
            .register(meterRegistry));
    meters.add(
        FunctionCounter.builder(
                "gateway.prometheus.duplicate.points", accumulator, MetricAccumulator::duplicatePoints)
            .description("Points dropped as exact repeats of points already applied (client retries)")
            .tag("exporter", id)
            .register(meterRegistry));
    for (RejectReason reason : RejectReason.values()) {
      meters.add(
          FunctionCounter.builder(
                  "gateway.prometheus.rejected.points", accumulator, a -> a.rejectedPoints(reason))
              .description("Points the Prometheus exporter refused, by reason")
              .tag("exporter", id)
              .tag("reason", reason.label())
              .register(meterRegistry));
    }
    meters.add(
        FunctionCounter.builder(
                "gateway.prometheus.evicted.writers", accumulator, MetricAccumulator::evictedWriters)
            .description("Cumulative writers forgotten because the writer table was full")
            .tag("exporter", id)
            .register(meterRegistry));
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Set<Signal> supportedSignals() {
    return Set.of(Signal.METRICS);
  }

  public PrometheusExporterConfig config() {
    return config;
  }

  /** Binds the scrape endpoint and starts the idle-series timer. */
  @Override
  public void start() throws IOException {
    synchronized (lifecycle) {
      if (started || stopped) {
        return;
      }
      HostPort endpoint = config.endpoint();
      InetAddress address;
      try {
        address = InetAddress.getByName(endpoint.host());
        server =
            HTTPServer.builder()
                .inetAddress(address)
                .port(endpoint.port())
                .metricsHandlerPath(config.path())
                .registry(servedRegistry)
                .buildAndStart();
      } catch (IOException e) {
        throw new IOException(
            "Prometheus exporter " + id + ": cannot listen on " + endpoint + ": " + e.getMessage(), e);
      }
      boundAddress = new InetSocketAddress(address, server.getPort());
      started = true;
      long idle = config.seriesIdleTimeout().toMillis();
      if (idle > 0) {
        // Expiry runs on a timer (design.md), not only when scraped; a tenth of the timeout keeps
        // a series at most 10% longer than asked, checked at least every minute.
        long period = Math.max(1_000, Math.min(idle / 10, 60_000));
        expiry =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "prometheus-expiry-" + id);
                  t.setDaemon(true);
                  return t;
                });
        expiry.scheduleWithFixedDelay(this::expireIdle, period, period, TimeUnit.MILLISECONDS);
      }
      log.info("Prometheus scrape endpoint on http://{}{}", hostPort(boundAddress), config.path());
    }
  }

  private void expireIdle() {
    try {
      int removed = accumulator.expireIdle();
      if (removed > 0) {
        log.debug("Prometheus exporter {}: {} idle series removed", id, removed);
      }
    } catch (RuntimeException e) {
      log.warn("Prometheus exporter {}: expiring idle series failed", id, e);
    }
  }

  private static String hostPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return host.contains(":") ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
  }

  /** Applies a metrics batch; other signals are ignored (the pipeline never sends them). */
  @Override
  public void export(TelemetryBatch batch) {
    if (batch instanceof MetricsBatch metrics) {
      accumulator.apply(metrics);
    }
  }

  /**
   * Stops the endpoint and the timer and removes this exporter's meters from the registry. Safe
   * twice and before {@link #start}. The state is in memory only and goes with the exporter.
   */
  @Override
  public void shutdown(Duration deadline) {
    synchronized (lifecycle) {
      if (stopped) {
        return;
      }
      stopped = true;
      if (server != null) {
        server.close();
        server = null;
      }
      if (expiry != null) {
        expiry.shutdownNow();
        expiry = null;
      }
      for (Meter m : meters) {
        meterRegistry.remove(m);
      }
      meters.clear();
    }
  }

  /** Where the endpoint listens (the real port when configured with 0); null before start. */
  public InetSocketAddress boundAddress() {
    return boundAddress;
  }

  /**
   * The exposition the endpoint answers for this Accept header (Prometheus text 0.0.4 by default,
   * OpenMetrics for {@code application/openmetrics-text}), without HTTP. A protobuf Accept header
   * gets the Prometheus text format here, as this returns text.
   */
  public String scrape(String acceptHeader) {
    ExpositionFormatWriter writer = formats.findWriter(acceptHeader);
    if (writer instanceof PrometheusProtobufWriter) {
      writer = formats.getPrometheusTextFormatWriter();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writer.write(out, servedRegistry.scrape(), EscapingScheme.fromAcceptHeader(acceptHeader));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayOutputStream
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Output series currently held for OTLP metrics. */
  public int seriesCount() {
    return accumulator.seriesCount();
  }

  MetricAccumulator accumulator() {
    return accumulator;
  }

  /** The gateway's metrics (or this exporter's own, natively) plus the OTLP series. */
  private final class ScrapeCollector implements MultiCollector {
    @Override
    public MetricSnapshots collect() {
      return collect(null, null);
    }

    @Override
    public MetricSnapshots collect(PrometheusScrapeRequest request) {
      return collect(null, request);
    }

    @Override
    public MetricSnapshots collect(Predicate<String> includedNames, PrometheusScrapeRequest request) {
      List<MetricSnapshot> out = new ArrayList<>();
      Set<String> taken = new HashSet<>();
      Iterable<MetricSnapshot> gateway =
          gatewayRegistry != null
              ? (includedNames == null
                  ? gatewayRegistry.scrape(request)
                  : gatewayRegistry.scrape(includedNames, request))
              : ownMetrics();
      for (MetricSnapshot s : gateway) {
        if (included(includedNames, s)) {
          out.add(s);
          taken.addAll(reservedNames(s));
        }
      }
      for (MetricSnapshot s : accumulator.snapshot()) {
        if (!included(includedNames, s)) {
          continue;
        }
        Set<String> names = reservedNames(s);
        if (names.stream().anyMatch(taken::contains)) {
          String name = s.getMetadata().getPrometheusName();
          if (clashesLogged.add(name)) {
            log.warn(
                "Prometheus exporter {}: OTLP metric {} is not exposed: its name clashes with a gateway metric",
                id,
                name);
          }
          continue;
        }
        out.add(s);
      }
      return new MetricSnapshots(out);
    }

    private boolean included(Predicate<String> includedNames, MetricSnapshot s) {
      return includedNames == null || includedNames.test(s.getMetadata().getPrometheusName());
    }
  }

  private static Set<String> reservedNames(MetricSnapshot s) {
    String base = s.getMetadata().getPrometheusName();
    if (s instanceof CounterSnapshot) {
      return MetricNames.Resolved.reservedNames(MetricNames.Kind.COUNTER, base);
    }
    if (s instanceof HistogramSnapshot || s instanceof SummarySnapshot) {
      return MetricNames.Resolved.reservedNames(MetricNames.Kind.HISTOGRAM, base);
    }
    return Set.of(base);
  }

  /** This exporter's own metrics, when the gateway registry is not a Prometheus one. */
  private List<MetricSnapshot> ownMetrics() {
    Labels exporter = Labels.of("exporter", id);
    List<MetricSnapshot> out = new ArrayList<>();
    out.add(
        GaugeSnapshot.builder()
            .name("gateway_prometheus_series")
            .help("Series the Prometheus exporter currently exposes for OTLP metrics")
            .dataPoint(
                GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(exporter)
                    .value(accumulator.seriesCount())
                    .build())
            .build());
    out.add(
        CounterSnapshot.builder()
            .name("gateway_prometheus_duplicate_points")
            .help("Points dropped as exact repeats of points already applied (client retries)")
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(exporter)
                    .value(accumulator.duplicatePoints())
                    .build())
            .build());
    CounterSnapshot.Builder rejected =
        CounterSnapshot.builder()
            .name("gateway_prometheus_rejected_points")
            .help("Points the Prometheus exporter refused, by reason");
    for (RejectReason reason : RejectReason.values()) {
      rejected.dataPoint(
          CounterSnapshot.CounterDataPointSnapshot.builder()
              .labels(exporter.add("reason", reason.label()))
              .value(accumulator.rejectedPoints(reason))
              .build());
    }
    out.add(rejected.build());
    out.add(
        CounterSnapshot.builder()
            .name("gateway_prometheus_evicted_writers")
            .help("Cumulative writers forgotten because the writer table was full")
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(exporter)
                    .value(accumulator.evictedWriters())
                    .build())
            .build());
    return out;
  }
}

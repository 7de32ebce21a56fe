package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.pipeline.CheckpointBarrier;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
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
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
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
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus scrape endpoint: OTLP metrics in, exact Prometheus series out (see {@link
 * MetricAccumulator} for the rules), served over HTTP with client_java's {@link HTTPServer}
 * (content negotiation between Prometheus text 0.0.4, OpenMetrics and protobuf; gzip).
 *
 * <p>An inline exporter ({@link #inline()}): the fanout calls {@link #apply} on the receiving
 * thread, the batch is applied before the client is answered, and the points this exporter refuses
 * (series caps, unsupported types, invalid values; see {@link RejectReason}) come back as a partial
 * success whose message names each reason and the config key to change ({@link Refusals}). Exact
 * repeats of applied points (client retries) are accepted, not refused: they were applied before.
 *
 * <p>Restarts: with {@code state_file} set (the default), {@link #start} restores the totals saved
 * by the previous run, and the state is saved again every {@code state_checkpoint_interval} and at
 * {@link #shutdown}, atomically ({@link StateFile}). So a clean restart or redeploy is no counter
 * reset: series continue from their totals, a client retrying a batch applied before the restart
 * is still recognised as a repeat (for {@link MetricAccumulator#DUPLICATE_WINDOW}), and a
 * cumulative writer that continues adds only its increase. <b>A crash</b> (kill -9, power loss,
 * OOM) loses what was applied since the last checkpoint, at most {@code
 * state_checkpoint_interval} of data: delta points acknowledged in that window are gone (the
 * clients will not send them again; a retry of one of them is then applied, correctly, as its
 * first application was lost), and series created in it are missing until their next point.
 * Cumulative writers lose nothing once they send again: their next total brings their share back.
 * A file that cannot be read is moved aside ({@code .corrupt-<time>}) and the exporter starts
 * empty: start-up never fails because of it. Two exporters (or gateways) cannot share one state
 * file: the second fails to start. Points applied before {@link #start} (the pipeline starts
 * exporters before receivers, so only in tests) are replaced by the restored state.
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
 * {@code gateway_prometheus_duplicate_points_total}, {@code gateway_prometheus_stale_points_total},
 * {@code gateway_prometheus_rejected_points_total{reason}}, {@code
 * gateway_prometheus_evicted_writers_total}, {@code gateway_prometheus_state_save_failures_total}.
 * They are registered in the settings' registry and, when that is no Prometheus registry, exposed
 * directly on the endpoint.
 *
 * <p>Thread safety: {@link #apply} and {@link #export} are called from many receiver threads at
 * once; scrapes come from HTTP threads and {@link #scrape} from anyone; idle series expire and
 * checkpoints are written on a timer thread of this exporter. The batch is not kept after the call.
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
  private final StateFile stateFile;
  private final Clock clock;
  private final Object saveLock = new Object();
  private final AtomicLong saveFailures = new AtomicLong();
  private long savedModCount = -1; // guarded by saveLock
  private volatile boolean persist;

  private final Object lifecycle = new Object();
  private HTTPServer server;
  private ScheduledExecutorService timer;
  private volatile InetSocketAddress boundAddress;
  private boolean started;
  private boolean stopped;

  public PrometheusExporter(ExporterSettings settings, PrometheusExporterConfig config) {
    this.id = settings.id();
    this.config = config;
    this.clock = settings.clock();
    this.accumulator = new MetricAccumulator(id, config, clock);
    Path state = config.stateFilePath();
    this.stateFile = state == null ? null : new StateFile(state);
    this.persist = stateFile != null;
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
                "gateway.prometheus.stale.points", accumulator, MetricAccumulator::stalePoints)
            .description(STALE_HELP)
            .tag("exporter", id)
            .register(meterRegistry));
    meters.add(
        FunctionCounter.builder(
                "gateway.prometheus.evicted.writers", accumulator, MetricAccumulator::evictedWriters)
            .description("Cumulative writers forgotten because the writer table was full")
            .tag("exporter", id)
            .register(meterRegistry));
    meters.add(
        FunctionCounter.builder("gateway.prometheus.state.save.failures", saveFailures, AtomicLong::get)
            .description(SAVE_FAILURES_HELP)
            .tag("exporter", id)
            .register(meterRegistry));
  }

  private static final String STALE_HELP =
      "Points older than what their cumulative writer or gauge series already holds (already contained, ignored)";
  private static final String SAVE_FAILURES_HELP = "Failed saves of the Prometheus exporter's state file";

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

  /** Always: batches are applied on the receiving thread (see the class comment). */
  @Override
  public boolean inline() {
    return true;
  }

  /**
   * Restores the saved state (when {@code state_file} is set), binds the scrape endpoint and starts
   * the timer for idle-series expiry and checkpoints.
   *
   * @throws IOException when the port cannot be bound, or another exporter holds the state file
   */
  @Override
  public void start() throws IOException {
    synchronized (lifecycle) {
      if (started || stopped) {
        return;
      }
      boolean locked = false;
      if (stateFile != null) {
        try {
          stateFile.lock();
          locked = true;
        } catch (StateFile.StateFileInUseException e) {
          throw new IOException(
              "Prometheus exporter " + id + ": state file " + e.getMessage() + "; give each exporter its own "
                  + configKey("state_file"),
              e);
        } catch (IOException e) {
          persist = false;
          log.error(
              "Prometheus exporter {}: cannot create the directory or lock file of the state file {}; totals will"
                  + " NOT survive a restart. Set {} to a writable path, or to \"\" to keep state in memory only",
              id,
              stateFile.path(),
              configKey("state_file"),
              e);
        }
        if (locked) {
          restore();
        }
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
        if (locked) {
          stateFile.unlock();
        }
        throw new IOException(
            "Prometheus exporter " + id + ": cannot listen on " + endpoint + ": " + e.getMessage(), e);
      }
      boundAddress = new InetSocketAddress(address, server.getPort());
      started = true;
      startTimer();
      log.info("Prometheus scrape endpoint on http://{}{}", hostPort(boundAddress), config.path());
    }
  }

  private String configKey(String key) {
    return "exporters." + id + "." + key;
  }

  private void startTimer() {
    long idle = config.seriesIdleTimeout().toMillis();
    long checkpoint = persist ? config.stateCheckpointInterval().toMillis() : 0;
    if (idle <= 0 && checkpoint <= 0) {
      return;
    }
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "prometheus-timer-" + id);
              t.setDaemon(true);
              return t;
            });
    if (idle > 0) {
      // Expiry runs on a timer (design.md), not only when scraped; a tenth of the timeout keeps
      // a series at most 10% longer than asked, checked at least every minute.
      long period = Math.max(1_000, Math.min(idle / 10, 60_000));
      timer.scheduleWithFixedDelay(this::expireIdle, period, period, TimeUnit.MILLISECONDS);
    }
    if (checkpoint > 0) {
      timer.scheduleWithFixedDelay(this::checkpoint, checkpoint, checkpoint, TimeUnit.MILLISECONDS);
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

  /** Loads the saved state; never fails start-up (see the class comment). */
  private void restore() {
    Path path = stateFile.path();
    byte[] file;
    try {
      file = stateFile.read();
    } catch (IOException e) {
      setAside("cannot be read", e);
      return;
    }
    if (file == null) {
      log.info("Prometheus exporter {}: no saved state at {}; starting empty", id, path);
      return;
    }
    try {
      StateFile.Decoded decoded = StateFile.decodeWithPosition(file);
      MetricAccumulator.Restored r = accumulator.restoreState(decoded.body());
      restoredPosition = decoded.position();
      synchronized (saveLock) {
        savedModCount = accumulator.modCount();
      }
      log.info(
          "Prometheus exporter {}: restored {} series of {} metrics ({} cumulative writers, {} recent delta points"
              + " for retry detection) from {}, saved at {}",
          id,
          r.series(),
          r.families(),
          r.writers(),
          r.rememberedPoints(),
          path,
          Instant.ofEpochMilli(r.savedAtMillis()));
      if (r.series() > config.maxSeries()) {
        log.warn(
            "Prometheus exporter {}: restored {} series, more than {} = {}: no new series until some expire",
            id,
            r.series(),
            configKey("max_series"),
            config.maxSeries());
      }
    } catch (IOException e) {
      setAside("is not a valid state file", e);
    }
  }

  private void setAside(String problem, IOException e) {
    Path path = stateFile.path();
    try {
      Path aside = stateFile.setAside(clock.instant());
      log.error(
          "Prometheus exporter {}: state file {} {}; moved it to {} and starting with empty state: totals restart"
              + " from zero (Prometheus sees a counter reset)",
          id,
          path,
          problem,
          aside,
          e);
    } catch (IOException moveFailed) {
      persist = false;
      log.error(
          "Prometheus exporter {}: state file {} {} and cannot be moved aside ({}); starting with empty state and"
              + " NOT saving state in this run, so that the file is kept for inspection",
          id,
          path,
          problem,
          moveFailed.toString(),
          e);
    }
  }

  private void checkpoint() {
    try {
      save(false);
    } catch (IOException | RuntimeException e) {
      saveFailures.incrementAndGet();
      log.warn("Prometheus exporter {}: saving the state to {} failed; will try again", id, stateFile.path(), e);
    }
  }

  /**
   * Writes the state file (a checkpoint skips it when nothing changed since the last save).
   *
   * @return whether a file was written
   */
  private boolean save(boolean always) throws IOException {
    synchronized (saveLock) {
      long mod = accumulator.modCount();
      if (!always && mod == savedModCount) {
        return false;
      }
      CheckpointBarrier b = barrier;
      if (b == null) {
        stateFile.write(StateFile.encode(accumulator.saveState()));
      } else {
        // Durable mode: the snapshot is taken with intake paused, so it holds exactly the log's
        // records up to `position`; after a crash the log is replayed into it from there.
        byte[][] body = new byte[1][];
        long position = b.atConsistentPoint(() -> body[0] = accumulator.saveState());
        stateFile.write(StateFile.encode(body[0], position));
        b.checkpointed(position);
      }
      savedModCount = mod;
      return true;
    }
  }

  private volatile CheckpointBarrier barrier;
  private volatile long restoredPosition = -1;

  /** Durable mode: checkpoints go through the barrier when the state is kept in a file. */
  @Override
  public boolean bindCheckpoints(CheckpointBarrier checkpoints) {
    if (stateFile == null) {
      return false;
    }
    this.barrier = checkpoints;
    return true;
  }

  /**
   * The durable log position the restored state contains: -1 when nothing was restored (or the
   * file predates durability), {@link #NO_STATE} without a state file.
   */
  @Override
  public long restoredPosition() {
    return stateFile == null || !persist ? NO_STATE : restoredPosition;
  }

  /** Saves the state now, as a checkpoint does; for tests and operators' tooling. */
  void checkpointNow() throws IOException {
    if (stateFile != null && persist) {
      save(true);
    }
  }

  private static String hostPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return host.contains(":") ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
  }

  /**
   * Applies a metrics batch at once (other signals are ignored: the pipeline never sends them).
   * Thread-safe. Returns OK, or PARTIAL with the number of refused points and a message naming each
   * reason and the config key to change, e.g. {@code 3 data points refused by the prometheus
   * exporter: series limit 100000 reached (exporters.prometheus.max_series)}. Every refused point is
   * also counted in {@code gateway_prometheus_rejected_points_total{reason}}.
   */
  @Override
  public ConsumeResult apply(TelemetryBatch batch) {
    if (!(batch instanceof MetricsBatch metrics)) {
      return ConsumeResult.ok();
    }
    Refusals refusals = accumulator.apply(metrics);
    if (refusals.total() == 0) {
      return ConsumeResult.ok();
    }
    return ConsumeResult.partial(refusals.total(), refusals.message(id, config));
  }

  /** {@link #apply}, for callers that do not want the answer. */
  @Override
  public void export(TelemetryBatch batch) {
    apply(batch);
  }

  /**
   * Stops the endpoint and the timer, saves the state (when started with a state file: even past
   * the deadline, as losing the totals is worse than a slow stop), and removes this exporter's
   * meters from the registry. Safe twice and before {@link #start}; an exporter that was never
   * started saves nothing (it restored nothing either).
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
      if (timer != null) {
        // Not shutdownNow: an interrupted checkpoint would fail half-way; the final save waits for it.
        timer.shutdown();
        try {
          timer.awaitTermination(Math.max(1, deadline.toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        timer = null;
      }
      if (started && stateFile != null) {
        if (persist) {
          try {
            save(true);
            log.info(
                "Prometheus exporter {}: saved {} series to {}", id, accumulator.seriesCount(), stateFile.path());
          } catch (IOException | RuntimeException e) {
            saveFailures.incrementAndGet();
            log.error(
                "Prometheus exporter {}: saving the state to {} at shutdown failed; the totals since the last"
                    + " checkpoint are lost",
                id,
                stateFile.path(),
                e);
          }
        }
        stateFile.unlock();
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
    if (s instanceof HistogramSnapshot) {
      return MetricNames.Resolved.reservedNames(MetricNames.Kind.HISTOGRAM, base);
    }
    if (s instanceof SummarySnapshot) {
      return MetricNames.Resolved.reservedNames(MetricNames.Kind.SUMMARY, base);
    }
    if (s instanceof InfoSnapshot) {
      return MetricNames.Resolved.reservedNames(MetricNames.Kind.INFO, base);
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
            .name("gateway_prometheus_stale_points")
            .help(STALE_HELP)
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(exporter)
                    .value(accumulator.stalePoints())
                    .build())
            .build());
    out.add(
        CounterSnapshot.builder()
            .name("gateway_prometheus_state_save_failures")
            .help(SAVE_FAILURES_HELP)
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(exporter)
                    .value(saveFailures.get())
                    .build())
            .build());
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

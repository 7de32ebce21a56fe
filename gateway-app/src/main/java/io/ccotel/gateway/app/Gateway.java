package io.ccotel.gateway.app;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.core.pipeline.Lifecycle;
import io.ccotel.gateway.core.pipeline.Pipeline;
import io.ccotel.gateway.core.pipeline.PipelineAssembler;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The assembled gateway: receivers -> pipeline (processors, fanout) -> exporter queues -> exporters.
 *
 * <p>Start order: exporters (so /metrics is up), then receivers. Stop order: receivers first (no new
 * intake), then the pipeline flushes every queue, then the exporters stop. Safe to stop twice.
 */
public final class Gateway implements Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final PrometheusMeterRegistry registry;
  private final GatewayMetrics metrics;
  private final Map<String, Exporter> exporters = new LinkedHashMap<>();
  private final PipelineAssembler assembler;
  private volatile Pipeline pipeline;
  private final List<Receiver> receivers = new ArrayList<>();
  private final io.ccotel.gateway.core.pipeline.IntakeLimiter limiter;
  private volatile boolean stopped;

  /** Builds every component (nothing is bound yet). Throws ConfigException for bad wiring. */
  @SuppressWarnings("resource")
  public Gateway(GatewayConfig config, Clock clock) {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // Not micrometer's ProcessorMetrics: its process_cpu_time_ns_total and system_cpu_count fail
    // promtool's lint. process_cpu_seconds_total is the name Prometheus' own clients use.
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      io.micrometer.core.instrument.FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
          .baseUnit("seconds")
          .description("CPU time used by the gateway process")
          .register(registry);
    }
    this.metrics = new GatewayMetrics(registry, clock);

    this.assembler = new PipelineAssembler(metrics, config.queueCapacityItems(), config.retryAfter());
    Set<String> used = new TreeSet<>();
    config.pipelines().values().forEach(used::addAll);
    for (GatewayConfig.ExporterSpec spec : config.exporters().values()) {
      Exporter e = spec.factory().create(new ExporterSettings(spec.id(), metrics, clock), spec.config());
      exporters.put(spec.id(), e);
      assembler.exporter(e);
      if (!used.contains(spec.id())) {
        log.warn("Exporter {} is configured but no pipeline names it; it receives nothing", spec.id());
      }
    }
    // Validation first (an invalid item is never exported), then privacy (nothing sensitive
    // reaches an exporter or the durable log).
    var validation = config.validation().enabled()
        ? io.ccotel.gateway.core.processing.ValidationProcessor.create(config.validation(), metrics, clock)
        : null;
    var privacy = config.privacy().enabled()
        ? io.ccotel.gateway.core.processing.PrivacyProcessor.create(config.privacy(), metrics)
        : null;
    for (Map.Entry<Signal, List<String>> p : config.pipelines().entrySet()) {
      if (validation != null) {
        assembler.processor(p.getKey(), validation);
      }
      if (privacy != null) {
        assembler.processor(p.getKey(), privacy);
      }
      try {
        assembler.route(p.getKey(), p.getValue());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("pipelines." + p.getKey().id() + ".exporters", e.getMessage());
      }
    }
    // Throws ConfigException naming auth.tokens_file for a bad file: a start-up config error.
    var authenticator = config.auth().enabled()
        ? io.ccotel.gateway.core.auth.Authenticator.create(config.auth(), clock)
        : null;
    GatewayConfig.LimitsSpec limits = config.limits();
    limiter = new io.ccotel.gateway.core.pipeline.IntakeLimiter(
        limits.effectiveMaxInflightBytes(), limits.maxHeapAfterGc(), limits.retryAfter(), registry);
    ReceiverSettings rs = new ReceiverSettings(metrics, clock, authenticator, limiter);
    // The pipeline is built at start (durability opens its log then); receivers only start after.
    io.ccotel.gateway.core.pipeline.BatchConsumer intake = batch -> pipeline.consume(batch);
    for (GatewayConfig.ReceiverSpec spec : config.receivers()) {
      receivers.add(spec.factory().create(rs, spec.config(), intake));
    }
  }

  @Override
  public void start() throws Exception {
    long t0 = System.nanoTime();
    GatewayConfig.DurabilitySpec durability = config.durability();
    if (durability != null && durability.enabled()) {
      var durableLog = io.ccotel.gateway.core.durable.DurableLog.open(durability.config(), registry);
      var report = durableLog.recoveryReport();
      log.info("Durable log at {} (fsync {}): {} records in {} segments, positions {}..{}{}",
          durability.config().dir().toAbsolutePath(), durability.config().fsync(), report.records(), report.segments(),
          durableLog.firstPosition(), durableLog.nextPosition() - 1,
          report.truncatedBytes() > 0 ? "; a torn tail of " + report.truncatedBytes() + " bytes was truncated" : "");
      assembler.durable(durableLog);
    }
    pipeline = assembler.build();
    pipeline.start();
    // Exporters that are in no pipeline still start: a prometheus exporter serves the gateway's
    // own metrics even when no metrics pipeline names it.
    for (Map.Entry<String, Exporter> e : exporters.entrySet()) {
      if (!pipeline.runs(e.getKey())) {
        e.getValue().start();
      }
    }
    try {
      for (Receiver r : receivers) {
        r.start();
      }
    } catch (Exception e) {
      shutdown(Duration.ofSeconds(2));
      throw e;
    }
    for (Signal s : Signal.values()) {
      List<String> ids = config.pipelines().get(s);
      log.info("Pipeline {}: {}", s.id(), ids == null || ids.isEmpty() ? "accepted and dropped (no exporters)" : String.join(", ", ids));
    }
    GatewayConfig.LimitsSpec limits = config.limits();
    log.info("Backpressure: at most {} MiB of requests in flight{}; beyond, clients are told to retry in {} s",
        limiter.maxInflightBytes() >> 20,
        limits.maxHeapAfterGc() < 1 ? ", and none while the heap after GC is above " + Math.round(limits.maxHeapAfterGc() * 100) + "% of max" : "",
        limits.retryAfter().toSeconds());
    log.info("Gateway ready in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public void shutdown(Duration deadline) {
    if (stopped) {
      return;
    }
    stopped = true;
    long end = System.nanoTime() + deadline.toNanos();
    log.info("Shutting down: stopping intake, then flushing exporter queues (up to {} s)", deadline.toSeconds());
    for (Receiver r : receivers) {
      try {
        r.shutdown(remaining(end));
      } catch (RuntimeException e) {
        log.warn("Receiver {} did not stop cleanly", r.name(), e);
      }
    }
    if (pipeline != null) {
      pipeline.shutdown(remaining(end));
    }
    for (Map.Entry<String, Exporter> e : exporters.entrySet()) {
      if (pipeline == null || !pipeline.runs(e.getKey())) {
        e.getValue().shutdown(remaining(end));
      }
    }
    limiter.close();
    registry.close();
    log.info("Gateway stopped");
  }

  private static Duration remaining(long endNanos) {
    return Duration.ofNanos(Math.max(0, endNanos - System.nanoTime()));
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public Pipeline pipeline() {
    return pipeline;
  }

  public Exporter exporter(String id) {
    return exporters.get(id);
  }

  /** The bound address of a receiver by type ({@code otlp_grpc}, {@code otlp_http}), or null. */
  public InetSocketAddress receiverAddress(String type) {
    for (Receiver r : receivers) {
      if (r.name().equals(type)) {
        return r.boundAddress();
      }
    }
    return null;
  }

  public GatewayConfig config() {
    return config;
  }
}

package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link Pipeline} from exporters and processors. One queue per exporter, shared by every
 * signal that names it (none for an {@link Exporter#inline} exporter, applied by the fanout); per signal: processors (in order) then a fanout over that signal's queues.
 * A signal with no exporters gets a no-op consumer (accepted and dropped).
 */
public final class PipelineAssembler {
  private final GatewayMetrics metrics;
  private final long queueCapacityItems;
  private final Duration retryAfter;
  private final Map<String, Exporter> exporters = new LinkedHashMap<>();
  private final Map<Signal, List<String>> routes = new EnumMap<>(Signal.class);
  private final Map<Signal, List<Processor>> processors = new EnumMap<>(Signal.class);

  public PipelineAssembler(GatewayMetrics metrics, long queueCapacityItems, Duration retryAfter) {
    this.metrics = metrics;
    this.queueCapacityItems = queueCapacityItems;
    this.retryAfter = retryAfter;
  }

  public PipelineAssembler exporter(Exporter exporter) {
    if (exporters.putIfAbsent(exporter.id(), exporter) != null) {
      throw new IllegalArgumentException("exporter id '" + exporter.id() + "' used twice");
    }
    return this;
  }

  /** Sends this signal to these exporters (ids of exporters added with {@link #exporter}). */
  public PipelineAssembler route(Signal signal, List<String> exporterIds) {
    for (String id : exporterIds) {
      Exporter e = exporters.get(id);
      if (e == null) {
        throw new IllegalArgumentException("pipeline " + signal.id() + " names unknown exporter '" + id + "'");
      }
      if (!e.supportedSignals().contains(signal)) {
        throw new IllegalArgumentException(
            "exporter '" + id + "' cannot take " + signal.id() + " (it takes " + e.supportedSignals() + ")");
      }
    }
    routes.put(signal, List.copyOf(exporterIds));
    return this;
  }

  private io.ccotel.gateway.core.durable.DurableLog durableLog;

  /**
   * Durability on: batches are appended to this log before the client is answered, queued
   * exporters read it through their own cursors, inline exporters checkpoint against it. The
   * pipeline owns the log from now on and closes it at shutdown.
   */
  public PipelineAssembler durable(io.ccotel.gateway.core.durable.DurableLog log) {
    this.durableLog = log;
    return this;
  }

  public PipelineAssembler processor(Signal signal, Processor processor) {
    processors.computeIfAbsent(signal, s -> new ArrayList<>()).add(Objects.requireNonNull(processor));
    return this;
  }

  public Pipeline build() {
    if (durableLog != null) {
      return buildDurable();
    }
    Map<String, QueuedExporter> queues = new LinkedHashMap<>();
    Map<String, Exporter> inline = new LinkedHashMap<>();
    for (List<String> ids : routes.values()) {
      for (String id : ids) {
        Exporter e = exporters.get(id);
        if (e.inline()) {
          inline.put(id, e);
        } else {
          queues.computeIfAbsent(id, k -> new QueuedExporter(e, metrics, queueCapacityItems));
        }
      }
    }
    Map<Signal, BatchConsumer> bySignal = new EnumMap<>(Signal.class);
    for (Map.Entry<Signal, List<String>> route : routes.entrySet()) {
      List<QueuedExporter> qs = new ArrayList<>();
      List<Exporter> in = new ArrayList<>();
      for (String id : route.getValue()) {
        if (inline.containsKey(id)) {
          in.add(inline.get(id));
        } else {
          qs.add(queues.get(id));
        }
      }
      BatchConsumer tail = qs.isEmpty() && in.isEmpty() ? BatchConsumer.noop() : new Fanout(in, qs, metrics, retryAfter);
      List<Processor> chain = processors.getOrDefault(route.getKey(), List.of());
      for (int i = chain.size() - 1; i >= 0; i--) {
        tail = chain.get(i).wrap(tail);
      }
      bySignal.put(route.getKey(), tail);
    }
    return new Pipeline(bySignal, queues, inline);
  }

  private Pipeline buildDurable() {
    Map<String, Exporter> inline = new LinkedHashMap<>();
    Map<String, java.util.Set<Signal>> inlineRoutes = new LinkedHashMap<>();
    Map<String, java.util.Set<Signal>> drained = new LinkedHashMap<>();
    Map<String, Exporter> drainedExporters = new LinkedHashMap<>();
    Map<Signal, List<Exporter>> inlineBySignal = new EnumMap<>(Signal.class);
    for (Map.Entry<Signal, List<String>> route : routes.entrySet()) {
      for (String id : route.getValue()) {
        Exporter e = exporters.get(id);
        if (e.inline()) {
          inline.put(id, e);
          inlineRoutes.computeIfAbsent(id, k -> java.util.EnumSet.noneOf(Signal.class)).add(route.getKey());
          inlineBySignal.computeIfAbsent(route.getKey(), k -> new ArrayList<>()).add(e);
        } else {
          drained.computeIfAbsent(id, k -> java.util.EnumSet.noneOf(Signal.class)).add(route.getKey());
          drainedExporters.put(id, e);
        }
      }
    }
    DurableIntake intake = new DurableIntake(durableLog, metrics, retryAfter, inlineBySignal);
    Map<Signal, BatchConsumer> bySignal = new EnumMap<>(Signal.class);
    for (Signal signal : routes.keySet()) {
      BatchConsumer tail = routes.get(signal).isEmpty() ? BatchConsumer.noop() : intake.consumerFor(signal);
      List<Processor> chain = processors.getOrDefault(signal, List.of());
      for (int i = chain.size() - 1; i >= 0; i--) {
        tail = chain.get(i).wrap(tail);
      }
      bySignal.put(signal, tail);
    }
    Pipeline p = new Pipeline(bySignal, Map.of(), inline, intake, drained, inlineRoutes);
    p.durableExporters(drainedExporters, metrics);
    return p;
  }
}

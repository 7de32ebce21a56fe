package io.ccotel.gateway.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ExporterFactory;
import io.ccotel.gateway.core.pipeline.ReceiverFactory;
import io.ccotel.gateway.exporters.console.ConsoleExporterFactory;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterFactory;
import io.ccotel.gateway.grpc.OtlpGrpcReceiverFactory;
import io.ccotel.gateway.http.OtlpHttpReceiverFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads gateway.yaml: environment substitution, YAML parsing, then every section checked by the
 * component that owns it. Every error is a {@link ConfigException} whose message names the key.
 *
 * <p>With no file, the defaults of design.md: OTLP on 4317 (gRPC) and 4318 (HTTP), /metrics on
 * 9464, events and a per-batch metrics summary on the console.
 */
public final class ConfigLoader {
  private static final Set<String> TOP_LEVEL = Set.of("receivers", "exporters", "pipelines", "queue", "durability", "validation", "privacy", "auth", "limits", "shutdown_timeout");

  private final Map<String, ReceiverFactory<?>> receiverFactories = new LinkedHashMap<>();
  private final Map<String, ExporterFactory<?>> exporterFactories = new LinkedHashMap<>();
  private final Map<String, String> env;

  public ConfigLoader(Map<String, String> env) {
    this.env = env;
    register(new OtlpGrpcReceiverFactory());
    register(new OtlpHttpReceiverFactory());
    register(new PrometheusExporterFactory());
    register(new ConsoleExporterFactory());
    register(new io.ccotel.gateway.exporters.loki.LokiExporterFactory());
  }

  public static ConfigLoader withSystemEnv() {
    return new ConfigLoader(System.getenv());
  }

  private void register(ReceiverFactory<?> f) {
    receiverFactories.put(f.type(), f);
  }

  private void register(ExporterFactory<?> f) {
    exporterFactories.put(f.type(), f);
  }

  /** The configuration used when no file is given. */
  public GatewayConfig defaults() {
    return parse(
        Map.of(
            "exporters", Map.of("prometheus", Map.of(), "console", Map.of()),
            "pipelines",
                Map.of(
                    "metrics", Map.of("exporters", List.of("prometheus", "console")),
                    "logs", Map.of("exporters", List.of("console")),
                    "traces", Map.of("exporters", List.of("console")))));
  }

  public GatewayConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("", "config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("", "cannot read config file " + file + ": " + e.getMessage());
    }
    return loadText(text);
  }

  public GatewayConfig loadText(String yaml) {
    if (yaml.isBlank()) {
      return defaults();
    }
    Object root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr();
      throw new ConfigException(where, "not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null) {
      return defaults();
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new ConfigException("", "the file must be a YAML mapping with receivers, exporters and pipelines");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> top = (Map<String, Object>) EnvSubstitution.applyTree(map, "", env);
    return parse(top);
  }

  @SuppressWarnings("unchecked")
  private GatewayConfig parse(Map<String, Object> top) {
    ConfigNode root = new ConfigNode("", top);
    root.checkKnownKeys(TOP_LEVEL);

    // Receivers: both on by default; a section may turn one off with enabled: false.
    ConfigNode receiversNode = root.child("receivers");
    receiversNode.checkKnownKeys(receiverFactories.keySet());
    List<GatewayConfig.ReceiverSpec> receivers = new ArrayList<>();
    for (ReceiverFactory<?> f : receiverFactories.values()) {
      ConfigNode node = receiversNode.child(f.type());
      Object cfg = f.parseConfig(node);
      if (node.bool("enabled", true)) {
        receivers.add(new GatewayConfig.ReceiverSpec(f.type(), (ReceiverFactory<Object>) f, cfg));
      }
    }
    if (receivers.isEmpty()) {
      throw new ConfigException("receivers", "every receiver is disabled; the gateway would receive nothing");
    }

    ConfigNode exportersNode = root.child("exporters");
    Map<String, GatewayConfig.ExporterSpec> exporters = new LinkedHashMap<>();
    for (String id : exportersNode.keys()) {
      String type = id.contains("/") ? id.substring(0, id.indexOf('/')) : id;
      ExporterFactory<?> f = exporterFactories.get(type);
      if (f == null) {
        throw new ConfigException(
            exportersNode.pathOf(id),
            "unknown exporter type '" + type + "'; known types: " + String.join(", ", exporterFactories.keySet())
                + " (name several of one type as type/name, e.g. console/json)");
      }
      Object cfg = f.parseConfig(exportersNode.child(id));
      exporters.put(id, new GatewayConfig.ExporterSpec(id, type, (ExporterFactory<Object>) f, cfg));
    }

    ConfigNode pipelinesNode = root.child("pipelines");
    pipelinesNode.checkKnownKeys(List.of("metrics", "logs", "traces"));
    Map<Signal, List<String>> pipelines = new EnumMap<>(Signal.class);
    for (String key : pipelinesNode.keys()) {
      Signal signal = Signal.fromId(key);
      ConfigNode p = pipelinesNode.child(key);
      p.checkKnownKeys(List.of("exporters"));
      List<String> ids = p.stringList("exporters", List.of());
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        if (!exporters.containsKey(id)) {
          throw new ConfigException(
              p.pathOf("exporters") + "[" + i + "]",
              "names exporter '" + id + "', which is not configured under exporters (configured: "
                  + (exporters.isEmpty() ? "none" : String.join(", ", exporters.keySet())) + ")");
        }
      }
      if (ids.stream().distinct().count() != ids.size()) {
        throw new ConfigException(p.pathOf("exporters"), "names an exporter twice");
      }
      pipelines.put(signal, ids);
    }

    ConfigNode queue = root.child("queue");
    queue.checkKnownKeys(List.of("capacity_items", "retry_after"));
    long capacity = queue.longValue("capacity_items", 500_000, 1, 1L << 40);
    Duration retryAfter = queue.duration("retry_after", Duration.ofSeconds(5));
    if (retryAfter.isZero() || retryAfter.isNegative()) {
      throw new ConfigException(queue.pathOf("retry_after"), "must be at least 1s");
    }
    Duration shutdown = root.duration("shutdown_timeout", Duration.ofSeconds(10));
    return new GatewayConfig(receivers, exporters, pipelines, capacity, retryAfter, shutdown, durability(root.child("durability")),
        io.ccotel.gateway.core.processing.ValidationConfig.parse(root.child("validation")),
        io.ccotel.gateway.core.processing.PrivacyConfig.parse(root.child("privacy")),
        io.ccotel.gateway.core.auth.AuthConfig.parse(root.child("auth")),
        limits(root.child("limits")));
  }

  private static GatewayConfig.LimitsSpec limits(ConfigNode node) {
    node.checkKnownKeys(List.of("max_inflight_bytes", "max_heap_after_gc", "retry_after"));
    GatewayConfig.LimitsSpec d = GatewayConfig.LimitsSpec.defaults();
    long inflight = "auto".equals(node.raw("max_inflight_bytes"))
        ? 0
        : node.bytes("max_inflight_bytes", d.maxInflightBytes(), 1024, Long.MAX_VALUE);
    double heap = d.maxHeapAfterGc();
    Object rawHeap = node.raw("max_heap_after_gc");
    if (rawHeap != null) {
      String text = String.valueOf(rawHeap).trim();
      try {
        heap = text.endsWith("%")
            ? Double.parseDouble(text.substring(0, text.length() - 1).trim()) / 100
            : Double.parseDouble(text);
      } catch (NumberFormatException e) {
        heap = Double.NaN;
      }
      if (!(heap >= 0.1 && heap <= 1)) {
        throw new ConfigException(node.pathOf("max_heap_after_gc"),
            "expected a share of the maximum heap between 10% and 100% (100% turns the check off), such as 90%, got "
                + text);
      }
    }
    Duration retryAfter = node.duration("retry_after", d.retryAfter());
    if (retryAfter.isNegative() || retryAfter.toMillis() < 1000) {
      throw new ConfigException(node.pathOf("retry_after"), "must be at least 1s");
    }
    return new GatewayConfig.LimitsSpec(inflight, heap, retryAfter);
  }

  private static GatewayConfig.DurabilitySpec durability(ConfigNode node) {
    node.checkKnownKeys(List.of("enabled", "dir", "max_bytes", "segment_bytes", "fsync", "fsync_interval", "commit_interval"));
    boolean enabled = node.bool("enabled", false);
    java.nio.file.Path dir = java.nio.file.Path.of(node.string("dir", "data/log"));
    long maxBytes = node.bytes("max_bytes", io.ccotel.gateway.core.durable.DurableLogConfig.DEFAULT_MAX_BYTES, 2048, Long.MAX_VALUE);
    long segmentBytes = node.bytes("segment_bytes", io.ccotel.gateway.core.durable.DurableLogConfig.DEFAULT_SEGMENT_BYTES,
        io.ccotel.gateway.core.durable.DurableLogConfig.MIN_SEGMENT_BYTES, io.ccotel.gateway.core.durable.DurableLogConfig.MAX_SEGMENT_BYTES);
    String fsync = node.oneOf("fsync", "always", "always", "interval", "never");
    Duration fsyncInterval = node.duration("fsync_interval", io.ccotel.gateway.core.durable.DurableLogConfig.DEFAULT_FSYNC_INTERVAL);
    Duration commitInterval = node.duration("commit_interval", io.ccotel.gateway.core.durable.DurableLogConfig.DEFAULT_COMMIT_INTERVAL);
    try {
      return new GatewayConfig.DurabilitySpec(
          enabled,
          new io.ccotel.gateway.core.durable.DurableLogConfig(
              dir, maxBytes, segmentBytes,
              io.ccotel.gateway.core.durable.FsyncPolicy.valueOf(fsync.toUpperCase(java.util.Locale.ROOT)),
              fsyncInterval, commitInterval));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(node.path(), e.getMessage());
    }
  }
}

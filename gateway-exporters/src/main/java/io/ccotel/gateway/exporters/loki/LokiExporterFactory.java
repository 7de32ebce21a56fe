package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterFactory;
import io.ccotel.gateway.core.pipeline.ExporterSettings;

/**
 * Builds {@link LokiExporter}s: the exporter type {@code loki}. {@link #defaultConfig()} points at
 * a local Loki ({@code http://localhost:3100}); in YAML {@code endpoint} is required.
 */
public final class LokiExporterFactory implements ExporterFactory<LokiExporterConfig> {
  public static final String TYPE = "loki";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public LokiExporterConfig defaultConfig() {
    return LokiExporterConfig.defaults();
  }

  @Override
  public LokiExporterConfig parseConfig(ConfigNode node) {
    return LokiExporterConfig.parse(node);
  }

  /** Builds the exporter; a bad {@code tls.ca_file} fails here with a ConfigException. */
  @Override
  public Exporter create(ExporterSettings settings, LokiExporterConfig config) {
    return new LokiExporter(settings, config);
  }
}

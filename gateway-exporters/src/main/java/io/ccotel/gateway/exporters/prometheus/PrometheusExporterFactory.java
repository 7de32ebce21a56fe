package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterFactory;
import io.ccotel.gateway.core.pipeline.ExporterSettings;

/** Builds {@link PrometheusExporter}s: the exporter type {@code prometheus}. */
public final class PrometheusExporterFactory implements ExporterFactory<PrometheusExporterConfig> {
  public static final String TYPE = "prometheus";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public PrometheusExporterConfig defaultConfig() {
    return PrometheusExporterConfig.defaults();
  }

  @Override
  public PrometheusExporterConfig parseConfig(ConfigNode node) {
    return PrometheusExporterConfig.parse(node);
  }

  @Override
  public Exporter create(ExporterSettings settings, PrometheusExporterConfig config) {
    return new PrometheusExporter(settings, config);
  }
}

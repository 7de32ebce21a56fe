package io.ccotel.gateway.exporters.console;

import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterFactory;
import io.ccotel.gateway.core.pipeline.ExporterSettings;

/** Builds {@link ConsoleExporter}s: the exporter type {@code console}. */
public final class ConsoleExporterFactory implements ExporterFactory<ConsoleExporterConfig> {
  public static final String TYPE = "console";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public ConsoleExporterConfig defaultConfig() {
    return ConsoleExporterConfig.defaults();
  }

  @Override
  public ConsoleExporterConfig parseConfig(ConfigNode node) {
    return ConsoleExporterConfig.parse(node);
  }

  @Override
  public Exporter create(ExporterSettings settings, ConsoleExporterConfig config) {
    return new ConsoleExporter(
        settings.id(),
        config,
        config.output() == ConsoleExporterConfig.Output.STDERR ? System.err : System.out,
        settings.clock());
  }
}

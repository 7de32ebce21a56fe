package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.config.ConfigNode;

/**
 * Builds exporters of one type. The YAML section {@code exporters.<type>[/<name>]} is parsed by
 * {@link #parseConfig} at start-up (and by {@code gateway validate-config}), which throws a
 * {@link io.ccotel.gateway.core.config.ConfigException} naming the bad key.
 *
 * @param <C> the typed config record of this exporter type
 */
public interface ExporterFactory<C> {
  String type();

  C defaultConfig();

  C parseConfig(ConfigNode node);

  Exporter create(ExporterSettings settings, C config);
}

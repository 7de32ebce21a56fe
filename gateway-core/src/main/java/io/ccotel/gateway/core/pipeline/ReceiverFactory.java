package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.config.ConfigNode;

/**
 * Builds receivers of one type from the YAML section {@code receivers.<type>}.
 *
 * @param <C> the typed config record of this receiver type
 */
public interface ReceiverFactory<C> {
  String type();

  C defaultConfig();

  C parseConfig(ConfigNode node);

  Receiver create(ReceiverSettings settings, C config, BatchConsumer next);
}

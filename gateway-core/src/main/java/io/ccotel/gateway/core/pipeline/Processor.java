package io.ccotel.gateway.core.pipeline;

/**
 * A stage between the receivers and the fanout (validation, redaction, attribute rules). A
 * processor is built with its next consumer and becomes a consumer itself; it may change the
 * batch (by building a new one), drop items (and report them as rejected in its result), or answer
 * for the whole batch.
 */
@FunctionalInterface
public interface Processor {
  BatchConsumer wrap(BatchConsumer next);
}

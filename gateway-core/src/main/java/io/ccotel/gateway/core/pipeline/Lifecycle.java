package io.ccotel.gateway.core.pipeline;

import java.time.Duration;

/**
 * Start and stop of a component. {@code shutdown} is safe to call twice and before {@code start};
 * it stops intake, then flushes what it holds (within the deadline), then frees its resources.
 */
public interface Lifecycle {
  default void start() throws Exception {}

  default void shutdown(Duration deadline) {}
}

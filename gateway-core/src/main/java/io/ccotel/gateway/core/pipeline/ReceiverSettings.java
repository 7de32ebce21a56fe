package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import java.time.Clock;

/** What the code hands a receiver when it is built. */
public record ReceiverSettings(GatewayMetrics metrics, Clock clock) {}

package io.ccotel.gateway.core.pipeline;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import java.time.Clock;

/** What the code (not the YAML) hands an exporter when it is built. */
public record ExporterSettings(String id, GatewayMetrics metrics, Clock clock) {}

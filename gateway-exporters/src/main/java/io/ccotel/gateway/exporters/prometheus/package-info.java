/**
 * The Prometheus exporter: OTLP metrics in, one exact series per Prometheus name and label set
 * out, served on a scrape endpoint together with the gateway's own {@code gateway_*} metrics.
 *
 * <p>The gateway is the single writer of every counter (design.md): delta sums are added whatever
 * their start time, cumulative sums are tracked per writer, exact repeats (client retries) are
 * dropped and counted ({@link io.ccotel.gateway.exporters.prometheus.MetricAccumulator}). The
 * exporter is inline: batches are applied on the receiving thread and refused points come back to
 * the client as a partial success naming the reason and the config key ({@link
 * io.ccotel.gateway.exporters.prometheus.Refusals}). Totals survive a restart through a state file
 * ({@link io.ccotel.gateway.exporters.prometheus.StateFile}). Configuration: {@link
 * io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig}.
 */
package io.ccotel.gateway.exporters.prometheus;

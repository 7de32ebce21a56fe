/**
 * The Prometheus exporter: OTLP metrics in, one exact series per Prometheus name and label set
 * out, served on a scrape endpoint together with the gateway's own {@code gateway_*} metrics.
 *
 * <p>The gateway is the single writer of every counter (design.md): delta sums are added whatever
 * their start time, cumulative sums are tracked per writer, exact repeats (client retries) are
 * dropped and counted. See {@link io.ccotel.gateway.exporters.prometheus.PrometheusExporter} and
 * {@link io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig}.
 */
package io.ccotel.gateway.exporters.prometheus;

/**
 * Benchmarks and the load generator (see {@code gateway-bench/README.md}): JMH micro-benchmarks
 * of the hot paths in {@code io.ccotel.gateway.bench.jmh}, and {@link io.ccotel.gateway.bench.LoadGen},
 * which drives a running gateway with Claude-Code-shaped OTLP traffic and runs the whole suite
 * ({@code gateway-bench/run.sh}). Nothing here runs in {@code mvn verify}.
 */
package io.ccotel.gateway.bench;

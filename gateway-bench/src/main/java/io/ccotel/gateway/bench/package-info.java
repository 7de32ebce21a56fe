/** Benchmarks and the load generator; see the README's Performance section. */
package io.ccotel.gateway.bench;

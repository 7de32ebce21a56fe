package io.ccotel.gateway.core.pipeline;

import java.net.InetSocketAddress;

/**
 * A network intake. Built with the consumer it feeds (the pipeline); {@link #start} binds and
 * listens, {@link #shutdown} stops taking new requests, lets the ones in flight finish (within the
 * deadline) and closes the sockets.
 */
public interface Receiver extends Lifecycle {
  /** Short name for logs: {@code otlp_grpc}, {@code otlp_http}. */
  String name();

  /** The address actually bound (the real port when the configured one was 0); null before start. */
  InetSocketAddress boundAddress();
}

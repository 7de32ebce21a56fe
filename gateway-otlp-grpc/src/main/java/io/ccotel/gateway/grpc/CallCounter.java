package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes sure every Export call is counted exactly once in {@code gateway_requests_total}, including
 * the calls that grpc-java ends before the service sees them: a message above {@code
 * max_message_bytes} (RESOURCE_EXHAUSTED), a client that cancels or whose deadline passes while
 * the message is still arriving. The service claims its call first; when the stream closes without
 * a claim, the final status is counted here.
 */
final class CallCounter extends ServerStreamTracer.Factory {
  static final String TRANSPORT = "grpc";

  private static final Context.Key<Tracer> CURRENT = Context.key("ccotel.otlp-grpc.call");
  private static final ServerStreamTracer NOOP = new ServerStreamTracer() {};

  private final Map<String, Signal> signalsByMethod;
  private final GatewayMetrics metrics;

  CallCounter(Map<String, Signal> signalsByMethod, GatewayMetrics metrics) {
    this.signalsByMethod = Map.copyOf(signalsByMethod);
    this.metrics = metrics;
  }

  @Override
  public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
    Signal signal = signalsByMethod.get(fullMethodName);
    return signal == null ? NOOP : new Tracer(signal);
  }

  /**
   * Called by the service when it starts on a call: true if the service is to answer and count it,
   * false if the stream already closed (and was counted here).
   */
  static boolean claimCurrentCall() {
    Tracer t = CURRENT.get();
    return t == null || t.claimed.compareAndSet(false, true);
  }

  /** The short word counted for a final status. */
  static String outcome(Status.Code code) {
    return switch (code) {
      case OK -> "ok";
      case INVALID_ARGUMENT -> "invalid";
      case RESOURCE_EXHAUSTED -> "too_large";
      case UNAVAILABLE -> "retryable";
      case CANCELLED, DEADLINE_EXCEEDED -> "cancelled";
      case UNAUTHENTICATED -> "unauthenticated";
      default -> "error";
    };
  }

  private final class Tracer extends ServerStreamTracer {
    private final Signal signal;
    private final AtomicBoolean claimed = new AtomicBoolean();

    Tracer(Signal signal) {
      this.signal = signal;
    }

    @Override
    public Context filterContext(Context context) {
      return context.withValue(CURRENT, this);
    }

    @Override
    public void streamClosed(Status status) {
      if (claimed.compareAndSet(false, true)) {
        metrics.request(signal, TRANSPORT, outcome(status.getCode()));
      }
    }
  }
}

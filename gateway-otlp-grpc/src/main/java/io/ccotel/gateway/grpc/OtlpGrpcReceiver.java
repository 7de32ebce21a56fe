package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/gRPC receiver: a grpc-java server on Netty serving {@code MetricsService/Export}, {@code
 * LogsService/Export} and {@code TraceService/Export} (plus the standard {@code grpc.health.v1}
 * service), feeding every request to the pipeline consumer it was built with.
 *
 * <p>Answers (OTLP specification): everything accepted: OK with an empty response; part refused:
 * OK with {@code partial_success}; bad data: INVALID_ARGUMENT; overload: UNAVAILABLE with a
 * google.rpc.RetryInfo detail; a message above {@code max_message_bytes} (as sent or after gzip
 * decompression): RESOURCE_EXHAUSTED; a failure inside the gateway: INTERNAL. Responses are not
 * compressed.
 *
 * <p>Counting ({@link io.ccotel.gateway.core.metrics.GatewayMetrics}, transport {@code grpc}): every
 * Export call once in {@code gateway_requests_total} with outcome {@code ok}, {@code partial},
 * {@code invalid} (undecodable, or refused as invalid by the pipeline), {@code retryable}, {@code
 * too_large}, {@code cancelled} (client gone before an answer) or {@code error}; the items of every
 * decoded request in {@code received}, then either in {@code accepted} or in {@code rejected} with
 * reason {@code pipeline} (partial success), {@code invalid}, {@code retryable} or {@code error}.
 *
 * <p>Lifecycle: {@link #start} binds (fails if the port is taken) and may be called once; {@link
 * #shutdown} refuses new calls, lets the ones in flight finish within the deadline, then cancels the
 * rest and frees the threads. {@code shutdown} is safe twice and before {@code start}. Thread-safe.
 */
public final class OtlpGrpcReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(OtlpGrpcReceiver.class);
  private static final Duration ERROR_LOG_INTERVAL = Duration.ofMinutes(1);
  private static final Duration AFTER_SHUTDOWN_NOW = Duration.ofSeconds(1);

  private final OtlpGrpcReceiverConfig config;
  private final List<ExportService<?, ?>> services;
  private final CallCounter callCounter;
  private final HealthStatusManager health = new HealthStatusManager();

  private enum State { NEW, STARTED, STOPPED }

  private State state = State.NEW;
  private Server server;
  private ExecutorService executor;
  private volatile InetSocketAddress boundAddress;

  OtlpGrpcReceiver(ReceiverSettings settings, OtlpGrpcReceiverConfig config, BatchConsumer next) {
    this.config = config;
    ErrorLog errors = new ErrorLog(log, settings.clock(), ERROR_LOG_INTERVAL);
    this.services =
        List.of(
            ExportService.metrics(next, settings.metrics(), errors),
            ExportService.logs(next, settings.metrics(), errors),
            ExportService.traces(next, settings.metrics(), errors));
    Map<String, Signal> signals = new LinkedHashMap<>();
    for (ExportService<?, ?> s : services) {
      signals.put(s.fullMethodName(), s.signal());
    }
    this.callCounter = new CallCounter(signals, settings.metrics());
  }

  @Override
  public String name() {
    return OtlpGrpcReceiverFactory.TYPE;
  }

  public OtlpGrpcReceiverConfig config() {
    return config;
  }

  @Override
  public InetSocketAddress boundAddress() {
    return boundAddress;
  }

  /**
   * Binds and starts serving; with {@code enabled: false} does nothing.
   *
   * @throws IOException if the address cannot be bound (port in use, unknown host)
   * @throws IllegalStateException if called twice or after shutdown
   */
  @Override
  public synchronized void start() throws IOException {
    if (state != State.NEW) {
      throw new IllegalStateException("the OTLP/gRPC receiver was already " + state.name().toLowerCase());
    }
    state = State.STARTED;
    if (!config.enabled()) {
      log.info("OTLP/gRPC receiver is disabled (receivers.otlp_grpc.enabled: false)");
      return;
    }
    executor = newExecutor(config.effectiveWorkerThreads());
    Server s = buildServer(executor);
    try {
      s.start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      executor = null;
      throw new IOException("OTLP/gRPC receiver cannot listen on " + config.endpoint() + ": " + e.getMessage(), e);
    }
    server = s;
    for (ExportService<?, ?> service : services) {
      health.setStatus(service.serviceName(), ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    boundAddress = firstInetAddress(s.getListenSockets());
    log.info(
        "OTLP/gRPC receiver listening on {} ({})",
        format(boundAddress),
        services.stream().map(ExportService::shortServiceName).collect(Collectors.joining(", ")));
  }

  private Server buildServer(ExecutorService exec) {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.endpoint().host(), config.endpoint().port()))
            .executor(exec)
            // grpc-java checks this on each frame and again while a gzip message is inflated, and
            // answers RESOURCE_EXHAUSTED itself (the OTLP "too large" answer).
            .maxInboundMessageSize((int) config.maxMessageBytes())
            .maxInboundMetadataSize((int) config.maxMetadataBytes())
            .maxConcurrentCallsPerConnection(config.maxConcurrentStreams())
            .keepAliveTime(config.keepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
            .keepAliveTimeout(config.keepaliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
            .permitKeepAliveTime(config.permitKeepaliveTime().toNanos(), TimeUnit.NANOSECONDS)
            .permitKeepAliveWithoutCalls(config.permitKeepaliveWithoutCalls())
            .addStreamTracerFactory(callCounter)
            .addService(health.getHealthService());
    // Zero means "never" in our config; grpc-java's default for both is already "never".
    if (!config.maxConnectionIdle().isZero()) {
      b.maxConnectionIdle(config.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS);
    }
    if (!config.maxConnectionAge().isZero()) {
      b.maxConnectionAge(config.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
          .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS);
    }
    for (ExportService<?, ?> service : services) {
      b.addService(service.definition());
    }
    // No compressor is set on the calls: responses go out uncompressed whatever the client sends.
    return b.build();
  }

  /**
   * A fixed pool of daemon threads for the calls, instead of grpc-java's default cached pool (which
   * grows without bound under a burst) or the Netty event loop (where inflating and parsing a large
   * message would stall every other connection on that loop). The work per call is CPU-bound and
   * never blocks (the pipeline's consume is non-blocking by contract), so about one thread per CPU
   * is enough. The task queue needs no bound of its own: each task is a call HTTP/2 already let in,
   * at most {@code max_concurrent_streams} per connection, and its message is already in memory.
   */
  private static ExecutorService newExecutor(int threads) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(r, "otlp-grpc-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    return new ThreadPoolExecutor(threads, threads, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), factory);
  }

  /**
   * Stops intake (the port closes, new calls are refused), waits up to {@code deadline} for the
   * calls in flight, then cancels what is left. Safe twice and before start.
   */
  @Override
  public synchronized void shutdown(Duration deadline) {
    if (state == State.STOPPED) {
      return;
    }
    state = State.STOPPED;
    Server s = server;
    ExecutorService exec = executor;
    server = null;
    executor = null;
    if (s == null) {
      return;
    }
    long end = System.nanoTime() + Math.max(0, deadline.toNanos());
    health.enterTerminalState();
    s.shutdown();
    try {
      if (!s.awaitTermination(remaining(end), TimeUnit.NANOSECONDS)) {
        log.warn("OTLP/gRPC receiver: calls still running after {}; cancelling them", deadline);
        s.shutdownNow();
        s.awaitTermination(AFTER_SHUTDOWN_NOW.toNanos(), TimeUnit.NANOSECONDS);
      }
      exec.shutdown();
      if (!exec.awaitTermination(Math.max(remaining(end), AFTER_SHUTDOWN_NOW.toNanos()), TimeUnit.NANOSECONDS)) {
        exec.shutdownNow();
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      exec.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.info("OTLP/gRPC receiver on {} stopped", format(boundAddress));
  }

  private static long remaining(long endNanos) {
    return Math.max(0, endNanos - System.nanoTime());
  }

  private static InetSocketAddress firstInetAddress(List<? extends SocketAddress> addresses) {
    for (SocketAddress a : addresses) {
      if (a instanceof InetSocketAddress inet) {
        return inet;
      }
    }
    throw new IllegalStateException("the gRPC server has no TCP listen socket: " + addresses);
  }

  private static String format(InetSocketAddress a) {
    if (a == null) {
      return "(not bound)";
    }
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return host.contains(":") ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort();
  }
}

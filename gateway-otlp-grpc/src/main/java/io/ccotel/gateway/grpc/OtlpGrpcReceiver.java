package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.auth.TlsCredentials;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.services.HealthStatusManager;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.DefaultThreadFactory;
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
 * <p>Security (all optional): with an {@link Authenticator} in the {@link ReceiverSettings}, every
 * Export call needs the metadata {@code authorization: Bearer <token>}; missing or wrong is
 * answered UNAUTHENTICATED before the message is read, and counted as outcome {@code
 * unauthenticated}; an accepted call's batch gets the token's identity attributes. The health
 * service stays open. With {@code tls} the server speaks TLS (ALPN h2), and mTLS with {@code
 * client_ca_file}; renewed certificate files are used for new connections without a restart. {@code
 * max_connections} closes connections beyond the cap as soon as they are accepted ({@code
 * gateway_connections_closed_total{transport="grpc",reason="max_connections"}}).
 *
 * <p>Lifecycle: {@link #start} binds (fails if the port is taken) and may be called once; {@link
 * #shutdown} refuses new calls, lets the ones in flight finish within the deadline, then cancels the
 * rest and frees the threads. {@code shutdown} is safe twice and before {@code start}. Thread-safe.
 */
public final class OtlpGrpcReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(OtlpGrpcReceiver.class);
  private static final Duration ERROR_LOG_INTERVAL = Duration.ofMinutes(1);
  private static final Duration AFTER_SHUTDOWN_NOW = Duration.ofSeconds(1);

  private static final String TLS_KEY = "receivers.otlp_grpc.tls";

  private final OtlpGrpcReceiverConfig config;
  private final GatewayMetrics metrics;
  private final java.time.Clock clock;
  private final Authenticator authenticator;
  private final List<ExportService<?, ?>> services;
  private final CallCounter callCounter;
  private final HealthStatusManager health = new HealthStatusManager();

  private enum State { NEW, STARTED, STOPPED }

  private State state = State.NEW;
  private Server server;
  private ExecutorService executor;
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private ConnectionLimit connectionLimit;
  private volatile InetSocketAddress boundAddress;

  OtlpGrpcReceiver(ReceiverSettings settings, OtlpGrpcReceiverConfig config, BatchConsumer next) {
    this.config = config;
    this.metrics = settings.metrics();
    this.clock = settings.clock();
    this.authenticator = settings.authenticator();
    ErrorLog errors = new ErrorLog(log, settings.clock(), ERROR_LOG_INTERVAL);
    this.services =
        List.of(
            ExportService.metrics(next, settings.metrics(), errors, authenticator, settings.limiter(), this::runOnWorker),
            ExportService.logs(next, settings.metrics(), errors, authenticator, settings.limiter(), this::runOnWorker),
            ExportService.traces(next, settings.metrics(), errors, authenticator, settings.limiter(), this::runOnWorker));
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
    SslContext ssl = null;
    if (config.tls() != null) {
      try {
        ssl = serverTls(TlsCredentials.load(config.tls(), clock, TLS_KEY));
      } catch (IOException e) {
        state = State.STOPPED;
        throw new IOException("OTLP/gRPC receiver: " + e.getMessage(), e);
      }
    }
    executor = newExecutor(config.effectiveWorkerThreads());
    Server s;
    try {
      s = buildServer(executor, ssl);
      s.start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      executor = null;
      stopEventLoops(Duration.ofSeconds(2));
      throw new IOException("OTLP/gRPC receiver cannot listen on " + config.endpoint() + ": " + e.getMessage(), e);
    }
    server = s;
    for (ExportService<?, ?> service : services) {
      health.setStatus(service.serviceName(), ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    boundAddress = firstInetAddress(s.getListenSockets());
    log.info(
        "OTLP/gRPC receiver listening on {} ({}{}{})",
        format(boundAddress),
        ssl == null ? "" : "TLS, ",
        services.stream().map(ExportService::shortServiceName).collect(Collectors.joining(", ")),
        authenticator == null ? "" : "; bearer token required");
    if (authenticator != null && ssl == null && !boundAddress.getAddress().isLoopbackAddress()) {
      log.warn("OTLP/gRPC receiver checks bearer tokens but has no tls section: tokens cross the network"
          + " in clear text (set receivers.otlp_grpc.tls, or terminate TLS in front of the gateway)");
    }
  }

  /**
   * TLS through grpc-netty's ALPN setup, with the JDK provider (no native library). Built once: the
   * key and trust managers of {@link TlsCredentials} pick up renewed files themselves.
   */
  private static SslContext serverTls(TlsCredentials credentials) throws IOException {
    SslContextBuilder b =
        GrpcSslContexts.configure(SslContextBuilder.forServer(credentials.keyManager()), SslProvider.JDK);
    if (credentials.trustManager() != null) {
      b.trustManager(credentials.trustManager())
          .clientAuth(
              credentials.config().clientAuth() == TlsConfig.ClientAuth.REQUIRE
                  ? ClientAuth.REQUIRE
                  : ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  /** The export services' hand-off from the transport thread; refuses once stopped. */
  private void runOnWorker(Runnable work) {
    ExecutorService exec = executor;
    if (exec == null) {
      throw new java.util.concurrent.RejectedExecutionException("the OTLP/gRPC receiver is stopped");
    }
    exec.execute(work);
  }

  private Server buildServer(ExecutorService exec, SslContext ssl) {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.endpoint().host(), config.endpoint().port()))
            // Calls start on the transport thread: the message is copied off the (direct) Netty
            // buffers at once and the limiter decides there, so under overload a refused call
            // costs no queued task and holds no buffer. Decoding and the pipeline run on the
            // workers (exec), handed over by ExportService.
            .directExecutor()
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
    if (ssl != null) {
      b.sslContext(ssl);
    }
    if (config.maxConnections() > 0) {
      // A listening channel of our own counts connections; grpc-netty then wants our event loops too.
      connectionLimit = new ConnectionLimit(config.maxConnections(), metrics, clock);
      ConnectionLimit limit = connectionLimit;
      bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("otlp-grpc-accept", true), NioIoHandler.newFactory());
      workerGroup = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("otlp-grpc-io", true), NioIoHandler.newFactory());
      b.channelFactory(() -> new ConnectionLimit.LimitedServerChannel(limit))
          .bossEventLoopGroup(bossGroup)
          .workerEventLoopGroup(workerGroup);
    }
    AuthInterceptor auth = authenticator == null ? null : new AuthInterceptor(authenticator);
    for (ExportService<?, ?> service : services) {
      b.addService(auth == null ? service.definition() : ServerInterceptors.intercept(service.definition(), auth));
    }
    // No compressor is set on the calls: responses go out uncompressed whatever the client sends.
    return b.build();
  }

  /**
   * A fixed pool of daemon threads that parse, map and process the calls, instead of grpc-java's
   * default cached pool (which grows without bound under a burst) or the Netty event loop (where
   * parsing a large message, or waiting for the durable log's fsync, would stall every other
   * connection on that loop). More threads than CPUs: with durability a thread waits for the fsync,
   * and concurrent appends share one. The task queue is bounded by the limiter: a task holds a
   * permit for its message's bytes.
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
    stopEventLoops(Duration.ofNanos(Math.max(remaining(end), AFTER_SHUTDOWN_NOW.toNanos())));
    log.info("OTLP/gRPC receiver on {} stopped", format(boundAddress));
  }

  /** Our own event loops (with max_connections); the server has stopped using them. */
  private void stopEventLoops(Duration within) {
    EventLoopGroup boss = bossGroup;
    EventLoopGroup worker = workerGroup;
    bossGroup = null;
    workerGroup = null;
    if (boss == null) {
      return;
    }
    long millis = Math.max(0, within.toMillis());
    var bossDone = boss.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
    var workerDone = worker.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
    bossDone.awaitUninterruptibly(millis, TimeUnit.MILLISECONDS);
    workerDone.awaitUninterruptibly(millis, TimeUnit.MILLISECONDS);
  }

  /** Connections open now (counted only with max_connections); for tests. */
  int openConnections() {
    ConnectionLimit l = connectionLimit;
    return l == null ? -1 : l.open();
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

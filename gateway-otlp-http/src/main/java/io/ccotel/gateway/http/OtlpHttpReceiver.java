package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.TlsCredentials;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OTLP/HTTP receiver: {@code POST /v1/metrics}, {@code /v1/logs} and {@code /v1/traces} over
 * HTTP/1.1 (Netty, NIO), bodies in protobuf ({@code application/x-protobuf} or {@code
 * application/protobuf}) or OTLP/JSON ({@code application/json}, UTF-8), optionally compressed
 * ({@code Content-Encoding: gzip} or {@code deflate}). Each decoded request becomes one batch
 * handed to the next consumer.
 *
 * <p>Answers, following the OTLP/HTTP specification. The body of a success mirrors the request's
 * encoding (protobuf body with {@code Content-Type: application/x-protobuf}, or JSON with {@code
 * application/json}). <b>Error bodies</b> are a google.rpc.Status {@code {code, message}}: JSON when
 * the request's Content-Type is {@code application/json} (with any parameters), protobuf ({@code
 * application/x-protobuf}) in every other case, including a missing or unknown Content-Type and
 * the 404, 405 and 415 answers.
 *
 * <table>
 *   <caption>Answers</caption>
 *   <tr><th>case</th><th>status</th><th>body</th></tr>
 *   <tr><td>accepted (also an empty body, or a request with no items)</td><td>200</td>
 *       <td>empty Export*ServiceResponse: empty protobuf body, or {@code {}}</td></tr>
 *   <tr><td>pipeline accepted part ({@code PARTIAL})</td><td>200</td><td>Export*ServiceResponse
 *       with {@code partial_success} (rejected count, message): {@code
 *       {"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"..."}}}</td></tr>
 *   <tr><td>undecodable body (bad protobuf, bad JSON, wrong types, bad ids, too deep, invalid
 *       gzip) or pipeline answer {@code INVALID}</td><td>400</td><td>Status code 3
 *       INVALID_ARGUMENT</td></tr>
 *   <tr><td>pipeline answer {@code RETRYABLE}</td><td>503 + {@code Retry-After: <seconds, at least
 *       1>}</td><td>Status code 14 UNAVAILABLE</td></tr>
 *   <tr><td>body as sent over {@code max_compressed_body_bytes} (an uncompressed body: over the
 *       smaller of both caps), or over {@code max_body_bytes} after decompression</td><td>413</td>
 *       <td>Status code 8 RESOURCE_EXHAUSTED naming the limit in bytes and the key to raise</td></tr>
 *   <tr><td>known path, method other than POST</td><td>405 + {@code Allow: POST}</td><td>Status code
 *       12 UNIMPLEMENTED</td></tr>
 *   <tr><td>unknown path</td><td>404</td><td>Status code 5 NOT_FOUND listing the three paths</td></tr>
 *   <tr><td>missing or unsupported Content-Type (also JSON in a charset other than UTF-8)</td>
 *       <td>415</td><td>Status code 3 naming the accepted types</td></tr>
 *   <tr><td>unsupported Content-Encoding (anything but gzip, x-gzip, deflate, identity; or two
 *       codings stacked)</td><td>415</td><td>Status code 3 naming the accepted encodings</td></tr>
 *   <tr><td>headers over {@code max_header_bytes} / request line over 8 KiB / malformed HTTP</td>
 *       <td>431 / 414 / 400, connection closed</td><td>Status code 8 / 8 / 3</td></tr>
 *   <tr><td>unexpected failure in the gateway</td><td>500</td><td>Status code 13 INTERNAL; the
 *       connection stays usable</td></tr>
 * </table>
 *
 * <p>Security (all optional): with an {@link io.ccotel.gateway.core.auth.Authenticator} in the
 * {@link ReceiverSettings}, every request needs {@code Authorization: Bearer <token>}: missing or
 * wrong is answered 401 with {@code WWW-Authenticate: Bearer} and Status code 16 UNAUTHENTICATED
 * before the body is read, and counted as outcome {@code unauthenticated}; an accepted request's
 * batch gets the token's identity attributes (see {@link HttpAuthGate}). With {@code tls} the
 * receiver serves HTTPS (and mTLS with {@code client_ca_file}), picking up renewed certificate files
 * for new connections. {@code max_connections} closes connections beyond the cap at once; {@code
 * read_timeout} closes a connection whose request does not arrive whole in time (slowloris); both
 * count in {@code gateway_connections_closed_total{transport="http",reason}}, as do failed TLS
 * handshakes ({@code tls_handshake_failed}).
 *
 * <p>Connections: HTTP/1.1 keep-alive is honoured (Claude Code keeps its connection), as are {@code
 * Connection: close} and HTTP/1.0 keep-alive; {@code Expect: 100-continue} is answered 100, or 413
 * right away when the Content-Length is over the cap. Connections idle for {@code idle_timeout} are
 * closed. After a 413 decided from the Content-Length a keep-alive connection stays open (the rest
 * of the body is read and dropped); after a 413 for a chunked body that grew too large it is closed.
 *
 * <p>Lifecycle: {@link #start} binds (port 0 picks a free port, see {@link #boundAddress}) and fails
 * with an {@link IOException} naming the address when it cannot; {@link #shutdown} closes the
 * listening socket, closes idle connections, lets requests in progress be answered (with {@code
 * Connection: close}) for up to half the deadline, then closes what is left and stops the event
 * loops within the deadline. Shutdown is safe twice and before start; a receiver is not restarted.
 * Thread-safe.
 */
public final class OtlpHttpReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(OtlpHttpReceiver.class);
  private static final String TLS_KEY = "receivers.otlp_http.tls";

  private final ReceiverSettings settings;
  private final OtlpHttpReceiverConfig config;
  private final BatchConsumer next;
  private final AtomicBoolean draining = new AtomicBoolean();

  private final Object lock = new Object();
  private State state = State.NEW;
  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private ExecutorService requestPool;
  private ChannelGroup connections;
  private Channel serverChannel;
  private volatile InetSocketAddress boundAddress;

  private enum State {
    NEW,
    STARTED,
    STOPPED
  }

  private OtlpHttpReceiver(ReceiverSettings settings, OtlpHttpReceiverConfig config, BatchConsumer next) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.config = Objects.requireNonNull(config, "config");
    this.next = Objects.requireNonNull(next, "next");
  }

  /** A receiver that will feed {@code next}; nothing listens before {@link #start}. */
  public static OtlpHttpReceiver create(
      ReceiverSettings settings, OtlpHttpReceiverConfig config, BatchConsumer next) {
    return new OtlpHttpReceiver(settings, config, next);
  }

  @Override
  public String name() {
    return OtlpHttpReceiverFactory.TYPE;
  }

  @Override
  public InetSocketAddress boundAddress() {
    return boundAddress;
  }

  /**
   * Binds and listens. Does nothing when the config says {@code enabled: false}.
   *
   * @throws IOException if the endpoint cannot be bound (in use, no such address)
   * @throws IllegalStateException if called twice or after shutdown
   */
  @Override
  public void start() throws IOException {
    synchronized (lock) {
      if (state != State.NEW) {
        throw new IllegalStateException("the OTLP/HTTP receiver was already started");
      }
      state = State.STARTED;
      if (!config.enabled()) {
        log.info("OTLP/HTTP receiver disabled (receivers.otlp_http.enabled: false)");
        return;
      }
      SslContext ssl = null;
      if (config.tls() != null) {
        try {
          ssl = HttpTls.serverContext(TlsCredentials.load(config.tls(), settings.clock(), TLS_KEY));
        } catch (IOException e) {
          state = State.STOPPED;
          throw new IOException("OTLP/HTTP receiver: " + e.getMessage(), e);
        }
      }
      bossGroup = new MultiThreadIoEventLoopGroup(
          1, new DefaultThreadFactory("otlp-http-accept"), NioIoHandler.newFactory());
      workerGroup = new MultiThreadIoEventLoopGroup(
          0, new DefaultThreadFactory("otlp-http"), NioIoHandler.newFactory());
      connections = new DefaultChannelGroup("otlp-http-connections", GlobalEventExecutor.INSTANCE);
      requestPool = newRequestPool(config.effectiveWorkerThreads());
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(bossGroup, workerGroup)
              .channel(NioServerSocketChannel.class)
              .option(ChannelOption.SO_BACKLOG, 1024)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new OtlpHttpChannelInitializer(
                      config, settings.metrics(), next, settings.clock(), draining::get, connections,
                      settings.authenticator(), ssl,
                      new ConnectionLimit(config.maxConnections(), settings.metrics(), settings.clock()),
                      settings.limiter(), requestPool));
      HostPort endpoint = config.endpoint();
      try {
        serverChannel =
            bootstrap.bind(new InetSocketAddress(endpoint.host(), endpoint.port())).syncUninterruptibly().channel();
      } catch (Exception e) {
        stopGroups(Duration.ofSeconds(2));
        requestPool.shutdownNow();
        state = State.STOPPED;
        throw new IOException(
            "OTLP/HTTP receiver could not listen on " + endpoint + " (receivers.otlp_http.endpoint): " + e.getMessage(),
            e);
      }
      InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
      boundAddress = bound;
      log.info(
          "OTLP/HTTP receiver listening on {} ({}POST /v1/metrics, /v1/logs, /v1/traces{})",
          HostPort.of(bound.getAddress().getHostAddress(), bound.getPort()),
          ssl == null ? "" : "HTTPS, ",
          settings.authenticator() == null ? "" : "; bearer token required");
      if (settings.authenticator() != null && ssl == null && !bound.getAddress().isLoopbackAddress()) {
        log.warn("OTLP/HTTP receiver checks bearer tokens but has no tls section: tokens cross the network"
            + " in clear text (set receivers.otlp_http.tls, or terminate TLS in front of the gateway)");
      }
    }
  }

  @Override
  public void shutdown(Duration deadline) {
    Channel server;
    synchronized (lock) {
      if (state != State.STARTED) {
        state = State.STOPPED;
        return;
      }
      state = State.STOPPED;
      server = serverChannel;
    }
    if (server == null) {
      return; // disabled
    }
    long end = System.nanoTime() + Math.max(0, deadline.toNanos());
    draining.set(true);
    // 1. Take no new connections.
    server.close().awaitUninterruptibly(remainingMillis(end), TimeUnit.MILLISECONDS);
    // 2. Close idle keep-alive connections; busy ones close right after their answer.
    for (Channel ch : connections) {
      ch.eventLoop().execute(() -> {
        ConnectionTracker tracker = ch.pipeline().get(ConnectionTracker.class);
        if (tracker != null) {
          tracker.closeWhenIdle();
        } else {
          ch.close();
        }
      });
    }
    long grace = remainingMillis(end) / 2;
    connections.newCloseFuture().awaitUninterruptibly(grace, TimeUnit.MILLISECONDS);
    // 3. Whatever is still open (a client that stopped halfway through a body) is cut.
    connections.close().awaitUninterruptibly(Math.min(remainingMillis(end), 1000), TimeUnit.MILLISECONDS);
    // 4. Requests still being processed finish (their answers go nowhere if the connection is cut).
    requestPool.shutdown();
    try {
      requestPool.awaitTermination(remainingMillis(end), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopGroups(Duration.ofMillis(remainingMillis(end)));
    log.info("OTLP/HTTP receiver stopped");
  }

  /** Fixed threads; the queue is bounded in practice: a connection has one request at a time in it. */
  private static ExecutorService newRequestPool(int threads) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "otlp-http-worker-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    return new ThreadPoolExecutor(threads, threads, 0L, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), factory);
  }

  private void stopGroups(Duration within) {
    long millis = Math.max(0, within.toMillis());
    // No quiet period: intake has stopped already, nothing new will be submitted.
    var bossDone = bossGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
    var workerDone = workerGroup.shutdownGracefully(0, millis, TimeUnit.MILLISECONDS);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    bossDone.awaitUninterruptibly(remainingMillis(end), TimeUnit.MILLISECONDS);
    workerDone.awaitUninterruptibly(remainingMillis(end), TimeUnit.MILLISECONDS);
  }

  private static long remainingMillis(long endNanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime()));
  }
}

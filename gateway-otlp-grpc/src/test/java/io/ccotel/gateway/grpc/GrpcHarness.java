package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.CallOptions;
import io.grpc.Codec;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A started receiver on 127.0.0.1:0 with a recording consumer, real metrics, and a plain gRPC
 * client that sends raw message bytes to any full method name.
 */
final class GrpcHarness implements AutoCloseable {
  static final String METRICS_EXPORT = "opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
  static final String LOGS_EXPORT = "opentelemetry.proto.collector.logs.v1.LogsService/Export";
  static final String TRACES_EXPORT = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final GatewayMetrics metrics = new GatewayMetrics(registry, Clock.systemUTC());
  final RecordingConsumer consumer = new RecordingConsumer();
  final OtlpGrpcReceiver receiver;
  /** Real gzip when a call asks for it. */
  final ManagedChannel channel;
  /**
   * "gzip" that leaves the bytes alone: the message given is already gzip data (a captured frame),
   * so what goes on the wire is byte for byte the captured frame, compressed flag included.
   */
  final ManagedChannel precompressedChannel;

  /** Response headers and trailers of the last {@link #call}. */
  final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
  final AtomicReference<Metadata> lastTrailers = new AtomicReference<>();

  private GrpcHarness(OtlpGrpcReceiverConfig config) throws IOException {
    receiver =
        (OtlpGrpcReceiver)
            new OtlpGrpcReceiverFactory()
                .create(new ReceiverSettings(metrics, Clock.systemUTC()), config, consumer);
    receiver.start();
    InetSocketAddress bound = receiver.boundAddress();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", bound.getPort()).usePlaintext().build();
    CompressorRegistry passthrough = CompressorRegistry.newEmptyInstance();
    passthrough.register(
        new Compressor() {
          @Override
          public String getMessageEncoding() {
            return "gzip";
          }

          @Override
          public OutputStream compress(OutputStream os) {
            return os;
          }
        });
    passthrough.register(Codec.Identity.NONE);
    precompressedChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", bound.getPort())
            .usePlaintext()
            .compressorRegistry(passthrough)
            .build();
  }

  static GrpcHarness start() throws IOException {
    return start(testConfig());
  }

  static GrpcHarness start(OtlpGrpcReceiverConfig config) throws IOException {
    return new GrpcHarness(config);
  }

  static OtlpGrpcReceiverConfig testConfig() {
    OtlpGrpcReceiverConfig d = OtlpGrpcReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0));
    return new OtlpGrpcReceiverConfig(
        d.enabled(), d.endpoint(), d.maxMessageBytes(), d.maxMetadataBytes(), d.maxConcurrentStreams(),
        d.maxConnectionIdle(), d.maxConnectionAge(), d.maxConnectionAgeGrace(), d.keepaliveTime(),
        d.keepaliveTimeout(), d.permitKeepaliveTime(), d.permitKeepaliveWithoutCalls(), 2);
  }

  static MethodDescriptor<byte[], byte[]> rawMethod(String fullName) {
    return io.ccotel.gateway.testkit.RawGrpc.method(fullName);
  }

  /** Sends {@code body} as the message (compressed with real gzip when {@code gzip}). */
  byte[] call(String fullMethod, byte[] body, boolean gzip) {
    return call(channel, fullMethod, body, gzip ? "gzip" : null, new Metadata());
  }

  /** Sends bytes that are already gzip data as a compressed frame, unchanged. */
  byte[] callPrecompressed(String fullMethod, byte[] gzipData, Metadata headers) {
    return call(precompressedChannel, fullMethod, gzipData, "gzip", headers);
  }

  byte[] call(ManagedChannel ch, String fullMethod, byte[] body, String compression, Metadata headers) {
    lastHeaders.set(null);
    lastTrailers.set(null);
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (compression != null) {
      options = options.withCompression(compression);
    }
    var channelWithInterceptors =
        io.grpc.ClientInterceptors.intercept(
            ch,
            MetadataUtils.newAttachHeadersInterceptor(headers),
            MetadataUtils.newCaptureMetadataInterceptor(lastHeaders, lastTrailers));
    return ClientCalls.blockingUnaryCall(channelWithInterceptors, rawMethod(fullMethod), options, body);
  }

  /** gateway_requests_total{signal,transport="grpc",outcome}. */
  double requests(Signal signal, String outcome) {
    Counter c =
        registry.find("gateway.requests").tags("signal", signal.id(), "transport", "grpc", "outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  double items(String name, Signal signal, String... moreTags) {
    var search = registry.find(name).tags("signal", signal.id(), "transport", "grpc");
    if (moreTags.length > 0) {
      search = search.tags(moreTags);
    }
    Counter c = search.counter();
    return c == null ? 0 : c.count();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    precompressedChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    receiver.shutdown(Duration.ofSeconds(5));
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES = io.ccotel.gateway.testkit.RawGrpc.BYTES;
}

package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.TestPki;

import static io.ccotel.gateway.grpc.GrpcClient.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.auth.AuthConfig;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.auth.TokenEntry;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS on the OTLP/gRPC receiver with grpc-java's own Netty client. */
class GrpcTlsTest {
  private static final TestPki PKI = TestPki.get();

  private final GrpcClient.Metrics metrics = new GrpcClient.Metrics();
  private final RecordingConsumer consumer = new RecordingConsumer();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private OtlpGrpcReceiver receiver;

  @TempDir Path dir;

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel ch : channels) {
      GrpcClient.close(ch);
    }
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private void start(TlsConfig tls, Authenticator auth) throws Exception {
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory()
        .create(new ReceiverSettings(metrics.gateway, Clock.systemUTC(), auth), GrpcClient.config().withTls(tls), consumer);
    receiver.start();
  }

  private static TlsConfig serverTls() {
    return TlsConfig.of(PKI.certChain("server"), PKI.key("server"));
  }

  /** A new TLS channel to localhost (trusting the test CA), with a client certificate when named. */
  private ManagedChannel channel(String clientCert, AtomicReference<X509Certificate> serverCert) throws IOException {
    X509TrustManager ca = PKI.caTrustManager();
    X509TrustManager recording = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkClientTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        serverCert.set(chain[0]);
        ca.checkServerTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
      }
    };
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(recording);
    if (clientCert != null) {
      ssl.keyManager(PKI.privateKey(clientCert), PKI.x509(clientCert));
    }
    ManagedChannel ch = NettyChannelBuilder.forAddress("localhost", receiver.boundAddress().getPort())
        .sslContext(ssl.build())
        .build();
    channels.add(ch);
    return ch;
  }

  private static byte[] export(ManagedChannel ch, String authorization) {
    return call(ch, GrpcHarness.METRICS_EXPORT, GrpcClient.spoofed().toByteArray(), authorization);
  }

  @Test
  void servesTlsWithTheConfiguredCertificate() throws Exception {
    start(serverTls(), null);
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    export(channel(null, seen), null);
    assertThat(seen.get()).isEqualTo(PKI.x509("server"));
    assertThat(consumer.metrics()).hasSize(1);
    // A plain-text client gets nowhere.
    ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", receiver.boundAddress().getPort()).usePlaintext().build();
    channels.add(plain);
    assertThatThrownBy(() -> export(plain, null))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(consumer.metrics()).hasSize(1);
  }

  @Test
  void mutualTlsAcceptsTheCasClientsAndRefusesTheRest() throws Exception {
    start(serverTls().withClientCa(PKI.caCert(), TlsConfig.ClientAuth.REQUIRE), null);
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    export(channel("client", seen), null);
    for (String refused : new String[] {null, "expired", "rogue"}) {
      ManagedChannel ch = channel(refused, seen);
      assertThatThrownBy(() -> export(ch, null))
          .as("client certificate %s", refused)
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
    assertThat(consumer.metrics()).hasSize(1);
  }

  @Test
  void theClientCertificateAsIdentity() throws Exception {
    Authenticator auth = Authenticator.create(
        AuthConfig.ofTokens(List.of(TokenEntry.ofToken(GrpcAuthTest.TOKEN, GrpcAuthTest.PLATFORM, "t")))
            .withClientCertIdentity(true),
        Clock.systemUTC());
    start(serverTls().withClientCa(PKI.caCert(), TlsConfig.ClientAuth.OPTIONAL), auth);
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    export(channel("client", seen), null);
    var resource = consumer.metrics().get(0).metrics().get(0).resource().attributes();
    assertThat(resource.getString("client.cn")).isEqualTo("laptop-42");
    assertThat(resource.getString("client.o")).isEqualTo("acme");
    ManagedChannel anonymous = channel(null, seen);
    assertThatThrownBy(() -> export(anonymous, null))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    export(anonymous, "Bearer " + GrpcAuthTest.TOKEN);
    assertThat(consumer.metrics().get(1).metrics().get(0).resource().attributes().getString("team.id")).isEqualTo("platform");
  }

  @Test
  void aRenewedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    Files.copy(PKI.certChain("server"), cert);
    Files.copy(PKI.key("server"), key);
    start(TlsConfig.of(cert, key).withReloadInterval(Duration.ofMillis(100)), null);
    AtomicReference<X509Certificate> seen = new AtomicReference<>();
    ManagedChannel first = channel(null, seen);
    export(first, null);
    assertThat(seen.get().getSerialNumber()).isEqualTo(PKI.x509("server").getSerialNumber());

    replace(PKI.key("server2"), key);
    replace(PKI.certChain("server2"), cert);
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
      AtomicReference<X509Certificate> now = new AtomicReference<>();
      export(channel(null, now), null);
      assertThat(now.get().getSerialNumber()).isEqualTo(PKI.x509("server2").getSerialNumber());
    });
    // The connection opened before keeps working.
    export(first, null);
  }

  @Test
  void badTlsFilesFailTheStartNamingTheKey() {
    receiver = (OtlpGrpcReceiver) new OtlpGrpcReceiverFactory().create(
        new ReceiverSettings(metrics.gateway, Clock.systemUTC()),
        GrpcClient.config().withTls(TlsConfig.of(PKI.certChain("server"), PKI.key("client"))),
        consumer);
    assertThatThrownBy(receiver::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("receivers.otlp_grpc.tls: the key in " + PKI.key("client") + " does not belong");
    assertThat(receiver.boundAddress()).isNull();
  }

  private void replace(Path from, Path to) throws IOException {
    Path tmp = dir.resolve(to.getFileName() + ".tmp");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}

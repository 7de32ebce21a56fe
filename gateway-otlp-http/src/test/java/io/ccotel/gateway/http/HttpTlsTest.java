package io.ccotel.gateway.http;

import io.ccotel.gateway.testkit.CapturedLogs;
import io.ccotel.gateway.core.auth.TestPki;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.auth.AuthConfig;
import io.ccotel.gateway.core.auth.Authenticator;
import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.auth.TokenEntry;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS and mTLS on the OTLP/HTTP receiver, with java.net.http and certificates made by TestPki. */
class HttpTlsTest {
  private static final TestPki PKI = TestPki.get();

  private final TestSupport.Metrics metrics = new TestSupport.Metrics();
  private final TestSupport.RecordingConsumer consumer = new TestSupport.RecordingConsumer();
  private OtlpHttpReceiver receiver;

  @TempDir Path dir;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private void start(TlsConfig tls, Authenticator auth) throws Exception {
    receiver = OtlpHttpReceiver.create(
        new ReceiverSettings(metrics.gateway, Clock.systemUTC(), auth),
        OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)).withTls(tls),
        consumer);
    receiver.start();
  }

  private static TlsConfig serverTls() {
    return TlsConfig.of(PKI.certChain("server"), PKI.key("server"));
  }

  /** POSTs an empty metrics request over a new client (new SSLContext: nothing is resumed). */
  private HttpResponse<byte[]> post(SSLContext ssl, String... headers) throws Exception {
    HttpClient client = HttpClient.newBuilder()
        .sslContext(ssl)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("https://localhost:" + receiver.boundAddress().getPort() + "/v1/metrics"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(HttpAuthTest.spoofed().toByteArray()));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static X509Certificate serverCertificate(HttpResponse<?> res) throws Exception {
    return (X509Certificate) res.sslSession().orElseThrow().getPeerCertificates()[0];
  }

  @Test
  void servesHttpsWithTheConfiguredCertificate() throws Exception {
    start(serverTls(), null);
    HttpResponse<byte[]> res = post(PKI.clientContext(null));
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(serverCertificate(res)).isEqualTo(PKI.x509("server"));
    assertThat(consumer.batches).hasSize(1);
  }

  @Test
  void plainTextOnTheTlsPortIsDroppedQuietly() throws Exception {
    try (CapturedLogs logs = new CapturedLogs()) {
      start(serverTls(), null);
      try (Socket s = new Socket("127.0.0.1", receiver.boundAddress().getPort())) {
        s.setSoTimeout(5000);
        OutputStream out = s.getOutputStream();
        out.write("POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".getBytes(UTF_8));
        out.flush();
        InputStream in = s.getInputStream();
        assertThat(in.readAllBytes()).isEmpty();
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> metrics.closed("tls_handshake_failed") == 1);
      assertThat(logs.text()).doesNotContain("ERROR");
    }
    assertThat(consumer.batches).isEmpty();
  }

  @Test
  void mutualTlsAcceptsTheCasClientsAndRefusesTheRest() throws Exception {
    start(serverTls().withClientCa(PKI.caCert(), TlsConfig.ClientAuth.REQUIRE), null);
    assertThat(post(PKI.clientContext("client")).statusCode()).isEqualTo(200);
    // No certificate, an expired one, one from another CA: the handshake fails, nothing is received.
    assertThatThrownBy(() -> post(PKI.clientContext(null))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> post(PKI.clientContext("expired"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> post(PKI.clientContext("rogue"))).isInstanceOf(IOException.class);
    assertThat(consumer.batches).hasSize(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> metrics.closed("tls_handshake_failed") >= 3);
  }

  @Test
  void optionalClientCertificatesAndTheCertificateIdentity() throws Exception {
    Authenticator auth = Authenticator.create(
        AuthConfig.ofTokens(List.of(TokenEntry.ofToken(HttpAuthTest.TOKEN, HttpAuthTest.PLATFORM, "t")))
            .withClientCertIdentity(true),
        Clock.systemUTC());
    start(serverTls().withClientCa(PKI.caCert(), TlsConfig.ClientAuth.OPTIONAL), auth);
    // The certificate alone is an identity.
    assertThat(post(PKI.clientContext("client")).statusCode()).isEqualTo(200);
    var resource = ((MetricsBatch) consumer.batches.get(0)).metrics().get(0).resource().attributes();
    assertThat(resource.getString("client.cn")).isEqualTo("laptop-42");
    assertThat(resource.getString("client.o")).isEqualTo("acme");
    assertThat(resource.getString("client.ou")).isEqualTo("platform");
    // No certificate (optional): the token is needed.
    assertThat(post(PKI.clientContext(null)).statusCode()).isEqualTo(401);
    assertThat(post(PKI.clientContext(null), "Authorization", "Bearer " + HttpAuthTest.TOKEN).statusCode()).isEqualTo(200);
    var second = ((MetricsBatch) consumer.batches.get(1)).metrics().get(0).resource().attributes();
    assertThat(second.getString("team.id")).isEqualTo("platform");
    assertThat(second.get("client.cn")).isNull();
    // Both: the token's attributes and the certificate's.
    assertThat(post(PKI.clientContext("client"), "Authorization", "Bearer " + HttpAuthTest.TOKEN).statusCode()).isEqualTo(200);
    var third = ((MetricsBatch) consumer.batches.get(2)).metrics().get(0).resource().attributes();
    assertThat(third.asMap()).containsEntry("team.id", "platform").containsEntry("client.cn", "laptop-42");
    // An expired certificate is refused even where certificates are optional.
    assertThatThrownBy(() -> post(PKI.clientContext("expired"), "Authorization", "Bearer " + HttpAuthTest.TOKEN))
        .isInstanceOf(IOException.class);
  }

  @Test
  void aRenewedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    Files.copy(PKI.certChain("server"), cert);
    Files.copy(PKI.key("server"), key);
    start(TlsConfig.of(cert, key).withReloadInterval(Duration.ofMillis(100)), null);
    assertThat(serverCertificate(post(PKI.clientContext(null))).getSerialNumber())
        .isEqualTo(PKI.x509("server").getSerialNumber());

    replace(PKI.key("server2"), key);
    replace(PKI.certChain("server2"), cert);
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
        assertThat(serverCertificate(post(PKI.clientContext(null))).getSerialNumber())
            .isEqualTo(PKI.x509("server2").getSerialNumber()));
    assertThat(metrics.requests("metrics", "ok")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void badTlsFilesFailTheStartNamingTheKey() {
    receiver = OtlpHttpReceiver.create(
        new ReceiverSettings(metrics.gateway, Clock.systemUTC()),
        OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0))
            .withTls(TlsConfig.of(PKI.certChain("server"), PKI.key("client"))),
        consumer);
    assertThatThrownBy(receiver::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("receivers.otlp_http.tls: the key in " + PKI.key("client") + " does not belong");
    assertThat(receiver.boundAddress()).isNull();
  }

  private void replace(Path from, Path to) throws IOException {
    Path tmp = dir.resolve(to.getFileName() + ".tmp");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}

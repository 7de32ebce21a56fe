package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsCredentialsTest {
  private static final TestPki PKI = TestPki.get();
  private final MutableClock clock = new MutableClock();

  @TempDir Path dir;

  private static ConfigNode node(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return new ConfigNode("receivers.otlp_http.tls", m);
  }

  private Path copy(Path from, String name) throws IOException {
    Path tmp = dir.resolve(name + ".tmp");
    Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    return Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static X509Certificate served(TlsCredentials c) {
    String alias = c.keyManager().chooseEngineServerAlias("EC", null, null);
    assertThat(alias).isNotNull();
    assertThat(c.keyManager().getPrivateKey(alias)).isNotNull();
    return c.keyManager().getCertificateChain(alias)[0];
  }

  @Test
  void parsesTheSection() {
    assertThat(TlsConfig.parse(ConfigNode.empty("receivers.otlp_http.tls"))).isNull();
    TlsConfig c = TlsConfig.parse(node("cert_file", PKI.certChain("server").toString(), "key_file", PKI.key("server").toString()));
    assertThat(c).isEqualTo(TlsConfig.of(PKI.certChain("server"), PKI.key("server")));
    assertThat(c.clientAuth()).isEqualTo(TlsConfig.ClientAuth.NONE);
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofMinutes(1));
    TlsConfig m = TlsConfig.parse(node("cert_file", PKI.certChain("server").toString(), "key_file", PKI.key("server").toString(),
        "client_ca_file", PKI.caCert().toString(), "client_auth", "optional", "reload_interval", "100ms"));
    assertThat(m.clientCaFile()).isEqualTo(PKI.caCert());
    assertThat(m.clientAuth()).isEqualTo(TlsConfig.ClientAuth.OPTIONAL);
    assertThat(m.reloadInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(TlsConfig.parse(node("cert_file", PKI.certChain("server").toString(), "key_file", PKI.key("server").toString(),
        "client_ca_file", PKI.caCert().toString())).clientAuth()).isEqualTo(TlsConfig.ClientAuth.REQUIRE);
  }

  @Test
  void badSectionsNameTheKey() {
    assertThatThrownBy(() -> TlsConfig.parse(node("key_file", "x")))
        .isInstanceOf(ConfigException.class).hasMessage("receivers.otlp_http.tls.cert_file: is required");
    assertThatThrownBy(() -> TlsConfig.parse(node("cert_file", "/nope/server.crt", "key_file", "x")))
        .isInstanceOf(ConfigException.class).hasMessage("receivers.otlp_http.tls.cert_file: cannot read the file /nope/server.crt");
    assertThatThrownBy(() -> TlsConfig.parse(node("cert_file", PKI.certChain("server").toString(), "key_file",
            PKI.key("server").toString(), "client_auth", "require")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.tls.client_auth: needs client_ca_file (the CA that signs client certificates)");
    assertThatThrownBy(() -> TlsConfig.parse(node("cert_file", PKI.certChain("server").toString(), "key_file",
            PKI.key("server").toString(), "client_ca_file", PKI.caCert().toString(), "client_auth", "sometimes")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.tls.client_auth: expected one of require, optional, got \"sometimes\"");
    assertThatThrownBy(() -> TlsConfig.parse(node("cert", "x")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("receivers.otlp_http.tls.cert: unknown key");
  }

  @Test
  void loadsAndRefusesAKeyOfAnotherCertificate() throws Exception {
    TlsCredentials c = TlsCredentials.load(TlsConfig.of(PKI.certChain("server"), PKI.key("server")), clock, "receivers.x.tls");
    assertThat(c.certificate()).isEqualTo(PKI.x509("server"));
    assertThat(served(c)).isEqualTo(PKI.x509("server"));
    assertThat(c.keyManager().getCertificateChain(c.keyManager().chooseEngineServerAlias("EC", null, null))).hasSize(2);
    // An EC pair is not offered for RSA suites.
    assertThat(c.keyManager().chooseEngineServerAlias("RSA", null, null)).isNull();
    assertThat(c.trustManager()).isNull();

    assertThatThrownBy(() -> TlsCredentials.load(TlsConfig.of(PKI.certChain("server"), PKI.key("client")), clock, "receivers.x.tls"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("receivers.x.tls: the key in " + PKI.key("client") + " does not belong to the certificate");
    assertThatThrownBy(() -> TlsCredentials.load(TlsConfig.of(PKI.key("server"), PKI.key("server")), clock, "receivers.x.tls"))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("receivers.x.tls.cert_file: ");
  }

  @Test
  void renewedFilesAreServedAfterTheInterval() throws Exception {
    Path cert = copy(PKI.certChain("server"), "server.crt");
    Path key = copy(PKI.key("server"), "server.key");
    TlsCredentials c = TlsCredentials.load(TlsConfig.of(cert, key).withReloadInterval(Duration.ofSeconds(10)), clock, "t");
    String oldAlias = c.keyManager().chooseEngineServerAlias("EC", null, null);

    // Half a renewal (new certificate, old key): not used, the old pair stays.
    copy(PKI.certChain("server2"), "server.crt");
    clock.advance(Duration.ofSeconds(10));
    assertThat(served(c)).isEqualTo(PKI.x509("server"));
    // The key follows: the new pair is served to new handshakes.
    copy(PKI.key("server2"), "server.key");
    clock.advance(Duration.ofSeconds(5));
    assertThat(served(c)).isEqualTo(PKI.x509("server"));
    clock.advance(Duration.ofSeconds(5));
    assertThat(served(c)).isEqualTo(PKI.x509("server2"));
    assertThat(c.certificate()).isEqualTo(PKI.x509("server2"));
    // A handshake that had picked the old pair still gets its key.
    assertThat(c.keyManager().getPrivateKey(oldAlias)).isEqualTo(PemFiles.privateKey(PKI.key("server")));

    // A broken file is ignored; a missing one too.
    Files.writeString(dir.resolve("server.crt"), "garbage");
    clock.advance(Duration.ofSeconds(10));
    assertThat(served(c)).isEqualTo(PKI.x509("server2"));
    Files.delete(dir.resolve("server.crt"));
    clock.advance(Duration.ofSeconds(10));
    assertThat(served(c)).isEqualTo(PKI.x509("server2"));
    copy(PKI.certChain("server"), "server.crt");
    copy(PKI.key("server"), "server.key");
    assertThat(c.reloadIfChanged()).isTrue();
    assertThat(c.certificate()).isEqualTo(PKI.x509("server"));
  }

  @Test
  void clientCertificatesMustChainToTheCaAndBeCurrent() throws Exception {
    Path ca = copy(PKI.caCert(), "ca.pem");
    TlsCredentials c = TlsCredentials.load(
        TlsConfig.of(PKI.certChain("server"), PKI.key("server"))
            .withClientCa(ca, TlsConfig.ClientAuth.REQUIRE)
            .withReloadInterval(Duration.ofSeconds(1)),
        clock, "t");
    var tm = c.trustManager();
    assertThat(tm.getAcceptedIssuers()).containsExactly(PKI.x509("ca"));
    assertThatCode(() -> tm.checkClientTrusted(new X509Certificate[] {PKI.x509("client")}, "EC")).doesNotThrowAnyException();
    assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {PKI.x509("expired")}, "EC"))
        .isInstanceOf(CertificateException.class);
    assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {PKI.x509("rogue")}, "EC"))
        .isInstanceOf(CertificateException.class);

    // The CA file is rotated to the other CA: its clients are accepted, the old ones not.
    copy(PKI.otherCaCert(), "ca.pem");
    clock.advance(Duration.ofSeconds(1));
    assertThatCode(() -> tm.checkClientTrusted(new X509Certificate[] {PKI.x509("rogue")}, "EC")).doesNotThrowAnyException();
    assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {PKI.x509("client")}, "EC"))
        .isInstanceOf(CertificateException.class);
  }
}

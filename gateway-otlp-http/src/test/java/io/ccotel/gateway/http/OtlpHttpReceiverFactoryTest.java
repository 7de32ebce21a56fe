package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.TestPki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpHttpReceiverFactoryTest {
  private final OtlpHttpReceiverFactory factory = new OtlpHttpReceiverFactory();

  private static ConfigNode node(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return new ConfigNode("receivers.otlp_http", m);
  }

  @Test
  void defaults() {
    assertThat(factory.type()).isEqualTo("otlp_http");
    OtlpHttpReceiverConfig d = factory.defaultConfig();
    assertThat(d).isEqualTo(new OtlpHttpReceiverConfig(
        true, HostPort.of("0.0.0.0", 4318), 64L << 20, 64L << 20, Duration.ofSeconds(60), 16384));
    assertThat(factory.parseConfig(node())).isEqualTo(d);
  }

  @Test
  void workerThreadsDefaultToFourPerCpuAtLeastEight() {
    assertThat(factory.parseConfig(node()).workerThreads()).isZero();
    assertThat(factory.parseConfig(node()).effectiveWorkerThreads())
        .isEqualTo(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
    OtlpHttpReceiverConfig three = factory.parseConfig(node("worker_threads", 3));
    assertThat(three.workerThreads()).isEqualTo(3);
    assertThat(three.effectiveWorkerThreads()).isEqualTo(3);
    assertThatThrownBy(() -> factory.parseConfig(node("worker_threads", -1)))
        .hasMessageContaining("receivers.otlp_http.worker_threads");
  }

  @Test
  void parsesEveryKey() {
    OtlpHttpReceiverConfig c = factory.parseConfig(node(
        "enabled", false,
        "endpoint", "127.0.0.1:14318",
        "max_body_bytes", "8MiB",
        "max_compressed_body_bytes", 1048576,
        "idle_timeout", "5m",
        "max_header_bytes", "32KiB"));
    assertThat(c).isEqualTo(new OtlpHttpReceiverConfig(
        false, HostPort.of("127.0.0.1", 14318), 8L << 20, 1L << 20, Duration.ofMinutes(5), 32 * 1024));
    assertThat(factory.parseConfig(node("endpoint", "4318")).endpoint()).isEqualTo(HostPort.of("0.0.0.0", 4318));
    assertThat(factory.parseConfig(node("idle_timeout", "0s")).idleTimeout()).isEqualTo(Duration.ZERO);
  }

  @Test
  void connectionLimitsAndTls() {
    OtlpHttpReceiverConfig d = factory.defaultConfig();
    assertThat(d.maxConnections()).isEqualTo(1000);
    assertThat(d.readTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.tls()).isNull();
    TestPki pki = TestPki.get();
    OtlpHttpReceiverConfig c = factory.parseConfig(node(
        "max_connections", 0,
        "read_timeout", "0s",
        "tls", Map.of(
            "cert_file", pki.certChain("server").toString(),
            "key_file", pki.key("server").toString(),
            "client_ca_file", pki.caCert().toString(),
            "client_auth", "optional",
            "reload_interval", "5m")));
    assertThat(c.maxConnections()).isZero();
    assertThat(c.readTimeout()).isZero();
    assertThat(c.tls()).isEqualTo(TlsConfig.of(pki.certChain("server"), pki.key("server"))
        .withClientCa(pki.caCert(), TlsConfig.ClientAuth.OPTIONAL)
        .withReloadInterval(Duration.ofMinutes(5)));
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> factory.parseConfig(node("max_body_byte", "1MiB")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.max_body_byte: unknown key; known keys here: enabled, endpoint, idle_timeout,"
            + " max_body_bytes, max_compressed_body_bytes, max_connections, max_header_bytes, read_timeout, tls, worker_threads");
    assertThatThrownBy(() -> factory.parseConfig(node("max_connections", -1)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.max_connections: must be between 0 and 1000000, got -1");
    assertThatThrownBy(() -> factory.parseConfig(node("read_timeout", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_http.read_timeout: expected a duration");
    assertThatThrownBy(() -> factory.parseConfig(node("tls", Map.of("cert_file", "/nope.crt", "key_file", "/nope.key"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.tls.cert_file: cannot read the file /nope.crt");
    assertThatThrownBy(() -> factory.parseConfig(node("tls", "on")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.tls: expected a mapping (key: value lines), got \"on\"");
    assertThatThrownBy(() -> factory.parseConfig(node("max_body_bytes", "3GiB")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.max_body_bytes: must be between 1 and 2147483647, got 3221225472");
    assertThatThrownBy(() -> factory.parseConfig(node("max_compressed_body_bytes", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_http.max_compressed_body_bytes: must be between 1 and");
    assertThatThrownBy(() -> factory.parseConfig(node("max_header_bytes", "100")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_http.max_header_bytes: must be between 1024 and 1048576, got 100");
    assertThatThrownBy(() -> factory.parseConfig(node("endpoint", "localhost:http")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_http.endpoint: ");
    assertThatThrownBy(() -> factory.parseConfig(node("idle_timeout", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_http.idle_timeout: expected a duration");
  }

  @Test
  void recordChecksItsInvariants() {
    assertThatThrownBy(() -> new OtlpHttpReceiverConfig(true, HostPort.of("0.0.0.0", 1), 0, 1, Duration.ZERO, 2048))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max_body_bytes must be between 1 and 2147483647, got 0");
    assertThatThrownBy(() -> new OtlpHttpReceiverConfig(true, HostPort.of("0.0.0.0", 1), 1, 1, Duration.ofSeconds(-1), 2048))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("idle_timeout must not be negative, got PT-1S");
    assertThatThrownBy(() -> new OtlpHttpReceiverConfig(true, null, 1, 1, Duration.ZERO, 2048))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void createsAnUnstartedReceiver() {
    var receiver = factory.create(
        new ReceiverSettings(new TestSupport.Metrics().gateway, TestSupport.CLOCK),
        factory.defaultConfig(), BatchConsumer.noop());
    assertThat(receiver).isInstanceOf(OtlpHttpReceiver.class);
    assertThat(receiver.name()).isEqualTo("otlp_http");
    assertThat(receiver.boundAddress()).isNull();
    receiver.shutdown(Duration.ofSeconds(1));
  }
}

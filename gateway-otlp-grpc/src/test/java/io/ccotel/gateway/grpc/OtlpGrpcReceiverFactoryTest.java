package io.ccotel.gateway.grpc;

import io.ccotel.gateway.core.auth.TestPki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.config.HostPort;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpGrpcReceiverFactoryTest {
  private final OtlpGrpcReceiverFactory factory = new OtlpGrpcReceiverFactory();

  private static ConfigNode node(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return new ConfigNode("receivers.otlp_grpc", m);
  }

  @Test
  void typeAndDefaults() {
    assertThat(factory.type()).isEqualTo("otlp_grpc");
    OtlpGrpcReceiverConfig d = factory.defaultConfig();
    assertThat(d.enabled()).isTrue();
    assertThat(d.endpoint()).isEqualTo(HostPort.of("0.0.0.0", 4317));
    assertThat(d.maxMessageBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(d.maxMetadataBytes()).isEqualTo(16L * 1024);
    assertThat(d.maxConcurrentStreams()).isEqualTo(32);
    assertThat(d.maxConnectionIdle()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.maxConnectionAge()).isEqualTo(Duration.ZERO);
    assertThat(d.maxConnectionAgeGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.keepaliveTime()).isEqualTo(Duration.ofMinutes(1));
    assertThat(d.keepaliveTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(d.permitKeepaliveTime()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.permitKeepaliveWithoutCalls()).isTrue();
    assertThat(d.workerThreads()).isZero();
    assertThat(d.effectiveWorkerThreads()).isEqualTo(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
  }

  @Test
  void emptySectionIsTheDefaults() {
    assertThat(factory.parseConfig(ConfigNode.empty("receivers.otlp_grpc"))).isEqualTo(factory.defaultConfig());
  }

  @Test
  void everyKeyIsRead() {
    OtlpGrpcReceiverConfig c =
        factory.parseConfig(
            node(
                "enabled", false,
                "endpoint", "127.0.0.1:14317",
                "max_message_bytes", "8MiB",
                "max_metadata_bytes", "32KiB",
                "max_concurrent_streams", 50,
                "max_connection_idle", "10m",
                "max_connection_age", "30m",
                "max_connection_age_grace", "1m",
                "keepalive_time", "2h",
                "keepalive_timeout", "5s",
                "permit_keepalive_time", "30s",
                "permit_keepalive_without_calls", "false",
                "worker_threads", 3));

    assertThat(c)
        .isEqualTo(
            new OtlpGrpcReceiverConfig(
                false,
                HostPort.of("127.0.0.1", 14317),
                8L * 1024 * 1024,
                32L * 1024,
                50,
                Duration.ofMinutes(10),
                Duration.ofMinutes(30),
                Duration.ofMinutes(1),
                Duration.ofHours(2),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                false,
                3));
    assertThat(OtlpGrpcReceiverFactory.KEYS).hasSize(OtlpGrpcReceiverConfig.class.getRecordComponents().length);
  }

  @Test
  void connectionCapAndTls() {
    assertThat(factory.defaultConfig().maxConnections()).isEqualTo(1000);
    assertThat(factory.defaultConfig().tls()).isNull();
    TestPki pki = TestPki.get();
    OtlpGrpcReceiverConfig c = factory.parseConfig(node(
        "max_connections", 0,
        "tls", Map.of(
            "cert_file", pki.certChain("server").toString(),
            "key_file", pki.key("server").toString(),
            "client_ca_file", pki.caCert().toString())));
    assertThat(c.maxConnections()).isZero();
    assertThat(c.tls()).isEqualTo(TlsConfig.of(pki.certChain("server"), pki.key("server"))
        .withClientCa(pki.caCert(), TlsConfig.ClientAuth.REQUIRE));
    assertThatThrownBy(() -> factory.parseConfig(node("max_connections", 2_000_000)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.max_connections: must be between 0 and 1000000, got 2000000");
    assertThatThrownBy(() -> factory.parseConfig(node("tls", Map.of("key_file", "x"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.tls.cert_file: is required");
  }

  @Test
  void bareportMeansAllInterfaces() {
    assertThat(factory.parseConfig(node("endpoint", "4317")).endpoint()).isEqualTo(HostPort.of("0.0.0.0", 4317));
    assertThat(factory.parseConfig(node("endpoint", "[::1]:4317")).endpoint()).isEqualTo(HostPort.of("::1", 4317));
  }

  @Test
  void misspeltKeyNamesItAndTheKnownOnes() {
    assertThatThrownBy(() -> factory.parseConfig(node("max_msg_bytes", "1MiB")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_grpc.max_msg_bytes: unknown key; known keys here: enabled, endpoint, ");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> factory.parseConfig(node("endpoint", "localhost:http")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.endpoint: expected host:port such as 0.0.0.0:4317, got \"localhost:http\"");
    assertThatThrownBy(() -> factory.parseConfig(node("max_message_bytes", "4GiB")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.max_message_bytes: must be between 1 and 2147483647, got 4294967296");
    assertThatThrownBy(() -> factory.parseConfig(node("max_concurrent_streams", 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.max_concurrent_streams: must be between 1 and 2147483647, got 0");
    assertThatThrownBy(() -> factory.parseConfig(node("keepalive_time", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("receivers.otlp_grpc.keepalive_time: expected a duration such as 500ms");
    assertThatThrownBy(() -> factory.parseConfig(node("keepalive_timeout", "0s")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc: keepalive_timeout must be more than 0, got PT0S");
    assertThatThrownBy(() -> factory.parseConfig(node("enabled", "yes")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("receivers.otlp_grpc.enabled: expected true or false, got \"yes\"");
  }

  @Test
  void recordChecksItsOwnInvariants() {
    OtlpGrpcReceiverConfig d = OtlpGrpcReceiverConfig.defaults();
    assertThatThrownBy(() -> d.withMaxMessageBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max_message_bytes must be between 1 and 2147483647, got 0");
    assertThatThrownBy(() -> d.withEndpoint(null)).isInstanceOf(NullPointerException.class);
    assertThat(d.withMaxMessageBytes(1024).maxMessageBytes()).isEqualTo(1024);
  }
}

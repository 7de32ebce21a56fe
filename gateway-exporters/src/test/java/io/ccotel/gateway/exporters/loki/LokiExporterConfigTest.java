package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LokiExporterConfigTest {
  private final LokiExporterFactory factory = new LokiExporterFactory();

  /** The {@code exporters.<id>} section of a YAML text, as the gateway's config loader hands it over. */
  @SuppressWarnings("unchecked")
  static ConfigNode section(String id, String yaml) {
    try {
      Map<String, Object> root = new ObjectMapper(new YAMLFactory()).readValue("exporters:\n  " + id + ":\n" + yaml, Map.class);
      return new ConfigNode("", root).child("exporters").child(id);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void defaults() {
    LokiExporterConfig c = factory.defaultConfig();

    assertThat(factory.type()).isEqualTo("loki");
    assertThat(c.endpoint()).isEqualTo(URI.create("http://localhost:3100"));
    assertThat(c.pushUri()).isEqualTo(URI.create("http://localhost:3100/loki/api/v1/push"));
    assertThat(c.encoding()).isEqualTo(LokiExporterConfig.Encoding.PROTOBUF);
    assertThat(c.compression()).isEqualTo(LokiExporterConfig.Compression.NONE);
    assertThat(c.tenant()).isEmpty();
    assertThat(c.tenantFromAttribute()).isEmpty();
    assertThat(c.auth()).isEqualTo(LokiExporterConfig.Auth.NONE);
    assertThat(c.tls()).isEqualTo(LokiExporterConfig.Tls.NONE);
    assertThat(c.streamLabels()).isEmpty();
    assertThat(c.streamLabelNames()).containsExactly("service_name", "event_name");
    assertThat(c.structuredMetadata()).isFalse();
    assertThat(c.batchMaxBytes()).isEqualTo(1024 * 1024);
    assertThat(c.batchMaxEntries()).isEqualTo(10_000);
    assertThat(c.batchLinger()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.maxLineBytes()).isEqualTo(256 * 1024);
    assertThat(c.retry())
        .isEqualTo(new LokiExporterConfig.Retry(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(10)));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.maxConcurrentPushes()).isEqualTo(1);
    assertThat(factory.parseConfig(section("loki", "    endpoint: http://localhost:3100\n"))).isEqualTo(c);
  }

  @Test
  void concurrentPushesAreAKeyBoundedAt16() {
    assertThat(factory.parseConfig(section("loki", "    endpoint: http://loki:3100\n    max_concurrent_pushes: 4\n")).maxConcurrentPushes()).isEqualTo(4);
    assertThatThrownBy(() -> factory.parseConfig(section("loki", "    endpoint: http://loki:3100\n    max_concurrent_pushes: 0\n")))
        .hasMessageContaining("exporters.loki.max_concurrent_pushes");
  }

  @Test
  void everyKey() {
    LokiExporterConfig c =
        factory.parseConfig(
            section(
                "loki/team",
                """
                    endpoint: https://loki.example:3100/tenant-proxy/
                    encoding: json
                    compression: gzip
                    tenant: fallback-team
                    tenant_from_attribute: team.id
                    auth: {basic: {username: gateway, password: s3cret}}
                    tls: {insecure_skip_verify: true}
                    stream_labels: [team.id, department, 9lives]
                    structured_metadata: true
                    batch_max_bytes: 512KiB
                    batch_max_entries: 500
                    batch_linger: 250ms
                    max_line_bytes: 64KiB
                    retry: {initial_backoff: 100ms, max_backoff: 5s, max_elapsed: 0s}
                    timeout: 3s
                """));

    assertThat(c)
        .isEqualTo(
            new LokiExporterConfig(
                URI.create("https://loki.example:3100/tenant-proxy/"),
                LokiExporterConfig.Encoding.JSON,
                LokiExporterConfig.Compression.GZIP,
                "fallback-team",
                "team.id",
                LokiExporterConfig.Auth.basic("gateway", "s3cret"),
                new LokiExporterConfig.Tls("", true),
                List.of("team.id", "department", "9lives"),
                true,
                512 * 1024,
                500,
                Duration.ofMillis(250),
                64 * 1024,
                new LokiExporterConfig.Retry(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ZERO),
                Duration.ofSeconds(3)));
    assertThat(c.pushUri()).isEqualTo(URI.create("https://loki.example:3100/tenant-proxy/loki/api/v1/push"));
    assertThat(c.streamLabelNames()).containsExactly("service_name", "event_name", "team_id", "department", "_9lives");
    assertThat(c.toString()).doesNotContain("s3cret").contains("password=***");
    Exporter e = factory.create(new ExporterSettings("loki/team", GatewayMetrics.noop(), Clock.systemUTC()), c);
    assertThat(e).isInstanceOf(LokiExporter.class);
    assertThat(e.id()).isEqualTo("loki/team");
    assertThat(e.supportedSignals()).containsExactly(Signal.LOGS);
    assertThat(e.inline()).isFalse();
    e.shutdown(Duration.ZERO);
    e.shutdown(Duration.ZERO);
  }

  @Test
  void bearerTokenIsNeverShown() {
    LokiExporterConfig c =
        factory.parseConfig(section("loki", "    endpoint: http://loki:3100/loki/api/v1/push\n    auth: {bearer_token: tok-123}\n"));
    assertThat(c.auth().bearerToken()).isEqualTo("tok-123");
    assertThat(c.toString()).doesNotContain("tok-123");
    assertThat(c.pushUri()).isEqualTo(URI.create("http://loki:3100/loki/api/v1/push"));
  }

  @Test
  void caFileMustBeReadableAndPem(@TempDir Path dir) throws IOException {
    Path pem = dir.resolve("ca.pem");
    Files.writeString(pem, "not a certificate");
    LokiExporterConfig c =
        factory.parseConfig(section("loki", "    endpoint: https://loki:3100\n    tls: {ca_file: " + pem + "}\n"));
    assertThat(c.tls().caFile()).isEqualTo(pem.toString());
    assertThatThrownBy(() -> factory.create(new ExporterSettings("loki", GatewayMetrics.noop(), Clock.systemUTC()), c))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.ca_file: cannot load " + pem);
    assertThatThrownBy(
            () -> factory.parseConfig(section("loki", "    endpoint: https://loki:3100\n    tls: {ca_file: " + dir.resolve("missing.pem") + "}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("exporters.loki.tls.ca_file: cannot read " + dir.resolve("missing.pem"));
  }

  @Test
  void fifteenLabelsAtMost() {
    String thirteen = "[a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13]";
    assertThat(factory.parseConfig(section("loki", "    endpoint: http://l:3100\n    stream_labels: " + thirteen + "\n")).streamLabelNames())
        .hasSize(15);
    assertThatThrownBy(
            () -> factory.parseConfig(
                section("loki", "    endpoint: http://l:3100\n    stream_labels: " + thirteen.replace("]", ", a14]") + "\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "exporters.loki.stream_labels: at most 13 keys: Loki allows 15 labels per stream (max_label_names_per_series)"
                + " and service_name and event_name take two; got 14");
  }

  @Test
  void unboundedKeysAreRefusedAsStreamLabels() {
    for (String key : LokiExporterConfig.REFUSED_STREAM_LABELS.keySet()) {
      assertThatThrownBy(
              () -> factory.parseConfig(section("loki", "    endpoint: http://l:3100\n    stream_labels: [model, \"" + key + "\"]\n")))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("exporters.loki.stream_labels[1]: " + key + " cannot be a stream label: it has ")
          .hasMessageContaining("each value would open a new Loki stream")
          .hasMessageEndingWith("it stays in the JSON line (and goes to structured metadata with structured_metadata: true)");
    }
    assertThatThrownBy(() -> factory.parseConfig(section("loki", "    endpoint: http://l:3100\n    stream_labels: [session_id]\n")))
        .hasMessageStartingWith("exporters.loki.stream_labels[0]: session_id cannot be a stream label: it has one value per session");
    assertThatThrownBy(() -> LokiExporterConfig.builder(URI.create("http://l:3100")).streamLabels(List.of("user.email")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("stream_labels: user.email cannot be a stream label");
  }

  static Stream<Arguments> badSections() {
    return Stream.of(
        Arguments.of(
            "endpoint: http://l:3100, endpont: x",
            "exporters.loki.endpont: unknown key; known keys here: auth, batch_linger, batch_max_bytes, batch_max_entries, compression, encoding, endpoint, max_concurrent_pushes, max_line_bytes, retry, stream_labels, structured_metadata, tenant, tenant_from_attribute, timeout, tls"),
        Arguments.of(
            "encoding: json",
            "exporters.loki.endpoint: is required"),
        Arguments.of(
            "endpoint: localhost:3100",
            "exporters.loki.endpoint: expected Loki's base URL such as http://localhost:3100, got \"localhost:3100\""),
        Arguments.of(
            "endpoint: ftp://loki:3100",
            "exporters.loki.endpoint: expected Loki's base URL such as http://localhost:3100, got \"ftp://loki:3100\""),
        Arguments.of(
            "endpoint: http://l:3100, encoding: avro",
            "exporters.loki.encoding: expected one of protobuf, json, got \"avro\""),
        Arguments.of(
            "endpoint: http://l:3100, compression: gzip",
            "exporters.loki.compression: applies to encoding: json only; protobuf bodies are always snappy-compressed"),
        Arguments.of(
            "endpoint: http://l:3100, tenant: 'team a'",
            "exporters.loki.tenant: a Loki tenant id has at most 150 characters among letters, digits and !-_.*'() (and is not . or ..), got \"team a\""),
        Arguments.of(
            "endpoint: http://l:3100, auth: {basic: {username: u}, bearer_token: t}",
            "exporters.loki.auth: set either basic or bearer_token, not both"),
        Arguments.of(
            "endpoint: http://l:3100, auth: {basic: {password: p}}",
            "exporters.loki.auth.basic.username: is required"),
        Arguments.of(
            "endpoint: http://l:3100, auth: {token: t}",
            "exporters.loki.auth.token: unknown key; known keys here: basic, bearer_token"),
        Arguments.of(
            "endpoint: http://l:3100, tls: {insecure_skip_verify: true}",
            "exporters.loki.tls: is set but the endpoint is not https: http://l:3100"),
        Arguments.of(
            "endpoint: https://l:3100, tls: {verify: false}",
            "exporters.loki.tls.verify: unknown key; known keys here: ca_file, insecure_skip_verify"),
        Arguments.of(
            "endpoint: http://l:3100, stream_labels: model",
            "exporters.loki.stream_labels: expected a list such as [a, b], got \"model\""),
        Arguments.of(
            "endpoint: http://l:3100, stream_labels: [service.name]",
            "exporters.loki.stream_labels[0]: service.name is always a stream label (as service_name or event_name); leave it out"),
        Arguments.of(
            "endpoint: http://l:3100, stream_labels: [team.id, team_id]",
            "exporters.loki.stream_labels[1]: team_id and team.id would both become the label team_id"),
        Arguments.of(
            "endpoint: http://l:3100, stream_labels: [__name__]",
            "exporters.loki.stream_labels[0]: __name__ would become the label __name__; names starting with __ are reserved"),
        Arguments.of(
            "endpoint: http://l:3100, stream_labels: [model, '']",
            "exporters.loki.stream_labels[1]: an attribute key must not be empty"),
        Arguments.of(
            "endpoint: http://l:3100, batch_max_bytes: 8MiB",
            "exporters.loki.batch_max_bytes: must stay below Loki's default ingestion burst of 6 MB (ingestion_burst_size_mb): at most 5MiB, got 8388608"),
        Arguments.of(
            "endpoint: http://l:3100, batch_max_bytes: 100",
            "exporters.loki.batch_max_bytes: must be at least 1KiB, got 100"),
        Arguments.of(
            "endpoint: http://l:3100, batch_max_entries: 0",
            "exporters.loki.batch_max_entries: must be between 1 and 1000000, got 0"),
        Arguments.of(
            "endpoint: http://l:3100, batch_linger: 5m",
            "exporters.loki.batch_linger: must be at most 1m, got 300s"),
        Arguments.of(
            "endpoint: http://l:3100, max_line_bytes: 2MiB",
            "exporters.loki.max_line_bytes: must not exceed batch_max_bytes (1048576), got 2097152"),
        Arguments.of(
            "endpoint: http://l:3100, max_line_bytes: 10",
            "exporters.loki.max_line_bytes: must be at least 1KiB, got 10"),
        Arguments.of(
            "endpoint: http://l:3100, retry: {initial_backoff: 0s}",
            "exporters.loki.retry.initial_backoff: must be positive"),
        Arguments.of(
            "endpoint: http://l:3100, retry: {initial_backoff: 2s, max_backoff: 1s}",
            "exporters.loki.retry.max_backoff: must not be shorter than initial_backoff (2000ms)"),
        Arguments.of(
            "endpoint: http://l:3100, retry: {max_elapsed: forever}",
            "exporters.loki.retry.max_elapsed: expected a duration such as 500ms, 30s, 5m, 24h or 7d, got \"forever\""),
        Arguments.of(
            "endpoint: http://l:3100, retry: {jitter: true}",
            "exporters.loki.retry.jitter: unknown key; known keys here: initial_backoff, max_backoff, max_elapsed"),
        Arguments.of(
            "endpoint: http://l:3100, timeout: 10ms",
            "exporters.loki.timeout: must be at least 100ms, got 10ms"),
        Arguments.of(
            "endpoint: http://l:3100, structured_metadata: maybe",
            "exporters.loki.structured_metadata: expected true or false, got \"maybe\""));
  }

  @ParameterizedTest
  @MethodSource("badSections")
  void badSectionsNameTheKey(String yaml, String message) {
    assertThatThrownBy(() -> factory.parseConfig(section("loki", "    {" + yaml + "}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }
}

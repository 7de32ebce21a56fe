package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.model.Signal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  private final ConfigLoader loader = new ConfigLoader(Map.of("TEAM_TOKEN_FILE", "/etc/tokens", "PROM_PORT", "19464"));

  private GatewayConfig loadYaml(String yaml) {
    return loader.loadText(yaml);
  }

  private static Path resource(String name) {
    return Paths.get("src/test/resources/config").resolve(name);
  }

  @Test
  void defaultsListenOnTheStandardPortsAndPrintEventsToTheConsole() {
    GatewayConfig cfg = loader.defaults();
    assertThat(cfg.receivers()).extracting(GatewayConfig.ReceiverSpec::type).containsExactly("otlp_grpc", "otlp_http");
    assertThat(cfg.receivers().get(0).config().toString()).contains("0.0.0.0").contains("4317");
    assertThat(cfg.receivers().get(1).config().toString()).contains("0.0.0.0").contains("4318");
    assertThat(cfg.exporters()).containsOnlyKeys("prometheus", "console");
    assertThat(cfg.exporters().get("prometheus").config().toString()).contains("9464");
    assertThat(cfg.pipelines())
        .containsEntry(Signal.METRICS, List.of("prometheus", "console"))
        .containsEntry(Signal.LOGS, List.of("console"))
        .containsEntry(Signal.TRACES, List.of("console"));
    assertThat(cfg.queueCapacityItems()).isEqualTo(500_000);
    assertThat(cfg.retryAfter()).isEqualTo(Duration.ofSeconds(5));
    assertThat(cfg.shutdownTimeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void theShippedConfigFileIsValidAndEqualsTheDefaults() {
    GatewayConfig shipped = loader.load(Paths.get("../config/gateway.yaml"));
    GatewayConfig defaults = loader.defaults();
    assertThat(shipped.receivers()).extracting(r -> r.config()).isEqualTo(defaults.receivers().stream().map(r -> r.config()).toList());
    assertThat(shipped.exporters().keySet()).isEqualTo(defaults.exporters().keySet());
    for (String id : defaults.exporters().keySet()) {
      assertThat(shipped.exporters().get(id).config()).as(id).isEqualTo(defaults.exporters().get(id).config());
    }
    assertThat(shipped.pipelines()).isEqualTo(defaults.pipelines());
    assertThat(shipped.queueCapacityItems()).isEqualTo(defaults.queueCapacityItems());
    assertThat(shipped.limits()).isEqualTo(defaults.limits());
  }

  @Test
  void limitsDefaultToAutoNinetyPercentAndOneSecond() {
    GatewayConfig.LimitsSpec d = loader.defaults().limits();
    assertThat(d).isEqualTo(new GatewayConfig.LimitsSpec(0, 0.9, Duration.ofSeconds(1)));
    assertThat(d.effectiveMaxInflightBytes())
        .isEqualTo(Math.max(4L << 20, Runtime.getRuntime().maxMemory() / 16));
  }

  @Test
  void limitsAreParsedWithSizesAndPercentages() throws Exception {
    GatewayConfig cfg = loadYaml("limits:\n  max_inflight_bytes: 32MiB\n  max_heap_after_gc: 75%\n  retry_after: 3s\n");
    assertThat(cfg.limits()).isEqualTo(new GatewayConfig.LimitsSpec(32L << 20, 0.75, Duration.ofSeconds(3)));
    assertThat(loadYaml("limits:\n  max_heap_after_gc: 1\n").limits().maxHeapAfterGc()).isEqualTo(1.0);
    assertThat(loadYaml("limits:\n  max_inflight_bytes: auto\n").limits().maxInflightBytes()).isZero();
  }

  @Test
  void badLimitsNameTheKey() {
    assertThatThrownBy(() -> loadYaml("limits:\n  max_heap_after_gc: 150%\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.max_heap_after_gc")
        .hasMessageContaining("between 10% and 100%");
    assertThatThrownBy(() -> loadYaml("limits:\n  max_inflight_bytes: lots\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.max_inflight_bytes");
    assertThatThrownBy(() -> loadYaml("limits:\n  retry_after: 0s\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.retry_after");
    assertThatThrownBy(() -> loadYaml("limits:\n  max_inflight: 1MiB\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits");
  }

  @Test
  void theDockerImageConfigTurnsDurabilityOn() {
    GatewayConfig docker = loader.load(Paths.get("../docker/gateway.yaml"));
    assertThat(docker.durability().enabled()).isTrue();
    assertThat(docker.durability().config().dir()).isEqualTo(Paths.get("data/log"));
    assertThat(docker.durability().config().fsync()).isEqualTo(io.ccotel.gateway.core.durable.FsyncPolicy.ALWAYS);
    assertThat(docker.durability().config().maxBytes()).isEqualTo(1L << 30);
    assertThat(loader.defaults().durability().enabled()).isFalse();
    assertThat(docker.pipelines()).isEqualTo(loader.defaults().pipelines());
  }

  @Test
  void theComposeStackConfigSendsEventsToLoki() {
    GatewayConfig compose = loader.load(Paths.get("../docker/gateway-compose.yaml"));
    assertThat(compose.exporters().get("loki").type()).isEqualTo("loki");
    assertThat(compose.pipelines()).containsEntry(Signal.LOGS, List.of("loki", "console"));
    assertThat(compose.durability().enabled()).isTrue();
  }

  @Test
  void anEmptyFileMeansTheDefaults() {
    assertThat(loader.loadText("").pipelines()).isEqualTo(loader.defaults().pipelines());
  }

  @Test
  void environmentVariablesAreSubstituted() {
    GatewayConfig cfg =
        loader.loadText(
            """
            exporters:
              prometheus:
                endpoint: 127.0.0.1:${env:PROM_PORT}
              console/json:
                format: ${env:CONSOLE_FORMAT:-json}
            pipelines:
              metrics: {exporters: [prometheus]}
              logs: {exporters: [console/json]}
            """);
    assertThat(cfg.exporters().get("prometheus").config().toString()).contains("19464");
    assertThat(cfg.exporters().get("console/json").type()).isEqualTo("console");
    assertThat(cfg.pipelines()).doesNotContainKey(Signal.TRACES);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          unknown-top-key.yaml        | exporter: unknown key; known keys here: auth, durability, exporters, limits, pipelines, privacy, queue, receivers, shutdown_timeout, validation
          unknown-exporter-type.yaml  | exporters.kafka: unknown exporter type 'kafka'; known types: prometheus, console, loki
          pipeline-unknown-exporter.yaml | pipelines.logs.exporters[1]: names exporter 'loki', which is not configured under exporters (configured: console)
          bad-duration.yaml           | queue.retry_after: expected a duration such as 500ms, 30s, 5m, 24h or 7d, got "5 seconds"
          unset-env.yaml              | receivers.otlp_grpc.endpoint: environment variable GATEWAY_TEST_UNSET_VARIABLE is not set (give a default with ${env:GATEWAY_TEST_UNSET_VARIABLE:-value})
          receiver-typo.yaml          | receivers.otlp_grpc.endpiont: unknown key
          bad-yaml.yaml               | line 3: not valid YAML
          bad-endpoint.yaml           | receivers.otlp_http.endpoint: expected host:port such as 0.0.0.0:4317, got "localhost:http"
          unknown-signal.yaml         | pipelines.profiles: unknown key; known keys here: logs, metrics, traces
          all-receivers-off.yaml      | receivers: every receiver is disabled; the gateway would receive nothing
          queue-zero.yaml             | queue.capacity_items: must be between 1 and 1099511627776, got 0
          """)
  void badFilesAreRefusedWithAMessageNamingTheKey(String file, String message) {
    assertThat(Files.exists(resource(file))).as(file).isTrue();
    assertThatThrownBy(() -> loader.load(resource(file)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void aMissingFileIsNamed() {
    assertThatThrownBy(() -> loader.load(Paths.get("no/such/gateway.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config file no/such/gateway.yaml does not exist");
  }

  @Test
  void aPipelineNamingAnExporterThatCannotTakeTheSignalIsRefusedWhenWired() {
    GatewayConfig cfg =
        loader.loadText(
            """
            receivers:
              otlp_grpc: {endpoint: "127.0.0.1:0"}
              otlp_http: {endpoint: "127.0.0.1:0"}
            exporters:
              prometheus: {endpoint: "127.0.0.1:0", state_file: ""}
            pipelines:
              logs: {exporters: [prometheus]}
            """);
    assertThatThrownBy(() -> new Gateway(cfg, java.time.Clock.systemUTC()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("pipelines.logs.exporters: exporter 'prometheus' cannot take logs");
  }
}

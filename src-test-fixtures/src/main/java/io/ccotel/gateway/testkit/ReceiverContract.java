package io.ccotel.gateway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.core.pipeline.Pipeline;
import io.ccotel.gateway.core.pipeline.PipelineAssembler;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterFactory;
import io.ccotel.gateway.testkit.ClaudeCodeRuns.Expected;
import io.ccotel.gateway.testkit.ClaudeCodeRuns.Run;
import io.ccotel.gateway.testkit.PromText.Sample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The receiver contract kit: the same captured CLI payloads and the same expected answers for every
 * receiver. A receiver's test extends this class and says how to build the receiver and how to
 * send a request over its transport; the kit then replays the captures through the real pipeline
 * and the real Prometheus exporter and checks the exact series, values and answers.
 *
 * <p>One receiver and one pipeline serve the whole class; each test starts from fresh exporters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ReceiverContract {
  /** The receivers under test are built with this limit so that the oversize case is cheap. */
  protected static final long MAX_BYTES = 1024 * 1024;

  private final AtomicReference<Function<TelemetryBatch, ConsumeResult>> override = new AtomicReference<>();
  private final AtomicReference<Pipeline> pipeline = new AtomicReference<>();
  private PrometheusExporter prometheus;
  private RecordingExporter recorder;
  private Receiver receiver;

  /** Builds (not starts) the receiver under test, bound to a free loopback port, with the limit. */
  protected abstract Receiver createReceiver(BatchConsumer next, long maxBytes);

  /** Replays a captured request byte for byte (headers that matter included). */
  protected abstract Answer replay(Receiver receiver, CapturedRequest request) throws Exception;

  /** Sends a protobuf-encoded Export*ServiceRequest body (maybe broken) for a signal. */
  protected abstract Answer sendProtobuf(Receiver receiver, Signal signal, byte[] body) throws Exception;

  /** The captured runs this transport can replay. */
  protected abstract List<Run> runs();

  @BeforeAll
  void startReceiver() throws Exception {
    BatchConsumer front =
        batch -> {
          Function<TelemetryBatch, ConsumeResult> o = override.get();
          return o != null ? o.apply(batch) : pipeline.get().consume(batch);
        };
    receiver = createReceiver(front, MAX_BYTES);
    receiver.start();
  }

  @AfterAll
  void stopReceiver() {
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  @BeforeEach
  void freshPipeline() throws Exception {
    override.set(null);
    GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), Clock.systemUTC());
    PrometheusExporterFactory factory = new PrometheusExporterFactory();
    PrometheusExporterConfig config =
        factory.parseConfig(new ConfigNode("exporters.prometheus", Map.of("endpoint", "127.0.0.1:0", "state_file", "")));
    prometheus = (PrometheusExporter) factory.create(new ExporterSettings("prometheus", metrics, Clock.systemUTC()), config);
    recorder = new RecordingExporter("recorder");
    Pipeline p =
        new PipelineAssembler(metrics, 100_000, Duration.ofSeconds(1))
            .exporter(prometheus)
            .exporter(recorder)
            .route(Signal.METRICS, List.of("prometheus"))
            .route(Signal.LOGS, List.of("recorder"))
            .route(Signal.TRACES, List.of("recorder"))
            .build();
    p.start();
    pipeline.set(p);
  }

  @AfterEach
  void stopPipeline() {
    pipeline.get().shutdown(Duration.ofSeconds(5));
  }

  private List<Sample> scrape() throws InterruptedException {
    assertThat(pipeline.get().awaitIdle(Duration.ofSeconds(10))).as("pipeline drained").isTrue();
    return PromText.parse(prometheus.scrape("text/plain"));
  }

  private void replayAll(Run run) throws Exception {
    for (CapturedRequest r : Fixtures.run(run.folder())) {
      Answer a = replay(receiver, r);
      assertThat(a.kind()).as("answer to %s: %s", r, a).isEqualTo(Answer.Kind.OK);
    }
  }

  List<Run> contractRuns() {
    return runs();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractRuns")
  void everyCapturedRunYieldsTheExactPrometheusTotals(Run run) throws Exception {
    replayAll(run);
    List<Sample> samples = scrape();

    Map<String, String> standard = ClaudeCodeRuns.standardLabels(run);
    for (Expected e : ClaudeCodeRuns.TOTALS) {
      Map<String, String> match = new HashMap<>(e.labels());
      match.putAll(standard);
      if (run.teamLabels()) {
        match.putAll(ClaudeCodeRuns.TEAM_LABELS);
      }
      assertThat(PromText.select(samples, e.name(), match)).as("%s %s in %s", e.name(), match, run).hasSize(1);
      // Cost arrives as several deltas in some runs; their float sum depends on the split.
      assertThat(PromText.sum(samples, e.name(), match)).as("%s %s", e.name(), e.labels()).isCloseTo(e.value(), within(1e-12));
    }
    assertThat(PromText.sum(samples, "claude_code_active_time_seconds_total", Map.of("type", "cli")))
        .isCloseTo(run.activeTimeSeconds(), within(1e-9));
    // The unbounded ids never become labels.
    assertThat(samples).allSatisfy(s -> assertThat(s.labels()).doesNotContainKeys("session_id", "prompt_id"));
    assertThat(recorder.logRecords()).hasSize(run.logRecords());
    assertThat(recorder.spans()).hasSize(run.spans());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("contractRuns")
  void tokenSeriesHasExactlyTheExpectedLabels(Run run) throws Exception {
    replayAll(run);
    List<Sample> tokens = PromText.select(scrape(), "claude_code_token_usage_tokens_total", Map.of("type", "input"));
    assertThat(tokens).hasSize(1);
    Map<String, String> expected = new HashMap<>(ClaudeCodeRuns.standardLabels(run));
    expected.putAll(Map.of("type", "input", "model", "claude-opus-5-5", "query_source", "main", "effort", "medium"));
    if (run.teamLabels()) {
      expected.putAll(ClaudeCodeRuns.TEAM_LABELS);
    }
    if (run.folder().equals("http-json/extras")) {
      expected.putAll(
          Map.of(
              "app_version", "2.1.328",
              "app_entrypoint", "sdk-cli",
              "vcs_repository_url_full", "https://github.com/example/acme-app",
              "vcs_owner_name", "example",
              "vcs_repository_name", "acme-app",
              "vcs_provider_name", "github"));
    }
    assertThat(tokens.get(0).labels()).isEqualTo(expected);
  }

  @Test
  void aClientRetryOfTheSameRequestIsNotCountedTwice() throws Exception {
    Run run = runs().get(0);
    CapturedRequest metrics =
        Fixtures.run(run.folder()).stream().filter(r -> r.signal() == Signal.METRICS).findFirst().orElseThrow();
    assertThat(replay(receiver, metrics).kind()).isEqualTo(Answer.Kind.OK);
    assertThat(replay(receiver, metrics).kind()).isEqualTo(Answer.Kind.OK);
    assertThat(PromText.sum(scrape(), "claude_code_token_usage_tokens_total", Map.of("type", "input")))
        .isEqualTo(1008.0);
  }

  @Test
  void undecodableBodyIsInvalid() throws Exception {
    // Field 1 (resource_metrics), length-delimited, with a length running past the end.
    byte[] truncated = {0x0a, (byte) 0xff, 0x01, 0x0a};
    for (Signal s : Signal.values()) {
      Answer a = sendProtobuf(receiver, s, truncated);
      assertThat(a.kind()).as("%s: %s", s, a).isEqualTo(Answer.Kind.INVALID);
      assertThat(a.message()).as("a message a person can act on").isNotBlank();
    }
  }

  @Test
  void bodyOverTheLimitIsTooLarge() throws Exception {
    byte[] huge = new byte[(int) MAX_BYTES + 1024];
    Answer a = sendProtobuf(receiver, Signal.LOGS, huge);
    assertThat(a.kind()).as("%s", a).isEqualTo(Answer.Kind.TOO_LARGE);
  }

  @Test
  void emptyRequestIsOk() throws Exception {
    for (Signal s : Signal.values()) {
      assertThat(sendProtobuf(receiver, s, new byte[0]).kind()).isEqualTo(Answer.Kind.OK);
    }
  }

  @Test
  void partialRejectionIsReportedWithCountAndReason() throws Exception {
    override.set(b -> ConsumeResult.partial(2, "2 data points rejected: negative value in a monotonic sum"));
    CapturedRequest metrics =
        Fixtures.run(runs().get(0).folder()).stream().filter(r -> r.signal() == Signal.METRICS).findFirst().orElseThrow();
    Answer a = replay(receiver, metrics);
    assertThat(a.kind()).isEqualTo(Answer.Kind.PARTIAL);
    assertThat(a.rejected()).isEqualTo(2);
    assertThat(a.message()).isEqualTo("2 data points rejected: negative value in a monotonic sum");
  }

  @Test
  void fullQueueIsRetryableWithADelay() throws Exception {
    override.set(b -> ConsumeResult.retryable("exporter 'loki' cannot take more now", Duration.ofSeconds(7)));
    CapturedRequest logs =
        Fixtures.run(runs().get(0).folder()).stream().filter(r -> r.signal() == Signal.LOGS).findFirst().orElseThrow();
    Answer a = replay(receiver, logs);
    assertThat(a.kind()).isEqualTo(Answer.Kind.RETRYABLE);
    assertThat(a.retryAfter()).isEqualTo(Duration.ofSeconds(7));
    assertThat(a.message()).contains("exporter 'loki' cannot take more now");
  }

  @Test
  void pipelineRefusalOfTheWholeBatchIsInvalid() throws Exception {
    override.set(b -> ConsumeResult.invalid("every data point is older than the year 2000"));
    CapturedRequest metrics =
        Fixtures.run(runs().get(0).folder()).stream().filter(r -> r.signal() == Signal.METRICS).findFirst().orElseThrow();
    Answer a = replay(receiver, metrics);
    assertThat(a.kind()).isEqualTo(Answer.Kind.INVALID);
    assertThat(a.message()).contains("every data point is older than the year 2000");
  }
}

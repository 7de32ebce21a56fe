package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.cumulativeCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.deltaCounter;
import static io.ccotel.gateway.exporters.prometheus.Points.gauge;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.metric;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Totals survive a restart: state saved at shutdown and checkpoints, restored at start. */
class PersistenceTest {
  private static final long S = 1_000_000_000L;
  private static final String COST = "claude_code.cost.usage";

  @TempDir Path dir;
  private final TestClock clock = TestClock.at("2026-11-25T12:00:00Z");
  private final List<PrometheusExporter> created = new ArrayList<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(PrometheusExporter.class);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void captureLogs() {
    logs.start();
    logger.addAppender(logs);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false); // asserted here, not printed
  }

  @AfterEach
  void stop() {
    created.forEach(e -> e.shutdown(Duration.ofSeconds(1)));
    logger.detachAppender(logs);
    logger.setLevel(null);
    logger.setAdditive(true);
  }

  private Path state() {
    return dir.resolve("data").resolve("prometheus.state");
  }

  private PrometheusExporter exporter(PrometheusExporterConfig.Builder config) {
    PrometheusExporter e = new PrometheusExporter(
        new ExporterSettings("prometheus", GatewayMetrics.noop(), clock), config.build());
    created.add(e);
    return e;
  }

  private PrometheusExporter exporter() {
    return exporter(PrometheusExporterTest.local().stateFile(state().toString()).stateCheckpointInterval(Duration.ZERO));
  }

  private List<String> messages(Level level) {
    return logs.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** The exposition without the gateway_* metrics (their counters start again with the process). */
  private static String otlp(PrometheusExporter e) {
    StringBuilder sb = new StringBuilder();
    e.scrape(null).lines().filter(l -> !l.contains("gateway_")).forEach(l -> sb.append(l).append('\n'));
    return sb.toString();
  }

  private static double sample(PrometheusExporter e, String series) {
    Double v = ClaudeCodeFixturesTest.samples(e.scrape(null)).get(series);
    assertThat(v).as("sample %s", series).isNotNull();
    return v;
  }

  /** One of each kind: delta and cumulative counters, a gauge, both histograms, a summary. */
  private static MetricsBatch everyKind(long end, double cumulative) {
    return batch(
        deltaCounter(COST, point(S, end * S, 0.25, "model", "opus", "session.id", "s1")),
        cumulativeCounter("claude_code.token.usage", point(S, end * S, cumulative, "type", "input", "session.id", "s1")),
        gauge("queue.depth", point(0, end * S, end)),
        metric(MetricKind.HISTOGRAM, Temporality.DELTA, true, "tool.duration", "s",
            histogramPoint(S, end * S, List.of(1.0, 5.0), List.of(1L, 2L, 0L), 4.5, "tool", "Bash")),
        metric(MetricKind.HISTOGRAM, Temporality.CUMULATIVE, true, "api.latency", "s",
            histogramPoint(S, end * S, List.of(1.0), List.of(end, 1L), end + 1.5, "session.id", "s1")),
        metric(MetricKind.SUMMARY, Temporality.UNSPECIFIED, false, "rpc.duration", "s",
            new SummaryPoint(Attributes.of("m", "get"), S, end * S, end, end * 0.5,
                List.of(new SummaryPoint.Quantile(0.5, end * 0.1)), 0)));
  }

  @Test
  void aCleanRestartContinuesEveryTotalRecognisesRetriesAndAddsOnlyCumulativeIncreases() throws Exception {
    PrometheusExporter first = exporter();
    first.start();
    MetricsBatch before = everyKind(2, 100);
    assertThat(first.apply(before)).isEqualTo(ConsumeResult.ok());
    assertThat(first.apply(everyKind(3, 130))).isEqualTo(ConsumeResult.ok());
    String exposed = otlp(first);
    first.shutdown(Duration.ofSeconds(1));
    assertThat(state()).exists();
    assertThat(messages(Level.INFO)).contains("Prometheus exporter prometheus: saved 7 series to " + state());

    clock.advance(Duration.ofMinutes(2)); // the redeploy
    PrometheusExporter second = exporter();
    second.start();

    assertThat(otlp(second)).isEqualTo(exposed);
    assertThat(messages(Level.INFO)).contains(
        "Prometheus exporter prometheus: restored 7 series of 7 metrics (3 cumulative writers, 4 recent delta points for"
            + " retry detection) from " + state() + ", saved at 2026-11-25T12:00:00Z");

    // The client retries a batch it sent before the restart: the deltas are recognised as repeats,
    // the cumulative points are repeats or stale.
    assertThat(second.apply(before)).isEqualTo(ConsumeResult.ok());
    assertThat(otlp(second)).isEqualTo(exposed);
    assertThat(second.accumulator().duplicatePoints()).isEqualTo(2);
    assertThat(second.accumulator().stalePoints()).isEqualTo(4);
    // The cumulative writers continue: only their increase is added.
    second.apply(batch(cumulativeCounter("claude_code.token.usage", point(S, 4 * S, 175, "type", "input", "session.id", "s1"))));
    assertThat(sample(second, "claude_code_token_usage_tokens_total{type=\"input\"}")).isEqualTo(175);
    assertThat(sample(second, "claude_code_cost_usage_USD_total{model=\"opus\"}")).isEqualTo(0.5);
    second.apply(batch(deltaCounter(COST, point(S, 4 * S, 0.25, "model", "opus", "session.id", "s1"))));
    assertThat(sample(second, "claude_code_cost_usage_USD_total{model=\"opus\"}")).isEqualTo(0.75);
    assertThat(sample(second, "tool_duration_seconds_count{tool=\"Bash\"}")).isEqualTo(6);
    assertThat(sample(second, "api_latency_seconds_count{}")).isEqualTo(4);
    assertThat(sample(second, "rpc_duration_seconds_count{m=\"get\"}")).isEqualTo(3);
  }

  @Test
  void theCapturedClaudeCodeRunSurvivesARestart() throws Exception {
    PrometheusExporter first = exporter();
    first.start();
    first.apply(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));
    String exposed = otlp(first);
    first.shutdown(Duration.ofSeconds(1));

    PrometheusExporter second = exporter();
    second.start();
    second.apply(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin")); // the CLI's retry

    assertThat(otlp(second)).isEqualTo(exposed);
    assertThat(second.accumulator().duplicatePoints()).isEqualTo(13);
  }

  @Test
  void aCrashLosesOnlyWhatCameAfterTheLastCheckpoint() throws Exception {
    PrometheusExporter running = exporter();
    running.start();
    running.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
    running.apply(batch(cumulativeCounter("c", point(S, 2 * S, 10))));
    running.checkpointNow();
    Path crashed = dir.resolve("crashed.state");
    running.apply(batch(deltaCounter("x", point(2 * S, 3 * S, 2))));
    running.apply(batch(cumulativeCounter("c", point(S, 3 * S, 15))));
    Files.copy(state(), crashed); // what the disk holds when the process dies now

    PrometheusExporter after = exporter(PrometheusExporterTest.local().stateFile(crashed.toString()));
    after.start();

    assertThat(sample(after, "x_total{}")).isEqualTo(1); // the delta of 2 is lost
    after.apply(batch(cumulativeCounter("c", point(S, 4 * S, 16))));
    assertThat(sample(after, "c_total{}")).isEqualTo(16); // cumulative input heals itself
  }

  @Test
  void checkpointsAreWrittenOnATimer() throws Exception {
    PrometheusExporter e = exporter(PrometheusExporterTest.local().stateFile(state().toString())
        .stateCheckpointInterval(Duration.ofSeconds(1)));
    e.start();
    assertThat(state()).doesNotExist(); // no file at start: nothing saved yet
    e.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));

    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(state()));

    MetricAccumulator restored = new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock);
    restored.restoreState(StateFile.decode(Files.readAllBytes(state())));
    assertThat(Points.value(restored, "x")).isEqualTo(1); // applied right after start, before the first checkpoint
    try (Stream<Path> files = Files.list(state().getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no temporary file left behind")
          .containsExactlyInAnyOrder("prometheus.state", "prometheus.state.lock");
    }
  }

  @Test
  void aCorruptFileIsSetAsideAndStartUpSucceedsEmpty() throws Exception {
    Files.createDirectories(state().getParent());
    Files.write(state(), "not a state file at all".getBytes());

    PrometheusExporter e = exporter();
    e.start();

    assertThat(e.seriesCount()).isZero();
    Path aside = state().resolveSibling("prometheus.state.corrupt-20261125T120000000Z");
    assertThat(aside).hasContent("not a state file at all");
    assertThat(state()).doesNotExist();
    assertThat(messages(Level.ERROR)).containsExactly(
        "Prometheus exporter prometheus: state file " + state() + " is not a valid state file; moved it to " + aside
            + " and starting with empty state: totals restart from zero (Prometheus sees a counter reset)");
    assertThat(logs.list.stream().filter(l -> l.getLevel() == Level.ERROR).findFirst().orElseThrow().getThrowableProxy().getMessage())
        .isEqualTo("not a Prometheus exporter state file (wrong magic number)");
    // It keeps working and saves a good file at shutdown.
    e.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
    e.shutdown(Duration.ofSeconds(1));
    assertThat(StateFile.decode(Files.readAllBytes(state()))).isNotEmpty();
  }

  @Test
  void aTruncatedOrDamagedFileIsSetAside() throws Exception {
    PrometheusExporter first = exporter();
    first.start();
    first.apply(everyKind(2, 100));
    first.shutdown(Duration.ofSeconds(1));
    byte[] good = Files.readAllBytes(state());

    Files.write(state(), Arrays.copyOf(good, good.length - 10));
    PrometheusExporter truncated = exporter();
    truncated.start();
    assertThat(truncated.seriesCount()).isZero();
    truncated.shutdown(Duration.ofSeconds(1));

    byte[] flipped = good.clone();
    flipped[flipped.length / 2] ^= 0x10;
    Files.write(state(), flipped);
    clock.advance(Duration.ofSeconds(1));
    PrometheusExporter damaged = exporter();
    damaged.start();
    assertThat(damaged.seriesCount()).isZero();

    try (Stream<Path> files = Files.list(state().getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".corrupt-")).sorted())
          .containsExactly("prometheus.state.corrupt-20261125T120000000Z", "prometheus.state.corrupt-20261125T120001000Z");
    }
    assertThat(logs.list.stream().filter(l -> l.getLevel() == Level.ERROR).map(l -> l.getThrowableProxy().getMessage()))
        .containsExactly(
            // Version 2 files: 20 header bytes (magic, version, log position, length) + 4 CRC bytes.
            "truncated or padded: header says " + (good.length - 24) + " body bytes, the file has " + (good.length - 34),
            "checksum mismatch: the file was damaged");
  }

  @Test
  void aFileOfAnotherVersionIsSetAside() throws Exception {
    byte[] file = StateFile.encode(new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock).saveState());
    file[7] = 3; // version 3
    Files.createDirectories(state().getParent());
    Files.write(state(), file);

    exporter().start();

    assertThat(logs.list.stream().filter(l -> l.getLevel() == Level.ERROR).map(l -> l.getThrowableProxy().getMessage()))
        .containsExactly("format version 3, this gateway reads versions 1 and 2");
  }

  @Test
  void twoExportersCannotShareAStateFile() throws Exception {
    exporter().start();
    PrometheusExporter second = new PrometheusExporter(
        new ExporterSettings("prometheus/b", GatewayMetrics.noop(), clock),
        PrometheusExporterTest.local().stateFile(state().toString()).build());
    created.add(second);

    assertThatThrownBy(second::start)
        .isInstanceOf(IOException.class)
        .hasMessage("Prometheus exporter prometheus/b: state file " + state()
            + " is already used by another Prometheus exporter of this gateway; give each exporter its own"
            + " exporters.prometheus/b.state_file");
    assertThat(second.boundAddress()).isNull();
  }

  @Test
  void anUnwritableLocationIsLoggedAndTheExporterRunsInMemory() throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "a file where a directory should be");
    PrometheusExporter e = exporter(PrometheusExporterTest.local().stateFile(blocker.resolve("prometheus.state").toString()));

    e.start();
    e.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
    e.shutdown(Duration.ofSeconds(1));

    assertThat(e.boundAddress()).isNotNull();
    assertThat(messages(Level.ERROR)).containsExactly(
        "Prometheus exporter prometheus: cannot create the directory or lock file of the state file "
            + blocker.resolve("prometheus.state") + "; totals will NOT survive a restart. Set"
            + " exporters.prometheus.state_file to a writable path, or to \"\" to keep state in memory only");
  }

  @Test
  void anExporterThatNeverStartedWritesNothingAndNoFileMeansEmpty() throws Exception {
    PrometheusExporter never = exporter();
    never.apply(batch(deltaCounter("x", point(S, 2 * S, 1))));
    never.shutdown(Duration.ofSeconds(1));
    assertThat(state()).doesNotExist();

    exporter().start();
    assertThat(messages(Level.INFO)).contains("Prometheus exporter prometheus: no saved state at " + state() + "; starting empty");
  }

  @Test
  void rememberedRetriesOlderThanTheWindowAreForgottenOnRestore() throws Exception {
    MetricAccumulator a = new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock);
    MetricsBatch b = batch(deltaCounter("x", point(S, 2 * S, 1)));
    a.apply(b);
    byte[] saved = a.saveState();

    clock.advance(MetricAccumulator.DUPLICATE_WINDOW.plusMinutes(1));
    MetricAccumulator restored = new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock);
    MetricAccumulator.Restored r = restored.restoreState(saved);

    assertThat(r.rememberedPoints()).isEqualTo(1);
    assertThat(restored.rememberedPointCount()).isZero();
  }

  @Test
  void everyTruncationOfAValidBodyIsRefusedWithoutTouchingTheState() throws Exception {
    MetricAccumulator a = new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock);
    a.apply(everyKind(2, 100));
    byte[] body = a.saveState();
    MetricAccumulator target = new MetricAccumulator("p", PrometheusExporterConfig.defaults(), clock);
    target.apply(batch(deltaCounter("kept", point(S, 2 * S, 1))));

    for (int n = 0; n < body.length; n++) {
      byte[] cut = Arrays.copyOf(body, n);
      assertThatThrownBy(() -> target.restoreState(cut)).as("%d of %d bytes", n, body.length).isInstanceOf(IOException.class);
    }
    assertThat(Points.value(target, "kept")).isEqualTo(1);
  }
}

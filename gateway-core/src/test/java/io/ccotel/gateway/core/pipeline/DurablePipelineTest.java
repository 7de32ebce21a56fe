package io.ccotel.gateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.durable.DurableLog;
import io.ccotel.gateway.core.durable.DurableLogConfig;
import io.ccotel.gateway.core.durable.FsyncPolicy;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurablePipelineTest {
  private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), Clock.systemUTC());

  /**
   * An inline exporter with "saved state": the set of record times it has applied, kept across
   * restarts by the test (as a state file would) together with the checkpoint position.
   */
  /** An inline exporter of logs (applied before the answer, never queued). */
  abstract static class InlineLogs implements Exporter {
    private final String id;

    InlineLogs(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public Set<Signal> supportedSignals() {
      return EnumSet.of(Signal.LOGS);
    }

    @Override
    public void export(TelemetryBatch batch) {
      throw new AssertionError("inline");
    }

    @Override
    public boolean inline() {
      return true;
    }
  }

  static final class StatefulInline extends InlineLogs {
    final Set<Long> state = new HashSet<>();
    final List<Long> appliedTwice = new CopyOnWriteArrayList<>();
    CheckpointBarrier barrier;
    long savedPosition = -1;
    Set<Long> saved = new HashSet<>();
    boolean restored;

    StatefulInline() {
      super("stateful");
    }

    @Override
    public synchronized ConsumeResult apply(TelemetryBatch batch) {
      for (LogRecord r : ((LogsBatch) batch).records()) {
        if (!state.add(r.timeNanos())) {
          appliedTwice.add(r.timeNanos());
        }
      }
      return ConsumeResult.ok();
    }

    @Override
    public boolean bindCheckpoints(CheckpointBarrier b) {
      this.barrier = b;
      return true;
    }

    @Override
    public void start() {
      if (restored) {
        state.clear();
        state.addAll(saved);
      }
    }

    @Override
    public long restoredPosition() {
      return restored ? savedPosition : -1;
    }

    void checkpoint() {
      Set<Long> copy = new HashSet<>();
      long p = barrier.atConsistentPoint(() -> {
        synchronized (this) {
          copy.addAll(state);
        }
      });
      saved = copy;
      savedPosition = p;
      barrier.checkpointed(p);
    }
  }

  static class Recording implements Exporter {
    final String id;
    final List<Long> got = new CopyOnWriteArrayList<>();

    Recording(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public Set<Signal> supportedSignals() {
      return EnumSet.of(Signal.LOGS);
    }

    @Override
    public void export(TelemetryBatch batch) {
      for (LogRecord r : ((LogsBatch) batch).records()) {
        got.add(r.timeNanos());
      }
    }
  }

  private static LogsBatch logs(long from, int n) {
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(PipelineTest.logs(1).records().get(0));
    }
    List<LogRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      LogRecord t = records.get(i);
      out.add(new LogRecord(t.resource(), t.scope(), from + i, from + i, 0, "", t.body(), t.attributes(), "", "", "", 0, 0));
    }
    return new LogsBatch(out);
  }

  private Pipeline open(Path dir, Exporter... exporters) throws Exception {
    return open(DurableLog.open(DurableLogConfig.defaults(dir).withFsync(FsyncPolicy.ALWAYS)), exporters);
  }

  private Pipeline open(DurableLog log, Exporter... exporters) throws Exception {
    PipelineAssembler a = new PipelineAssembler(metrics, 1000, Duration.ofSeconds(2)).durable(log);
    List<String> ids = new ArrayList<>();
    for (Exporter e : exporters) {
      a.exporter(e);
      ids.add(e.id());
    }
    Pipeline p = a.route(Signal.LOGS, ids).build();
    p.start();
    return p;
  }

  @Test
  void acknowledgedBatchesReachQueuedExportersAndSurviveARestart(@TempDir Path dir) throws Exception {
    StatefulInline inline = new StatefulInline();
    Recording loki = new Recording("loki");
    Pipeline p = open(dir, inline, loki);
    assertThat(p.consume(logs(0, 5)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.consume(logs(5, 5)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    inline.checkpoint(); // state holds 0..9 at position 1
    assertThat(inline.savedPosition).isEqualTo(1);
    assertThat(p.consume(logs(10, 5)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(loki.got).hasSize(15);
    // "Crash": the inline exporter's in-memory state after the checkpoint is lost.
    p.shutdown(Duration.ofSeconds(5));

    StatefulInline again = new StatefulInline();
    again.restored = true;
    again.saved = inline.saved;
    again.savedPosition = inline.savedPosition;
    Recording loki2 = new Recording("loki");
    Pipeline p2 = open(dir, again, loki2);
    // Replayed exactly the batch after the checkpoint: 10..14, nothing twice.
    assertThat(again.state).hasSize(15);
    assertThat(again.appliedTwice).isEmpty();
    assertThat(p2.awaitIdle(Duration.ofSeconds(2))).isTrue();
    assertThat(loki2.got).as("committed records are not delivered again").isEmpty();
    p2.consume(logs(15, 1));
    assertThat(p2.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(loki2.got).containsExactly(15L);
    p2.shutdown(Duration.ofSeconds(5));
  }

  /** An inline exporter that keeps no state (Prometheus without a state file). */
  static final class StatelessInline extends InlineLogs {
    final AtomicLong applied = new AtomicLong();

    StatelessInline() {
      super("stateless");
    }

    @Override
    public ConsumeResult apply(TelemetryBatch batch) {
      applied.addAndGet(batch.itemCount());
      return ConsumeResult.ok();
    }
  }

  /** A 64 KiB log of 2 KiB segments, housekept every 20 ms. */
  private Pipeline openSmall(Path dir, Exporter... exporters) throws Exception {
    return open(
        DurableLog.open(new DurableLogConfig(dir, 64 * 1024, 2048, FsyncPolicy.NEVER, null, Duration.ofMillis(20))),
        exporters);
  }

  private static void awaitFirstPosition(DurableLog log, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (log.firstPosition() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(log.firstPosition()).isGreaterThanOrEqualTo(atLeast);
  }

  @Test
  void anInlineExporterWithoutStateNeverLetsTheLogFill(@TempDir Path dir) throws Exception {
    StatelessInline prometheus = new StatelessInline();
    Pipeline p = openSmall(dir, prometheus);
    // 64 KiB of log, 2 KiB segments: far more than fits, had nothing released the segments.
    // A client that retries a refused batch: housekeeping (every 20 ms here) releases segments.
    for (int i = 0; i < 400; i++) {
      ConsumeResult r = p.consume(logs(i * 5L, 5));
      for (int attempt = 0; attempt < 100 && r.outcome() == ConsumeResult.Outcome.RETRYABLE; attempt++) {
        Thread.sleep(10);
        r = p.consume(logs(i * 5L, 5));
      }
      assertThat(r.outcome()).as("batch %d", i).isEqualTo(ConsumeResult.Outcome.OK);
    }
    assertThat(prometheus.applied.get()).isEqualTo(2000);
    awaitFirstPosition(p.durableIntake().log(), 300);
    p.shutdown(Duration.ofSeconds(5));
  }

  @Test
  void aFirstStartWithoutSavedStateIsReleasedByItsFirstCheckpoint(@TempDir Path dir) throws Exception {
    StatefulInline inline = new StatefulInline();
    Pipeline p = openSmall(dir, inline);
    for (int i = 0; i < 100; i++) {
      p.consume(logs(i * 5L, 5));
    }
    assertThat(p.durableIntake().log().firstPosition()).isZero();
    inline.checkpoint();
    assertThat(inline.savedPosition).isEqualTo(99);
    awaitFirstPosition(p.durableIntake().log(), 50);
    p.shutdown(Duration.ofSeconds(5));
  }

  @Test
  void aFullLogAnswersRetryable(@TempDir Path dir) throws Exception {
    DurableLog log = DurableLog.open(new DurableLogConfig(dir, 4096, 2048, FsyncPolicy.NEVER, null, null));
    Recording stuck = new Recording("stuck") {
      @Override
      public void export(TelemetryBatch batch) {
        try {
          Thread.sleep(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    Pipeline p = new PipelineAssembler(metrics, 1000, Duration.ofSeconds(4)).durable(log).exporter(stuck)
        .route(Signal.LOGS, List.of("stuck")).build();
    p.start();
    ConsumeResult last = ConsumeResult.ok();
    for (int i = 0; i < 200 && last.isAccepted(); i++) {
      last = p.consume(logs(i * 10L, 10));
    }
    assertThat(last.outcome()).isEqualTo(ConsumeResult.Outcome.RETRYABLE);
    assertThat(last.retryAfter()).isEqualTo(Duration.ofSeconds(4));
    assertThat(last.message()).startsWith("the gateway's durable log is full");
    p.shutdown(Duration.ofMillis(200));
  }
}

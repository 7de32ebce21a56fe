package io.ccotel.gateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelineTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, Clock.systemUTC());
  private final List<Pipeline> pipelines = new ArrayList<>();

  @AfterEach
  void stop() {
    pipelines.forEach(p -> p.shutdown(Duration.ofSeconds(2)));
  }

  /** An exporter that records, and can be held at a gate to play a slow backend. */
  static final class TestExporter implements Exporter {
    final String id;
    final List<TelemetryBatch> got = new CopyOnWriteArrayList<>();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile RuntimeException failure;

    TestExporter(String id) {
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
    public void export(TelemetryBatch batch) throws Exception {
      gate.await(10, TimeUnit.SECONDS);
      if (failure != null) {
        throw failure;
      }
      got.add(batch);
    }
  }

  static LogsBatch logs(int n) {
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(
          new LogRecord(Resource.empty(), Scope.empty(), i, i, 0, "", "claude_code.api_request",
              Attributes.of("event.name", "api_request"), "", "", "", 0, 0));
    }
    return new LogsBatch(records);
  }

  private Pipeline pipeline(long capacity, Exporter... exporters) throws Exception {
    PipelineAssembler a = new PipelineAssembler(metrics, capacity, Duration.ofSeconds(3));
    List<String> ids = new ArrayList<>();
    for (Exporter e : exporters) {
      a.exporter(e);
      ids.add(e.id());
    }
    Pipeline p = a.route(Signal.LOGS, ids).build();
    p.start();
    pipelines.add(p);
    return p;
  }

  @Test
  void aSlowExporterDoesNotDelayAnother() throws Exception {
    TestExporter slow = new TestExporter("slow");
    TestExporter fast = new TestExporter("fast");
    slow.gate = new CountDownLatch(1);
    Pipeline p = pipeline(1000, slow, fast);

    for (int i = 0; i < 5; i++) {
      assertThat(p.consume(logs(10)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    }
    assertThat(p.queues().get("fast").awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(fast.got).hasSize(5);
    assertThat(slow.got).isEmpty();
    slow.gate.countDown();
    assertThat(p.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(slow.got).hasSize(5);
  }

  @Test
  void aFullQueueRefusesTheBatchForEveryExporterWithARetryableAnswer() throws Exception {
    TestExporter slow = new TestExporter("slow");
    TestExporter fast = new TestExporter("fast");
    slow.gate = new CountDownLatch(1);
    Pipeline p = pipeline(25, fast, slow);

    assertThat(p.consume(logs(10)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.consume(logs(10)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.queues().get("fast").awaitIdle(Duration.ofSeconds(5))).isTrue();
    ConsumeResult refused = p.consume(logs(10));
    assertThat(refused.outcome()).isEqualTo(ConsumeResult.Outcome.RETRYABLE);
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(3));
    assertThat(refused.message()).isEqualTo("exporter 'slow' cannot take more now (queue full or shutting down); retry later");
    assertThat(registry.get("gateway.exporter.refused.items").tag("exporter", "slow").counter().count()).isEqualTo(10.0);

    slow.gate.countDown();
    assertThat(p.awaitIdle(Duration.ofSeconds(5))).isTrue();
    // All or nothing: the refused batch reached neither exporter, so the client's retry counts once.
    assertThat(fast.got).hasSize(2);
    assertThat(slow.got).hasSize(2);
    assertThat(p.consume(logs(10)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
  }

  @Test
  void aBatchLargerThanTheWholeQueueIsTakenWhenTheQueueIsEmpty() throws Exception {
    TestExporter e = new TestExporter("e");
    Pipeline p = pipeline(5, e);
    assertThat(p.consume(logs(50)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(e.got.get(0).itemCount()).isEqualTo(50);
  }

  @Test
  void aFailingExporterIsCountedAndDoesNotReachTheOthers() throws Exception {
    TestExporter broken = new TestExporter("broken");
    broken.failure = new IllegalStateException("backend down");
    TestExporter ok = new TestExporter("ok");
    Pipeline p = pipeline(1000, broken, ok);
    assertThat(p.consume(logs(4)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.consume(logs(3)).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.awaitIdle(Duration.ofSeconds(5))).isTrue();
    assertThat(ok.got).hasSize(2);
    assertThat(registry.get("gateway.exporter.failed.items").tag("exporter", "broken").counter().count()).isEqualTo(7.0);
    assertThat(registry.get("gateway.exporter.sent.items").tag("exporter", "ok").counter().count()).isEqualTo(7.0);
  }

  @Test
  void shutdownExportsWhatIsQueuedThenRefusesNewBatches() throws Exception {
    TestExporter e = new TestExporter("e");
    e.gate = new CountDownLatch(1);
    Pipeline p = pipeline(1000, e);
    for (int i = 0; i < 3; i++) {
      p.consume(logs(2));
    }
    Thread opener = new Thread(() -> {
      try {
        Thread.sleep(100);
      } catch (InterruptedException ignored) {
        // test thread
      }
      e.gate.countDown();
    });
    opener.start();
    p.shutdown(Duration.ofSeconds(5));
    assertThat(e.got).hasSize(3);
    assertThat(p.consume(logs(1)).outcome()).isEqualTo(ConsumeResult.Outcome.RETRYABLE);
    p.shutdown(Duration.ofSeconds(1)); // twice is safe
  }

  @Test
  void aSignalWithoutAPipelineIsAcceptedAndDropped() throws Exception {
    Pipeline p = pipeline(10, new TestExporter("e"));
    TracesBatch traces = new TracesBatch(List.of());
    assertThat(p.consume(traces).outcome()).isEqualTo(ConsumeResult.Outcome.OK);
    assertThat(p.hasPipeline(Signal.TRACES)).isFalse();
  }

  @Test
  void processorsRunInOrderBeforeTheFanout() throws Exception {
    TestExporter e = new TestExporter("e");
    List<String> order = new CopyOnWriteArrayList<>();
    PipelineAssembler a = new PipelineAssembler(metrics, 100, Duration.ofSeconds(1)).exporter(e).route(Signal.LOGS, List.of("e"));
    a.processor(Signal.LOGS, next -> batch -> {
      order.add("first");
      return next.consume(batch).plusRejected(1, "first dropped one");
    });
    a.processor(Signal.LOGS, next -> batch -> {
      order.add("second");
      return next.consume(batch);
    });
    Pipeline p = a.build();
    p.start();
    pipelines.add(p);
    ConsumeResult r = p.consume(logs(2));
    assertThat(order).containsExactly("first", "second");
    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(1);
    assertThat(r.message()).isEqualTo("first dropped one");
  }

  /** Applies on the caller's thread and refuses every record whose time is odd. */
  static final class InlineExporter implements Exporter {
    final List<TelemetryBatch> applied = new CopyOnWriteArrayList<>();

    @Override
    public String id() {
      return "inline";
    }

    @Override
    public Set<Signal> supportedSignals() {
      return EnumSet.of(Signal.LOGS);
    }

    @Override
    public void export(TelemetryBatch batch) {
      throw new AssertionError("an inline exporter is never queued");
    }

    @Override
    public boolean inline() {
      return true;
    }

    @Override
    public ConsumeResult apply(TelemetryBatch batch) {
      applied.add(batch);
      long odd = ((LogsBatch) batch).records().stream().filter(r -> r.timeNanos() % 2 == 1).count();
      return ConsumeResult.partial(odd, odd == 0 ? "" : odd + " log records refused: odd time");
    }
  }

  @Test
  void anInlineExporterIsAppliedBeforeTheAnswerAndItsRefusalsArePartialSuccess() throws Exception {
    InlineExporter inline = new InlineExporter();
    TestExporter queued = new TestExporter("queued");
    Pipeline p = pipeline(15, inline, queued);
    ConsumeResult r = p.consume(logs(5));
    assertThat(inline.applied).hasSize(1);
    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(2);
    assertThat(r.message()).isEqualTo("2 log records refused: odd time");
    assertThat(p.queues()).containsOnlyKeys("queued");
    assertThat(registry.get("gateway.exporter.sent.items").tag("exporter", "inline").counter().count()).isEqualTo(3.0);

    // A full queue elsewhere: the inline exporter must not have applied the refused batch.
    queued.gate = new CountDownLatch(1);
    p.consume(logs(10));
    assertThat(p.consume(logs(10)).outcome()).isEqualTo(ConsumeResult.Outcome.RETRYABLE);
    assertThat(inline.applied).hasSize(2);
    queued.gate.countDown();
  }

  @Test
  void wiringErrorsNameTheExporterAndTheSignal() {
    PipelineAssembler a = new PipelineAssembler(metrics, 100, Duration.ofSeconds(1)).exporter(new TestExporter("logs-only"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.route(Signal.METRICS, List.of("logs-only")))
        .hasMessage("exporter 'logs-only' cannot take metrics (it takes [LOGS])");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.route(Signal.LOGS, List.of("nope")))
        .hasMessage("pipeline logs names unknown exporter 'nope'");
  }
}

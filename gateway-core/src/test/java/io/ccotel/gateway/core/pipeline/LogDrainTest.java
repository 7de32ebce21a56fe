package io.ccotel.gateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.durable.DurableLog;
import io.ccotel.gateway.core.durable.DurableLogConfig;
import io.ccotel.gateway.core.durable.FsyncPolicy;
import io.ccotel.gateway.core.durable.LogReader;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drain keeps reading while delivery is pending, and commits only what a flush confirmed. */
class LogDrainTest {
  private final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), Clock.systemUTC());

  /** Holds what it is given until flush, like the Loki exporter; flush can be held back by a gate. */
  static final class Batching implements Exporter {
    final List<Long> held = new CopyOnWriteArrayList<>();
    final List<Long> delivered = new CopyOnWriteArrayList<>();
    final AtomicInteger flushes = new AtomicInteger();
    volatile CountDownLatch gate;

    @Override
    public String id() {
      return "batching";
    }

    @Override
    public Set<Signal> supportedSignals() {
      return EnumSet.of(Signal.LOGS);
    }

    @Override
    public void export(TelemetryBatch batch) {
      for (LogRecord r : ((LogsBatch) batch).records()) {
        held.add(r.timeNanos());
      }
    }

    @Override
    public boolean flush(Duration timeout) throws InterruptedException {
      flushes.incrementAndGet();
      CountDownLatch g = gate;
      if (g != null && !g.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return false;
      }
      delivered.addAll(held);
      held.clear();
      return true;
    }

    @Override
    public void start() {}

    @Override
    public void shutdown(Duration deadline) {}
  }

  private static byte[] record(long time) {
    LogRecord t = PipelineTest.logs(1).records().get(0);
    return BatchCodec.encode(new LogsBatch(List.of(
        new LogRecord(t.resource(), t.scope(), time, time, 0, "", t.body(), t.attributes(), "", "", "", 0, 0))));
  }

  private static DurableLog open(Path dir) throws Exception {
    return DurableLog.open(DurableLogConfig.defaults(dir).withFsync(FsyncPolicy.NEVER));
  }

  @Test
  void aBacklogIsDeliveredWithFewFlushesAndCommittedWhenIdle(@TempDir Path dir) throws Exception {
    try (DurableLog log = open(dir)) {
      LogReader reader = log.reader("batching"); // before appending: a log with no reader keeps nothing sealed
      for (int i = 0; i < 3000; i++) {
        log.append(record(i));
      }
      Batching exporter = new Batching();
      LogDrain drain = new LogDrain(exporter, reader, Set.of(Signal.LOGS), metrics);
      drain.start();
      assertThat(drain.awaitIdle(Duration.ofSeconds(10))).isTrue();

      assertThat(exporter.delivered).hasSize(3000);
      assertThat(reader.committed()).isEqualTo(2999);
      // Not one flush per poll: the backlog is read in large chunks and flushed a few times.
      assertThat(exporter.flushes.get()).isLessThanOrEqualTo(4);
      drain.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void nothingIsCommittedBeforeTheFlushSucceedsButReadingGoesOn(@TempDir Path dir) throws Exception {
    try (DurableLog log = open(dir)) {
      Batching exporter = new Batching();
      exporter.gate = new CountDownLatch(1);
      LogReader reader = log.reader("batching");
      LogDrain drain = new LogDrain(exporter, reader, Set.of(Signal.LOGS), metrics);
      drain.start();
      for (int i = 0; i < 10; i++) {
        log.append(record(i));
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (exporter.flushes.get() == 0 && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      assertThat(exporter.flushes.get()).isPositive();
      assertThat(exporter.held).hasSize(10);
      Thread.sleep(300);
      assertThat(reader.committed()).as("flush has not returned true").isEqualTo(-1);
      assertThat(drain.lag()).isEqualTo(10);

      exporter.gate.countDown();
      assertThat(drain.awaitIdle(Duration.ofSeconds(5))).isTrue();
      assertThat(reader.committed()).isEqualTo(9);
      assertThat(exporter.delivered).hasSize(10);
      drain.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void aStopBeforeDeliveryCommitsNothingSoARestartDeliversAgain(@TempDir Path dir) throws Exception {
    try (DurableLog log = open(dir)) {
      LogReader first = log.reader("batching");
      for (int i = 0; i < 20; i++) {
        log.append(record(i));
      }
      Batching stuck = new Batching();
      stuck.gate = new CountDownLatch(1); // never opens: Loki down
      LogDrain drain = new LogDrain(stuck, first, Set.of(Signal.LOGS), metrics);
      drain.start();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (stuck.held.size() < 20 && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      drain.shutdown(Duration.ofMillis(300));
      assertThat(stuck.delivered).isEmpty();

      Batching again = new Batching();
      LogReader reader = log.reader("batching");
      LogDrain drain2 = new LogDrain(again, reader, Set.of(Signal.LOGS), metrics);
      drain2.start();
      assertThat(drain2.awaitIdle(Duration.ofSeconds(5))).isTrue();
      assertThat(again.delivered).hasSize(20);
      drain2.shutdown(Duration.ofSeconds(2));
    }
  }
}

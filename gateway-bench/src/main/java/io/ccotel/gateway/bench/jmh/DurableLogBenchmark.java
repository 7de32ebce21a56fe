package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.durable.DurableLog;
import io.ccotel.gateway.core.durable.DurableLogConfig;
import io.ccotel.gateway.core.durable.FsyncPolicy;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable intake: {@link DurableLog#append} (blocking until durable by the policy) with fsync
 * {@code ALWAYS} (fsync before returning; concurrent appenders share one fsync) and {@code
 * INTERVAL} (write only; fsync every 200 ms), from 1 and 4 threads. Payloads: {@code 1KiB} (random
 * bytes), {@code metrics-20} (a CLI-sized metrics batch, ~20 points, as {@link BatchCodec} encodes
 * it), {@code metrics-500} (a collector-sized one), {@code events-100} (100 events). The log lives
 * in a temp dir under {@code java.io.tmpdir} (set -Djava.io.tmpdir to test another disk); sealed
 * segments are cut as the run goes, so it never fills. Result: appends/s (= records/s); for the
 * batch payloads {@code ·points} / {@code ·records} counts the items inside.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class DurableLogBenchmark {
  @Param({"ALWAYS", "INTERVAL"})
  public FsyncPolicy fsync;

  @Param({"1KiB", "metrics-20", "metrics-500", "events-100"})
  public String payload;

  Path dir;
  DurableLog log;
  byte[] bytes;
  int items;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
    TelemetryBatch batch = null;
    switch (payload) {
      case "1KiB" -> {
        bytes = new byte[1024];
        new SplittableRandom(1).nextBytes(bytes);
        items = 1;
      }
      case "metrics-20" -> batch = OtlpProtoMapper.metrics(traffic.metrics(20));
      case "metrics-500" -> batch = OtlpProtoMapper.metrics(traffic.metrics(500));
      case "events-100" -> batch = OtlpProtoMapper.logs(traffic.logs(100, 10));
      default -> throw new IllegalArgumentException(payload);
    }
    if (batch != null) {
      bytes = BatchCodec.encode(batch);
      items = batch.itemCount();
    }
    dir = Files.createTempDirectory("bench-durable-");
    log = DurableLog.open(DurableLogConfig.defaults(dir).withFsync(fsync).withMaxBytes(8L << 30));
    System.out.printf("%n[durable] %s: %d bytes per record, %d items; log in %s%n", payload, bytes.length, items, dir);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    log.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private long append(Counters.Points c) throws IOException {
    long pos = log.append(bytes);
    if ((pos & 1023) == 0) {
      // No readers here: free the sealed segments ourselves so the run never fills the log.
      log.truncateBefore(pos);
    }
    c.points += items;
    return pos;
  }

  @Benchmark
  @Threads(1)
  public long append1Thread(Counters.Points c) throws IOException {
    return append(c);
  }

  @Benchmark
  @Threads(4)
  public long append4Threads(Counters.Points c) throws IOException {
    return append(c);
  }
}

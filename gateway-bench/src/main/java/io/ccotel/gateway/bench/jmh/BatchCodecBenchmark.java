package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The durable log's record format: {@link BatchCodec#encode} (model -> OTLP protobuf, on the
 * receiving thread before every append) and {@link BatchCodec#decode} (back, in each exporter's
 * drain). Result: batches/s and {@code ·points} = items/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class BatchCodecBenchmark {
  @Param({"metrics-500", "events-100"})
  public String payload;

  TelemetryBatch batch;
  byte[] encoded;
  int items;

  @Setup
  public void setup() {
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
    batch =
        payload.equals("metrics-500")
            ? OtlpProtoMapper.metrics(traffic.metrics(500))
            : OtlpProtoMapper.logs(traffic.logs(100, 10));
    encoded = BatchCodec.encode(batch);
    items = batch.itemCount();
  }

  @Benchmark
  public byte[] encode(Counters.Points c) {
    c.points += items;
    return BatchCodec.encode(batch);
  }

  @Benchmark
  public TelemetryBatch decode(Counters.Points c) {
    c.points += items;
    return BatchCodec.decode(encoded);
  }
}

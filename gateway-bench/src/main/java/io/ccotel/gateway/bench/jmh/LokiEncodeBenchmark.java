package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.exporters.loki.LokiBenchBridge;
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
 * The Loki exporter's CPU work per batch of events, without queues or HTTP (through {@link
 * LokiBenchBridge}, same package as the package-private classes): {@code prepare} = stream labels +
 * JSON line (numbers kept numeric) + entry for every record, added to a push batch; {@code
 * protobufSnappy} / {@code json} = prepare + the push body as sent by default (protobuf
 * PushRequest + snappy) or with {@code encoding: json}. {@code structuredMetadata}: Loki 3's ids as
 * metadata too. Input: 16 model batches of {@code records} api_request/tool_result events (about
 * 820 bytes each in OTLP protobuf, as the CLI's). Result: batches/s and {@code ·records} = records/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LokiEncodeBenchmark {
  @Param({"1000"})
  public int records;

  @Param({"false", "true"})
  public boolean structuredMetadata;

  LogsBatch[] batches;
  LokiBenchBridge loki;

  @Setup
  public void setup() {
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
    batches = new LogsBatch[16];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = OtlpProtoMapper.logs(traffic.logs(records, 10));
    }
    loki = new LokiBenchBridge(structuredMetadata);
    LokiBenchBridge.Batch b = loki.prepare(batches[0]);
    System.out.printf("%n[loki] %d records: %d bytes of lines+labels, protobuf+snappy body %d bytes, JSON body %d bytes%n",
        b.entries(), b.bytes(), loki.protobufSnappy(b).length, loki.json(loki.prepare(batches[0])).length);
  }

  @Benchmark
  public LokiBenchBridge.Batch prepare(Counters.Records c) {
    LogsBatch in = batches[c.next(batches.length)];
    c.records += in.itemCount();
    return loki.prepare(in);
  }

  @Benchmark
  public byte[] protobufSnappy(Counters.Records c) {
    LogsBatch in = batches[c.next(batches.length)];
    c.records += in.itemCount();
    return loki.protobufSnappy(loki.prepare(in));
  }

  @Benchmark
  public byte[] json(Counters.Records c) {
    LogsBatch in = batches[c.next(batches.length)];
    c.records += in.itemCount();
    return loki.json(loki.prepare(in));
  }
}

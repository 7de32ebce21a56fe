package io.ccotel.gateway.bench.jmh;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.bench.OtlpJsonWriter;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.http.OtlpDecodeException;
import io.ccotel.gateway.http.OtlpJsonDecoder;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import java.util.ArrayList;
import java.util.List;
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
 * Receiving events without the network: logs request bytes to the internal model ({@code
 * protobuf}: parseFrom + {@link OtlpProtoMapper#logs}; {@code json}: {@link OtlpJsonDecoder} + the
 * same mapping). {@code synthetic-N}: 32 requests of N {@code api_request}/{@code tool_result}
 * events (about 820 bytes each in protobuf, as the CLI's with team tags; 10 per session); {@code captured}: the real CLI's logs
 * requests (about 30 events each). Result: requests/s and {@code ·records} = log records/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LogsDecodeBenchmark {
  @Param({"synthetic-100", "captured"})
  public String payload;

  byte[][] protobuf;
  byte[][] json;
  int[] records;

  @Setup
  public void setup() throws Exception {
    List<byte[]> pb;
    List<byte[]> js;
    if (payload.equals("captured")) {
      pb = Payloads.captured(Signal.LOGS, false);
      js = Payloads.captured(Signal.LOGS, true);
    } else {
      int n = Integer.parseInt(payload.substring("synthetic-".length()));
      ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
      pb = new ArrayList<>();
      js = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        ExportLogsServiceRequest req = traffic.logs(n, 10);
        pb.add(req.toByteArray());
        js.add(OtlpJsonWriter.logs(req));
        if (!OtlpProtoMapper.logs(OtlpJsonDecoder.logs(js.get(i))).equals(OtlpProtoMapper.logs(req))) {
          throw new IllegalStateException("JSON and protobuf bodies of request " + i + " decode differently");
        }
      }
    }
    protobuf = pb.toArray(byte[][]::new);
    json = js.toArray(byte[][]::new);
    records = new int[protobuf.length];
    for (int i = 0; i < protobuf.length; i++) {
      records[i] = ClaudeCodeTraffic.records(ExportLogsServiceRequest.parseFrom(protobuf[i]));
    }
  }

  @Benchmark
  public LogsBatch protobuf(Counters.Records c) throws InvalidProtocolBufferException {
    int i = c.next(protobuf.length);
    LogsBatch b = OtlpProtoMapper.logs(ExportLogsServiceRequest.parseFrom(protobuf[i]));
    c.records += records[i];
    return b;
  }

  @Benchmark
  public LogsBatch json(Counters.Records c) throws OtlpDecodeException {
    int i = c.next(json.length);
    LogsBatch b = OtlpProtoMapper.logs(OtlpJsonDecoder.logs(json[i]));
    c.records += b.itemCount();
    return b;
  }
}

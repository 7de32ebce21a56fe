package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.bench.OtlpJsonWriter;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.http.OtlpDecodeException;
import io.ccotel.gateway.http.OtlpJsonDecoder;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import com.google.protobuf.InvalidProtocolBufferException;
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
 * Receiving metrics without the network: request bytes to the gateway's internal model, as the
 * receivers do it. {@code protobuf}: {@code ExportMetricsServiceRequest.parseFrom} + {@link
 * OtlpProtoMapper#metrics} (gRPC and HTTP protobuf); {@code json}: {@link OtlpJsonDecoder} + the
 * same mapping (HTTP JSON); {@code protobufParseOnly} splits the parse from the mapping.
 *
 * <p>Payloads: {@code synthetic-N}: 64 different Claude-Code-shaped requests of about N points
 * (many sessions, users, teams and models, 8 to 12 attributes per point; see {@link
 * ClaudeCodeTraffic}); {@code captured}: every metrics request the real CLI sent in the captures
 * (about 10 to 20 points each). Result: requests/s, and {@code ·points} = data points/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class MetricsDecodeBenchmark {
  @Param({"synthetic-500", "synthetic-20", "captured"})
  public String payload;

  byte[][] protobuf;
  byte[][] json;
  int[] points;

  @Setup
  public void setup() throws Exception {
    List<byte[]> pb;
    List<byte[]> js;
    if (payload.equals("captured")) {
      pb = Payloads.captured(Signal.METRICS, false);
      js = Payloads.captured(Signal.METRICS, true);
    } else {
      int n = Integer.parseInt(payload.substring("synthetic-".length()));
      ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(Payloads.SHAPE);
      pb = new java.util.ArrayList<>();
      js = new java.util.ArrayList<>();
      for (int i = 0; i < 64; i++) {
        ExportMetricsServiceRequest req = traffic.metrics(n);
        pb.add(req.toByteArray());
        js.add(OtlpJsonWriter.metrics(req));
      }
    }
    protobuf = pb.toArray(byte[][]::new);
    json = js.toArray(byte[][]::new);
    // Both encodings of a synthetic request decode to the same model (checks the JSON writer).
    points = new int[Math.max(protobuf.length, json.length)];
    for (int i = 0; i < protobuf.length; i++) {
      points[i] = OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(protobuf[i])).itemCount();
    }
    if (!payload.equals("captured")) {
      for (int i = 0; i < json.length; i++) {
        if (!OtlpProtoMapper.metrics(OtlpJsonDecoder.metrics(json[i])).equals(OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(protobuf[i])))) {
          throw new IllegalStateException("JSON and protobuf bodies of request " + i + " decode differently");
        }
      }
    }
  }

  @Benchmark
  public MetricsBatch protobuf(Counters.Points c) throws InvalidProtocolBufferException {
    int i = c.next(protobuf.length);
    MetricsBatch b = OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(protobuf[i]));
    c.points += points[i];
    return b;
  }

  @Benchmark
  public ExportMetricsServiceRequest protobufParseOnly(Counters.Points c) throws InvalidProtocolBufferException {
    int i = c.next(protobuf.length);
    ExportMetricsServiceRequest r = ExportMetricsServiceRequest.parseFrom(protobuf[i]);
    c.points += points[i];
    return r;
  }

  @Benchmark
  public MetricsBatch json(Counters.Points c) throws OtlpDecodeException {
    int i = c.next(json.length);
    MetricsBatch b = OtlpProtoMapper.metrics(OtlpJsonDecoder.metrics(json[i]));
    c.points += b.itemCount();
    return b;
  }
}

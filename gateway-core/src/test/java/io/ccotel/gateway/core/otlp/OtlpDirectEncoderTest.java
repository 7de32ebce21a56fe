package io.ccotel.gateway.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.MessageLite;
import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The direct encoder writes exactly what {@link OtlpModelToProto} + {@code toByteArray()} writes:
 * over every captured Claude Code request and over randomized batches of every shape the model
 * can hold, the bytes are identical (and so parse to the same message).
 */
class OtlpDirectEncoderTest {
  private static final long SEED = 0x5eed_c0de_2026L;

  /** Both encoders, compared byte for byte, then parsed back and compared as messages. */
  private static void assertSameAsMessages(TelemetryBatch batch, String what) throws IOException {
    byte[] direct;
    MessageLite message;
    MessageLite parsed;
    MessageLite expected;
    // The reference bytes are parsed too: a string with an unpaired surrogate is written as '?' by
    // both encoders, so the message built from the model differs from any parsed one.
    if (batch instanceof MetricsBatch m) {
      direct = OtlpDirectEncoder.metrics(m);
      message = OtlpModelToProto.metrics(m);
      parsed = ExportMetricsServiceRequest.parseFrom(direct);
      expected = ExportMetricsServiceRequest.parseFrom(message.toByteArray());
    } else if (batch instanceof LogsBatch l) {
      direct = OtlpDirectEncoder.logs(l);
      message = OtlpModelToProto.logs(l);
      parsed = ExportLogsServiceRequest.parseFrom(direct);
      expected = ExportLogsServiceRequest.parseFrom(message.toByteArray());
    } else {
      direct = OtlpDirectEncoder.traces((TracesBatch) batch);
      message = OtlpModelToProto.traces((TracesBatch) batch);
      parsed = ExportTraceServiceRequest.parseFrom(direct);
      expected = ExportTraceServiceRequest.parseFrom(message.toByteArray());
    }
    assertThat(direct).as(what + ": same bytes as toByteArray()").isEqualTo(message.toByteArray());
    assertThat(parsed).as(what + ": parses to the same message").isEqualTo(expected);

    byte[] tagged = BatchCodec.encode(batch);
    assertThat(tagged.length).isEqualTo(direct.length + 1);
    assertThat(Arrays.copyOfRange(tagged, 1, tagged.length)).as(what + ": BatchCodec payload").isEqualTo(direct);
  }

  // --- captured requests ------------------------------------------------------------------------

  /** System property {@code fixtures.dir}, else {@code ../src-test-fixtures/captures/claude-code}. */
  private static Path capturesRoot() {
    String prop = System.getProperty("fixtures.dir");
    Path p = prop != null ? Path.of(prop) : Path.of("..", "src-test-fixtures", "captures", "claude-code");
    if (!Files.isDirectory(p.resolve("http-protobuf"))) {
      throw new IllegalStateException("captured fixtures not found at " + p.toAbsolutePath());
    }
    return p;
  }

  @Test
  void everyCapturedRequestEncodesToTheSameBytes() throws IOException {
    Path root = capturesRoot();
    int checked = 0;
    for (String transport : List.of("http-protobuf", "grpc")) {
      List<Path> files;
      try (Stream<Path> s = Files.walk(root.resolve(transport))) {
        // gRPC: the .pb holds the message without the 5-byte frame header.
        String ext = transport.equals("grpc") ? ".pb" : ".bin";
        files = s.filter(p -> p.getFileName().toString().matches("\\d{4}-(http|grpc)-(metrics|logs|traces)\\..*"))
            .filter(p -> p.getFileName().toString().endsWith(ext))
            .sorted()
            .toList();
      }
      for (Path f : files) {
        byte[] raw = Files.readAllBytes(f);
        if (raw.length > 1 && raw[0] == 0x1f && raw[1] == (byte) 0x8b) {
          try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            raw = in.readAllBytes();
          }
        }
        String name = f.getFileName().toString();
        TelemetryBatch batch;
        if (name.contains("metrics")) {
          batch = OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(raw));
        } else if (name.contains("logs")) {
          batch = OtlpProtoMapper.logs(ExportLogsServiceRequest.parseFrom(raw));
        } else {
          batch = OtlpProtoMapper.traces(ExportTraceServiceRequest.parseFrom(raw));
        }
        assertSameAsMessages(batch, root.relativize(f).toString());
        assertThat(BatchCodec.decode(BatchCodec.encode(batch))).as(f.toString()).isEqualTo(batch);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(10);
  }

  // --- randomized batches -----------------------------------------------------------------------

  @Test
  void randomizedMetricsEncodeToTheSameBytes() throws IOException {
    Random rnd = new Random(SEED);
    for (int i = 0; i < 400; i++) {
      Gen g = new Gen(rnd);
      MetricsBatch batch = g.metrics();
      assertSameAsMessages(batch, "metrics #" + i);
      assertThat(BatchCodec.decode(BatchCodec.encode(batch)).itemCount()).isEqualTo(batch.itemCount());
    }
  }

  @Test
  void randomizedLogsEncodeToTheSameBytes() throws IOException {
    Random rnd = new Random(SEED + 1);
    for (int i = 0; i < 400; i++) {
      Gen g = new Gen(rnd);
      assertSameAsMessages(g.logs(), "logs #" + i);
    }
  }

  @Test
  void randomizedSpansEncodeToTheSameBytes() throws IOException {
    Random rnd = new Random(SEED + 2);
    for (int i = 0; i < 400; i++) {
      Gen g = new Gen(rnd);
      assertSameAsMessages(g.traces(), "traces #" + i);
    }
  }

  @Test
  void randomizedBatchesOfWhatReceiversProduceRoundTripExactly() {
    Random rnd = new Random(SEED + 3);
    for (int i = 0; i < 200; i++) {
      Gen g = new Gen(rnd);
      g.receiverShaped = true;
      TelemetryBatch logs = g.logs();
      assertThat(BatchCodec.decode(BatchCodec.encode(logs))).as("logs #" + i).isEqualTo(logs);
      TelemetryBatch traces = g.traces();
      assertThat(BatchCodec.decode(BatchCodec.encode(traces))).as("traces #" + i).isEqualTo(traces);
    }
  }

  @Test
  void emptyBatchesAreEmptyRequests() {
    assertThat(OtlpDirectEncoder.metrics(new MetricsBatch(List.of()))).isEmpty();
    assertThat(OtlpDirectEncoder.logs(new LogsBatch(List.of()))).isEmpty();
    assertThat(OtlpDirectEncoder.traces(new TracesBatch(List.of()))).isEmpty();
    assertThat(OtlpDirectEncoder.logs(new LogsBatch(List.of()), 3)).containsExactly(0, 0, 0);
  }

  @Test
  void idsThatAreNotHexAreRefused() {
    Resource r = Resource.empty();
    Scope s = Scope.empty();
    for (String bad : List.of("xyz", "abc", "0g", "\u0663\u0663", "ab cd")) {
      LogRecord rec = new LogRecord(r, s, 1, 0, 0, "", null, Attributes.empty(), "", bad, "", 0, 0);
      assertThatThrownBy(() -> OtlpDirectEncoder.logs(new LogsBatch(List.of(rec))))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
      Span span = new Span(r, s, "", bad, "", "x", 0, 0, 0, Attributes.empty(), List.of(), 0, "");
      assertThatThrownBy(() -> OtlpDirectEncoder.traces(new TracesBatch(List.of(span))))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** Random model values, edge cases included (NaN, -0.0, negative enums, odd strings, foreign types). */
  static final class Gen {
    final Random rnd;
    /** Only what OtlpProtoMapper can produce (so that decode(encode(b)) equals b). */
    boolean receiverShaped;
    final List<Resource> resources = new ArrayList<>();
    final List<Scope> scopes = new ArrayList<>();

    Gen(Random rnd) {
      this.rnd = rnd;
    }

    Resource resource() {
      if (resources.isEmpty() || rnd.nextInt(4) == 0) {
        resources.add(new Resource(attributes(2), rnd.nextBoolean() ? "" : "https://opentelemetry.io/schemas/1.26.0"));
      }
      Resource r = resources.get(rnd.nextInt(resources.size()));
      // An equal copy: grouped with the original (equality, not identity).
      return rnd.nextInt(8) == 0 ? new Resource(r.attributes(), r.schemaUrl()) : r;
    }

    Scope scope() {
      if (scopes.isEmpty() || rnd.nextInt(4) == 0) {
        scopes.add(new Scope(string(), string(), rnd.nextInt(3) == 0 ? attributes(1) : Attributes.empty()));
      }
      return scopes.get(rnd.nextInt(scopes.size()));
    }

    String string() {
      return switch (rnd.nextInt(12)) {
        case 0 -> "";
        case 1 -> "claude_code.api_request";
        case 2 -> "ünïcödé ✓ 日本語 😀";
        case 3 -> receiverShaped ? "x" : "unpaired \ud800 surrogate";
        case 4 -> "x".repeat(rnd.nextInt(300));
        case 5 -> "é".repeat(40 + rnd.nextInt(10)); // around the one/two-byte length boundary
        default -> "v" + rnd.nextInt(1000);
      };
    }

    long longValue() {
      return switch (rnd.nextInt(6)) {
        case 0 -> 0;
        case 1 -> Long.MIN_VALUE;
        case 2 -> Long.MAX_VALUE;
        case 3 -> -1;
        default -> rnd.nextLong() >> rnd.nextInt(64);
      };
    }

    int intValue() {
      return switch (rnd.nextInt(5)) {
        case 0, 1 -> 0;
        case 2 -> -1 - rnd.nextInt(1000);
        case 3 -> Integer.MAX_VALUE;
        default -> rnd.nextInt(300);
      };
    }

    double doubleValue() {
      return switch (rnd.nextInt(8)) {
        case 0 -> 0.0;
        case 1 -> -0.0;
        case 2 -> Double.NaN;
        case 3 -> Double.NEGATIVE_INFINITY;
        case 4 -> Double.MIN_VALUE;
        default -> rnd.nextGaussian() * 1e6;
      };
    }

    Object value(int depth) {
      int kinds = receiverShaped ? 7 : 12;
      switch (rnd.nextInt(depth > 2 ? 5 : kinds)) {
        case 0:
          return string();
        case 1:
          return rnd.nextBoolean();
        case 2:
          return longValue();
        case 3:
          return doubleValue();
        case 4: {
          byte[] b = new byte[rnd.nextInt(20)];
          rnd.nextBytes(b);
          if (receiverShaped) {
            return ByteBuffer.wrap(b).asReadOnlyBuffer();
          }
          // A buffer with a position and a limit: only the remaining bytes count.
          ByteBuffer bb = ByteBuffer.wrap(b);
          bb.position(Math.min(b.length, 2));
          return rnd.nextBoolean() ? bb.asReadOnlyBuffer() : bb;
        }
        case 5: {
          List<Object> l = new ArrayList<>();
          for (int i = rnd.nextInt(4); i > 0; i--) {
            l.add(value(depth + 1));
          }
          return List.copyOf(l);
        }
        case 6:
          return attributes(depth + 1);
        case 7:
          return rnd.nextInt();
        case 8:
          return (short) rnd.nextInt();
        case 9:
          return rnd.nextFloat();
        case 10:
          return new BigInteger(70, rnd);
        default:
          return (byte) rnd.nextInt();
      }
    }

    Attributes attributes(int depth) {
      int n = rnd.nextInt(depth > 1 ? 3 : 8);
      Attributes.Builder b = Attributes.builder();
      for (int i = 0; i < n; i++) {
        b.add(rnd.nextInt(10) == 0 ? "" : "k" + rnd.nextInt(6), value(depth));
      }
      return b.build();
    }

    String hexId(int bytes) {
      if (rnd.nextInt(3) == 0) {
        return "";
      }
      byte[] b = new byte[bytes];
      rnd.nextBytes(b);
      String hex = HexFormat.of().formatHex(b);
      return !receiverShaped && rnd.nextBoolean() ? hex.toUpperCase() : hex;
    }

    MetricsBatch metrics() {
      List<Metric> out = new ArrayList<>();
      for (int i = rnd.nextInt(12); i > 0; i--) {
        MetricKind kind = MetricKind.values()[rnd.nextInt(MetricKind.values().length)];
        List<DataPoint> points = new ArrayList<>();
        for (int j = rnd.nextInt(5); j > 0; j--) {
          points.add(point(kind));
        }
        Temporality t = Temporality.values()[rnd.nextInt(3)];
        out.add(new Metric(resource(), scope(), string(), string(), string(), kind, t, rnd.nextBoolean(), points));
      }
      return new MetricsBatch(out);
    }

    List<Long> counts(int n) {
      List<Long> l = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        l.add(longValue());
      }
      return l;
    }

    DataPoint point(MetricKind kind) {
      Attributes a = attributes(0);
      long start = longValue();
      long time = longValue();
      return switch (kind) {
        case GAUGE, SUM -> new NumberPoint(a, start, time, rnd.nextBoolean(), doubleValue(), longValue(), intValue());
        case HISTOGRAM -> {
          int n = rnd.nextInt(5);
          List<Double> bounds = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            bounds.add(doubleValue());
          }
          yield new HistogramPoint(a, start, time, longValue(), doubleValue(), bounds,
              rnd.nextBoolean() ? counts(n + 1) : List.of(), doubleValue(), doubleValue(), intValue());
        }
        case EXPONENTIAL_HISTOGRAM -> new ExponentialHistogramPoint(a, start, time, longValue(), doubleValue(),
            intValue(), longValue(), doubleValue(), intValue(), counts(rnd.nextInt(6)), intValue(),
            counts(rnd.nextInt(3)), doubleValue(), doubleValue(), intValue());
        case SUMMARY -> {
          List<SummaryPoint.Quantile> qs = new ArrayList<>();
          for (int i = rnd.nextInt(4); i > 0; i--) {
            qs.add(new SummaryPoint.Quantile(doubleValue(), doubleValue()));
          }
          yield new SummaryPoint(a, start, time, longValue(), doubleValue(), qs, intValue());
        }
      };
    }

    LogsBatch logs() {
      List<LogRecord> out = new ArrayList<>();
      for (int i = rnd.nextInt(30); i > 0; i--) {
        Object body = rnd.nextInt(5) == 0 ? null : value(0);
        out.add(new LogRecord(resource(), scope(), longValue(), longValue(), intValue(), string(), body,
            attributes(0), string(), hexId(16), hexId(8), intValue(), intValue()));
      }
      return new LogsBatch(out);
    }

    TracesBatch traces() {
      List<Span> out = new ArrayList<>();
      for (int i = rnd.nextInt(20); i > 0; i--) {
        List<Span.Event> events = new ArrayList<>();
        for (int j = rnd.nextInt(3); j > 0; j--) {
          boolean nulls = !receiverShaped && rnd.nextInt(4) == 0;
          events.add(new Span.Event(nulls ? null : string(), longValue(), nulls ? null : attributes(0)));
        }
        int code = rnd.nextInt(4) == 0 ? intValue() : 0;
        out.add(new Span(resource(), scope(), hexId(16), hexId(8), hexId(8), string(), intValue(), longValue(),
            longValue(), attributes(0), events, code, rnd.nextInt(4) == 0 ? string() : ""));
      }
      return new TracesBatch(out);
    }
  }
}

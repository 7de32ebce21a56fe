package io.ccotel.gateway.core.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ccotel.gateway.core.model.Attributes;
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
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class BatchCodecTest {
  private static final Resource CLAUDE = new Resource(
      Attributes.of("service.name", "claude-code", "service.version", "2.1.328", "team.id", "platform",
          "cost_center", "cc-42"),
      "https://opentelemetry.io/schemas/1.26.0");
  private static final Resource OTHER = Resource.of(Attributes.of("service.name", "other", "host.cpus", 8L));
  private static final Scope SCOPE = new Scope("com.anthropic.claude_code", "2.1.328", Attributes.of("k", "v"));
  private static final Scope EVENTS = Scope.of("com.anthropic.claude_code.events", "2.1.328");

  /** Every value kind the model holds, nested, with a repeated key (kept as sent). */
  private static Attributes everyKind() {
    return Attributes.builder()
        .add("string", "opus")
        .add("bool", true)
        .add("int", Long.MIN_VALUE)
        .add("double", -0.0)
        .add("nan", Double.NaN)
        .add("bytes", ByteBuffer.wrap(new byte[] {0, 1, (byte) 0xff}).asReadOnlyBuffer())
        .add("array", List.of("a", 2L, 3.5, false, List.of("nested"), Attributes.of("x", 1L)))
        .add("kvlist", Attributes.of("inner", Attributes.of("deep", "yes"), "n", 7L))
        .add("string", "duplicate key, kept")
        .add("empty.string", "")
        .build();
  }

  private static TelemetryBatch roundTrip(TelemetryBatch batch) {
    byte[] bytes = BatchCodec.encode(batch);
    assertThat(BatchCodec.signal(bytes)).isEqualTo(batch.signal());
    return BatchCodec.decode(bytes);
  }

  @Test
  void metricsOfEveryKindRoundTrip() {
    Attributes a = Attributes.of("model", "claude-opus-5-5", "type", "input");
    List<Metric> metrics = List.of(
        new Metric(CLAUDE, SCOPE, "claude_code.token.usage", "Tokens used", "tokens", MetricKind.SUM,
            Temporality.DELTA, true,
            List.of(NumberPoint.ofLong(a, 1, 2, 1008), NumberPoint.ofLong(everyKind(), 0, 3, Long.MAX_VALUE),
                new NumberPoint(Attributes.empty(), 5, 6, false, 0.0, -1, 1))),
        new Metric(CLAUDE, SCOPE, "claude_code.cost.usage", "Cost", "USD", MetricKind.SUM, Temporality.CUMULATIVE,
            false, List.of(NumberPoint.ofDouble(a, 10, 20, 0.1156824), NumberPoint.ofDouble(a, 10, 30, -0.0),
                NumberPoint.ofDouble(a, 10, 40, Double.NaN), NumberPoint.ofDouble(a, 10, 50, Double.NEGATIVE_INFINITY))),
        new Metric(CLAUDE, SCOPE, "queue.depth", "", "", MetricKind.GAUGE, Temporality.UNSPECIFIED, false,
            List.of(NumberPoint.ofDouble(a, 0, 7, 3.25), NumberPoint.ofLong(a, 0, 8, 0),
                new NumberPoint(a, 0, 9, true, 0.0, 0, 0))),
        new Metric(CLAUDE, EVENTS, "latency", "request latency", "ms", MetricKind.HISTOGRAM, Temporality.DELTA,
            false, List.of(
                new HistogramPoint(a, 1, 2, 6, 123.5, List.of(1.0, 10.0, 100.0), List.of(1L, 2L, 2L, 1L), 0.5,
                    250.0, 0),
                new HistogramPoint(Attributes.empty(), 1, 2, 0, Double.NaN, List.of(), List.of(), Double.NaN,
                    Double.NaN, 1))),
        new Metric(OTHER, Scope.empty(), "size", "", "By", MetricKind.EXPONENTIAL_HISTOGRAM,
            Temporality.CUMULATIVE, false, List.of(
                new ExponentialHistogramPoint(a, 1, 2, 10, 55.5, 3, 2, 1e-9, -2, List.of(1L, 0L, 4L), 5,
                    List.of(3L), -4.0, 20.0, 0),
                new ExponentialHistogramPoint(a, 1, 3, 0, Double.NaN, -10, 0, 0.0, 0, List.of(), 0, List.of(),
                    Double.NaN, Double.NaN, 0))),
        new Metric(OTHER, Scope.empty(), "rpc.duration", "", "s", MetricKind.SUMMARY, Temporality.UNSPECIFIED,
            false, List.of(new SummaryPoint(a, 1, 2, 3, 4.5,
                List.of(new SummaryPoint.Quantile(0.0, 0.1), new SummaryPoint.Quantile(0.99, 2.0),
                    new SummaryPoint.Quantile(1.0, 2.5)), 0))),
        // No points: the kind survives (OtlpProtoMapper keeps a metric whose data is set).
        new Metric(OTHER, Scope.empty(), "empty.sum", "", "", MetricKind.SUM, Temporality.DELTA, true, List.of()));
    MetricsBatch batch = new MetricsBatch(metrics);

    assertThat(roundTrip(batch)).isEqualTo(batch);
  }

  @Test
  void logsWithEveryBodyKindRoundTrip() {
    List<Object> bodies = new ArrayList<>();
    bodies.add("claude_code.api_request");
    bodies.add(Boolean.FALSE);
    bodies.add(42L);
    bodies.add(2.5);
    bodies.add(ByteBuffer.wrap("raw".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer());
    bodies.add(List.of("x", 1L, List.of()));
    bodies.add(Attributes.of("prompt", "hello", "len", 5L));
    bodies.add(null);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < bodies.size(); i++) {
      records.add(new LogRecord(CLAUDE, EVENTS, 1_700_000_000_000_000_000L + i, 1_700_000_000_000_000_500L, i * 3,
          i % 2 == 0 ? "" : "INFO", bodies.get(i),
          i == 0 ? everyKind() : Attributes.of("event.name", "api_request", "event.sequence", (long) i),
          i == 1 ? "claude_code.tool_result" : "", i == 2 ? "0af7651916cd43dd8448eb211c80319c" : "",
          i == 2 ? "b7ad6b7169203331" : "", i, i == 3 ? 2 : 0));
    }
    // A second resource, then the first again: order is kept (runs, not a map).
    records.add(new LogRecord(OTHER, Scope.empty(), 5, 0, 9, "INFO", "from another service", Attributes.empty(),
        "", "", "", 0, 0));
    records.add(new LogRecord(CLAUDE, EVENTS, 6, 0, 0, "", "back to claude", Attributes.empty(), "", "", "", 0, 0));
    LogsBatch batch = new LogsBatch(records);

    LogsBatch back = (LogsBatch) roundTrip(batch);

    assertThat(back).isEqualTo(batch);
    assertThat(back.records().get(0).resource()).isSameAs(back.records().get(1).resource());
    assertThat(back.records().get(0).body()).isEqualTo("claude_code.api_request");
    assertThat(back.records().get(7).body()).isNull();
  }

  @Test
  void upperCaseIdsComeBackLowerCaseAndBadIdsAreRefused() {
    LogRecord upper = new LogRecord(CLAUDE, EVENTS, 1, 0, 0, "", "x", Attributes.empty(), "",
        "0AF7651916CD43DD8448EB211C80319C", "B7AD6B7169203331", 0, 0);
    LogsBatch back = (LogsBatch) roundTrip(new LogsBatch(List.of(upper)));
    assertThat(back.records().get(0).traceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");

    LogRecord bad = new LogRecord(CLAUDE, EVENTS, 1, 0, 0, "", "x", Attributes.empty(), "", "xyz", "", 0, 0);
    assertThatThrownBy(() -> BatchCodec.encode(new LogsBatch(List.of(bad))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void spansWithEventsRoundTrip() {
    Span root = new Span(CLAUDE, SCOPE, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "",
        "claude_code.interaction", 1, 100, 900, everyKind(), List.of(), 0, "");
    Span child = new Span(CLAUDE, SCOPE, "0af7651916cd43dd8448eb211c80319c", "00f067aa0ba902b7", "b7ad6b7169203331",
        "claude_code.llm_request", 3, 200, 800, Attributes.of("model", "claude-opus-5-5"),
        List.of(new Span.Event("first_token", 300, Attributes.of("ttft_ms", 100L)),
            new Span.Event("done", 800, Attributes.empty())),
        2, "upstream said no");
    Span other = new Span(OTHER, Scope.empty(), "", "", "", "", 0, 0, 0, Attributes.empty(), List.of(), 1, "");
    TracesBatch batch = new TracesBatch(List.of(root, child, other));

    assertThat(roundTrip(batch)).isEqualTo(batch);
  }

  @Test
  void emptyBatchesRoundTrip() {
    assertThat(roundTrip(new MetricsBatch(List.of()))).isEqualTo(new MetricsBatch(List.of()));
    assertThat(roundTrip(new LogsBatch(List.of()))).isEqualTo(new LogsBatch(List.of()));
    assertThat(roundTrip(new TracesBatch(List.of()))).isEqualTo(new TracesBatch(List.of()));
  }

  @Test
  void theFormatIsOneTagByteThenTheOtlpRequest() throws Exception {
    LogsBatch batch = new LogsBatch(List.of(new LogRecord(CLAUDE, EVENTS, 1, 0, 0, "", "x", Attributes.empty(), "",
        "", "", 0, 0)));
    byte[] bytes = BatchCodec.encode(batch);

    assertThat(bytes[0]).isEqualTo((byte) 0x02);
    ExportLogsServiceRequest req = ExportLogsServiceRequest.parseFrom(ByteBuffer.wrap(bytes, 1, bytes.length - 1));
    assertThat(OtlpProtoMapper.logs(req)).isEqualTo(batch);
  }

  @Test
  void garbageIsRefusedWithIllegalArgument() {
    assertThatThrownBy(() -> BatchCodec.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BatchCodec.decode(new byte[] {0x7f, 1, 2})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown batch tag");
    assertThatThrownBy(() -> BatchCodec.decode(new byte[] {0x01, (byte) 0xff, (byte) 0xff}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Every protobuf request the real Claude Code CLI sent (src-test-fixtures captures) survives. */
  @Test
  void capturedClaudeCodeRequestsRoundTrip() throws IOException {
    String fixtures = System.getProperty("fixtures.dir");
    assumeTrue(fixtures != null && Files.isDirectory(Path.of(fixtures, "http-protobuf")), "no captures");
    List<Path> files;
    try (Stream<Path> s = Files.walk(Path.of(fixtures, "http-protobuf"))) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".bin")).sorted().toList();
    }
    int checked = 0;
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
      } else if (name.contains("traces")) {
        batch = OtlpProtoMapper.traces(ExportTraceServiceRequest.parseFrom(raw));
      } else {
        continue;
      }
      assertThat(roundTrip(batch)).as(f.toString()).isEqualTo(batch);
      checked++;
    }
    assertThat(checked).isGreaterThan(0);
  }

  @Test
  void signalTagsMatchTheSignals() {
    assertThat(BatchCodec.signal(BatchCodec.encode(new MetricsBatch(List.of())))).isEqualTo(Signal.METRICS);
    assertThat(BatchCodec.signal(BatchCodec.encode(new TracesBatch(List.of())))).isEqualTo(Signal.TRACES);
  }
}

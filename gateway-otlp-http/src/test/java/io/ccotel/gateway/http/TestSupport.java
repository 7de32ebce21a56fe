package io.ccotel.gateway.http;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/** Shared test helpers: the captured fixtures, request builders, a recording consumer, counters. */
final class TestSupport {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);

  private TestSupport() {}

  /** The Claude Code captures: system property fixtures.dir, else ../../shared/fixtures/claude-code. */
  static Path fixturesDir() {
    String prop = System.getProperty("fixtures.dir");
    Path dir = prop != null ? Paths.get(prop) : Paths.get("../../shared/fixtures/claude-code");
    if (!Files.isDirectory(dir)) {
      dir = Paths.get("../../shared/fixtures/claude-code");
    }
    return dir.toAbsolutePath().normalize();
  }

  static byte[] fixture(String relative) {
    try {
      return Files.readAllBytes(fixturesDir().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A delta sum named {@code claude_code.token.usage} with one double point per value. */
  static ExportMetricsServiceRequest tokenUsage(double... values) {
    Sum.Builder sum = Sum.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .setIsMonotonic(true);
    String[] types = {"input", "output", "cacheRead", "cacheCreation"};
    for (int i = 0; i < values.length; i++) {
      sum.addDataPoints(NumberDataPoint.newBuilder()
          .addAttributes(kv("type", types[i % types.length]))
          .setStartTimeUnixNano(1_795_610_532_000_000_000L)
          .setTimeUnixNano(1_795_610_533_000_000_000L)
          .setAsDouble(values[i]));
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder()
            .setResource(io.opentelemetry.proto.resource.v1.Resource.newBuilder()
                .addAttributes(kv("service.name", "claude-code")))
            .addScopeMetrics(ScopeMetrics.newBuilder()
                .addMetrics(io.opentelemetry.proto.metrics.v1.Metric.newBuilder()
                    .setName("claude_code.token.usage")
                    .setUnit("tokens")
                    .setSum(sum))))
        .build();
  }

  static ExportLogsServiceRequest events(String... names) {
    ScopeLogs.Builder scope = ScopeLogs.newBuilder();
    for (String n : names) {
      scope.addLogRecords(LogRecord.newBuilder()
          .setTimeUnixNano(1_795_610_532_000_000_000L)
          .setBody(AnyValue.newBuilder().setStringValue("claude_code." + n))
          .addAttributes(kv("event.name", n)));
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(scope))
        .build();
  }

  static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  /** Sum of a metric's point values by the value of one attribute. */
  static Map<String, Double> sumBy(MetricsBatch batch, String metric, String attribute) {
    Map<String, Double> out = new TreeMap<>();
    for (Metric m : batch.metrics()) {
      if (m.name().equals(metric)) {
        for (var p : m.points()) {
          NumberPoint np = (NumberPoint) p;
          out.merge(String.valueOf(np.attributes().getString(attribute)), np.value(), Double::sum);
        }
      }
    }
    return out;
  }

  static List<String> eventNames(LogsBatch batch) {
    List<String> out = new ArrayList<>();
    batch.records().forEach(r -> out.add(r.effectiveEventName()));
    return out;
  }

  static Attributes attrs(Object... kv) {
    return Attributes.of(kv);
  }

  /** Records every batch and answers with a configurable result. */
  static final class RecordingConsumer implements BatchConsumer {
    final List<TelemetryBatch> batches = new CopyOnWriteArrayList<>();
    volatile Function<TelemetryBatch, ConsumeResult> answer = b -> ConsumeResult.ok();

    @Override
    public ConsumeResult consume(TelemetryBatch batch) {
      batches.add(batch);
      return answer.apply(batch);
    }

    RecordingConsumer answering(ConsumeResult result) {
      answer = b -> result;
      return this;
    }

    <T extends TelemetryBatch> T only(Class<T> type) {
      if (batches.size() != 1) {
        throw new AssertionError("expected one batch, got " + batches.size());
      }
      return type.cast(batches.get(0));
    }
  }

  static final class Metrics {
    final MeterRegistry registry = new SimpleMeterRegistry();
    final GatewayMetrics gateway = new GatewayMetrics(registry, CLOCK);

    double requests(String signal, String outcome) {
      return count("gateway.requests", "signal", signal, "transport", "http", "outcome", outcome);
    }

    double received(String signal) {
      return count("gateway.received.items", "signal", signal, "transport", "http");
    }

    double accepted(String signal) {
      return count("gateway.accepted.items", "signal", signal, "transport", "http");
    }

    double rejected(String signal, String reason) {
      return count("gateway.rejected.items", "signal", signal, "transport", "http", "reason", reason);
    }

    /** gateway_connections_closed_total{transport="http",reason}. */
    double closed(String reason) {
      return count("gateway.connections.closed", "transport", "http", "reason", reason);
    }

    double totalRequests() {
      return registry.find("gateway.requests").counters().stream().mapToDouble(Counter::count).sum();
    }

    private double count(String name, String... tags) {
      Counter c = registry.find(name).tags(tags).counter();
      return c == null ? 0 : c.count();
    }
  }
}

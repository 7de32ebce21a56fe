package io.ccotel.gateway.grpc;

import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end with the OpenTelemetry Java SDK's OTLP/gRPC exporters as the client (their default
 * sender is OkHttp speaking gRPC over h2c), the way any OTLP client other than Claude Code talks to
 * the gateway.
 */
class OpenTelemetrySdkClientTest {
  private static final Resource RESOURCE =
      Resource.create(Attributes.of(stringKey("service.name"), "claude-code", stringKey("team.id"), "platform"));

  private GrpcHarness h;
  private String endpoint;

  @BeforeEach
  void start() throws Exception {
    h = GrpcHarness.start();
    endpoint = "http://127.0.0.1:" + h.receiver.boundAddress().getPort();
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void deltaCounterWithGzip() {
    OtlpGrpcMetricExporter exporter =
        OtlpGrpcMetricExporter.builder()
            .setEndpoint(endpoint)
            .setCompression("gzip")
            .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred())
            .build();
    SdkMeterProvider meters =
        SdkMeterProvider.builder()
            .setResource(RESOURCE)
            .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
            .build();
    try {
      DoubleCounter tokens =
          meters
              .get("com.anthropic.claude_code")
              .counterBuilder("claude_code.token.usage")
              .setDescription("Number of tokens used")
              .setUnit("tokens")
              .ofDoubles()
              .build();
      tokens.add(1008, Attributes.of(stringKey("type"), "input"));
      tokens.add(393, Attributes.of(stringKey("type"), "output"));
      assertThat(flush(meters.forceFlush()).isSuccess()).isTrue();

      tokens.add(7, Attributes.of(stringKey("type"), "input"));
      assertThat(flush(meters.forceFlush()).isSuccess()).isTrue();
    } finally {
      meters.shutdown().join(5, TimeUnit.SECONDS);
    }

    // The SDK also reports on itself (a histogram of collection durations); look at ours only.
    List<Metric> exported =
        h.consumer.metrics().stream()
            .flatMap(b -> b.metrics().stream())
            .filter(m -> m.name().equals("claude_code.token.usage"))
            .toList();
    assertThat(exported).hasSize(2);
    Metric first = exported.get(0);
    assertThat(first.name()).isEqualTo("claude_code.token.usage");
    assertThat(first.kind()).isEqualTo(MetricKind.SUM);
    assertThat(first.temporality()).isEqualTo(Temporality.DELTA);
    assertThat(first.monotonic()).isTrue();
    assertThat(first.unit()).isEqualTo("tokens");
    assertThat(first.description()).isEqualTo("Number of tokens used");
    assertThat(first.scope().name()).isEqualTo("com.anthropic.claude_code");
    assertThat(first.resource().attributes().get("service.name")).isEqualTo("claude-code");
    assertThat(first.resource().attributes().get("team.id")).isEqualTo("platform");
    assertThat(valuesByType(first)).containsExactlyEntriesOf(new TreeMap<>(Map.of("input", 1008.0, "output", 393.0)));
    // Delta: the second export holds only what changed since the first.
    Metric second = exported.get(1);
    assertThat(valuesByType(second)).containsExactlyEntriesOf(Map.of("input", 7.0));
    NumberPoint p1 = (NumberPoint) first.points().get(0);
    NumberPoint p2 = (NumberPoint) second.points().get(0);
    assertThat(p2.startTimeNanos()).isEqualTo(p1.timeNanos());
    assertThat(h.requests(Signal.METRICS, "ok")).isEqualTo(h.consumer.metrics().size());
  }

  @Test
  void logRecordsAndAnInvalidAnswer() {
    OtlpGrpcLogRecordExporter exporter = OtlpGrpcLogRecordExporter.builder().setEndpoint(endpoint).build();
    SdkLoggerProvider loggers =
        SdkLoggerProvider.builder()
            .setResource(RESOURCE)
            .addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter))
            .build();
    try {
      var logger = loggers.get("com.anthropic.claude_code.events");
      logger
          .logRecordBuilder()
          .setBody("claude_code.api_request")
          .setAttribute(stringKey("event.name"), "api_request")
          .setAttribute(doubleKey("cost_usd"), 0.0143108)
          .setAttribute(longKey("input_tokens"), 111L)
          .emit();
      assertThat(flush(loggers.forceFlush()).isSuccess()).isTrue();

      h.consumer.answer(ConsumeResult.invalid("no"));
      logger.logRecordBuilder().setBody("claude_code.user_prompt").emit();
      CompletableResultCode refused = flush(loggers.forceFlush());
      assertThat(refused.isSuccess()).as("INVALID_ARGUMENT is a failed export").isFalse();
    } finally {
      loggers.shutdown().join(5, TimeUnit.SECONDS);
    }

    LogRecord r = h.consumer.logs().get(0).records().get(0);
    assertThat(r.body()).isEqualTo("claude_code.api_request");
    assertThat(r.effectiveEventName()).isEqualTo("api_request");
    assertThat(r.attributes().get("cost_usd")).isEqualTo(0.0143108);
    assertThat(r.attributes().get("input_tokens")).isEqualTo(111L);
    assertThat(r.scope().name()).isEqualTo("com.anthropic.claude_code.events");
    assertThat(h.requests(Signal.LOGS, "ok")).isEqualTo(1.0);
    assertThat(h.requests(Signal.LOGS, "invalid")).isEqualTo(1.0);
  }

  private static CompletableResultCode flush(CompletableResultCode result) {
    return result.join(10, TimeUnit.SECONDS);
  }

  private static Map<String, Double> valuesByType(Metric m) {
    Map<String, Double> out = new TreeMap<>();
    for (var p : m.points()) {
      NumberPoint n = (NumberPoint) p;
      out.put(n.attributes().getString("type"), n.value());
    }
    return out;
  }
}

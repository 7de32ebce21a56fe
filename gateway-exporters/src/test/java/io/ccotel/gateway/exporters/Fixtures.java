package io.ccotel.gateway.exporters;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The captured Claude Code payloads in {@code shared/fixtures/claude-code}: the system property
 * {@code fixtures.dir} (set by the parent POM's surefire configuration), else {@code
 * ../../shared/fixtures/claude-code} relative to the module directory.
 */
public final class Fixtures {
  private Fixtures() {}

  public static Path dir() {
    String prop = System.getProperty("fixtures.dir");
    Path dir = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("../../shared/fixtures/claude-code");
    assertThat(dir.resolve("TELEMETRY-FACTS.md")).as("fixtures folder %s", dir.toAbsolutePath()).exists();
    return dir;
  }

  public static Path file(String relative) {
    return dir().resolve(relative);
  }

  public static MetricsBatch metrics(String relative) {
    try {
      return OtlpProtoMapper.metrics(ExportMetricsServiceRequest.parseFrom(Files.readAllBytes(file(relative))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static LogsBatch logs(String relative) {
    try {
      return OtlpProtoMapper.logs(ExportLogsServiceRequest.parseFrom(Files.readAllBytes(file(relative))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TracesBatch traces(String relative) {
    try {
      return OtlpProtoMapper.traces(ExportTraceServiceRequest.parseFrom(Files.readAllBytes(file(relative))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every {@code NNNN-http-metrics.bin} of a capture folder, in request order. */
  public static List<MetricsBatch> allMetrics(String folder) {
    try (Stream<Path> files = Files.list(file(folder))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith("-metrics.bin"))
          .sorted()
          .map(n -> metrics(folder + "/" + n))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

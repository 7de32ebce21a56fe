package io.ccotel.gateway.exporters.prometheus;

import static io.ccotel.gateway.exporters.prometheus.Points.batch;
import static io.ccotel.gateway.exporters.prometheus.Points.histogramPoint;
import static io.ccotel.gateway.exporters.prometheus.Points.metric;
import static io.ccotel.gateway.exporters.prometheus.Points.point;
import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import io.ccotel.gateway.exporters.Fixtures;
import io.ccotel.gateway.exporters.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The text exposition passes Prometheus' own linter, {@code promtool check metrics}. Needs {@code
 * promtool} on the PATH or at /usr/bin/promtool (Debian/Ubuntu: {@code apt-get install
 * prometheus}); skipped without it, except when the environment variable {@code CI} is
 * {@code true}, where a missing promtool fails the test.
 */
class PromtoolCheckTest {
  private static final long S = 1_000_000_000L;

  static Path promtool() {
    Path fixed = Path.of("/usr/bin/promtool");
    if (Files.isExecutable(fixed)) {
      return fixed;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, "promtool");
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    String message = "promtool not found on PATH or at /usr/bin/promtool; install it with: apt-get install prometheus";
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail(message + " (CI=true: a missing promtool is a failure)");
    }
    Assumptions.abort(message);
    return null;
  }

  @Test
  void theTextExpositionPassesPromtoolCheckMetrics() throws Exception {
    Path promtool = promtool();
    PrometheusExporter exporter =
        new PrometheusExporter(
            new ExporterSettings("prometheus", GatewayMetrics.noop(), TestClock.at("2026-11-25T12:00:00Z")),
            PrometheusExporterConfig.defaults());
    exporter.export(Fixtures.metrics("http-protobuf/basic/0002-http-metrics.bin"));
    exporter.export(Fixtures.metrics("http-protobuf/optins/0002-http-metrics.bin"));
    exporter.export(batch(
        metric(MetricKind.GAUGE, Temporality.UNSPECIFIED, false, "queue.depth", "{items}", point(0, S, 3, "queue", "a b")),
        metric(MetricKind.HISTOGRAM, Temporality.DELTA, true, "tool.duration", "s",
            histogramPoint(S, 2 * S, List.of(0.1, 1.0), List.of(1L, 2L, 3L), 3.5, "tool", "Bash")),
        metric(MetricKind.SUMMARY, Temporality.UNSPECIFIED, false, "rpc.duration", "s",
            new SummaryPoint(Attributes.of("method", "get"), S, 2 * S, 7, 12.5,
                List.of(new SummaryPoint.Quantile(0.5, 1.5), new SummaryPoint.Quantile(0.99, 3)), 0))));
    String text = exporter.scrape("text/plain; version=0.0.4");
    assertThat(text)
        .contains("claude_code_token_usage_tokens_total{")
        .contains("tool_duration_seconds_bucket{")
        .contains("rpc_duration_seconds{method=\"get\",quantile=\"0.5\"}")
        .contains("target_info{");

    Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").start();
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("promtool finished").isTrue();

    assertThat(out.get() + err.get()).as("promtool findings").isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  private static CompletableFuture<String> drain(InputStream s) {
    return CompletableFuture.supplyAsync(() -> {
      try (s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        s.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}

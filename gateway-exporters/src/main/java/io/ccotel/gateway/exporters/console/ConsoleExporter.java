package io.ccotel.gateway.exporters.console;

import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.Exporter;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Objects;
import java.util.Set;

/**
 * Prints telemetry to a {@link PrintStream}, for people watching a terminal or a container log.
 *
 * <p>Text format ({@link ConsoleTextFormat}): one line per event, for example
 *
 * <pre>
 * 2026-11-25T12:41:02.515Z api_request session=ed1d3fc4 model=claude-opus-5-5 cost_usd=0.0143108 tokens in=111 out=58 cache_read=11009 cache_creation=2101 duration_ms=95
 * </pre>
 *
 * one summary line per metrics batch ({@code metrics: 8 metrics, 13 points, cost_usd=0.1157
 * tokens=116481 ...}) and one line per span. JSON format ({@link ConsoleJsonFormat}): one JSON
 * object per log record, metric data point and span, one per line, numbers kept numeric.
 *
 * <p>Never throws on odd data: an item that cannot be formatted prints a short notice instead.
 * The lines of one batch are written with one call, so they stay together. Called from one queue
 * worker; the stream is not closed on shutdown (it is usually {@code System.out}).
 */
public final class ConsoleExporter implements Exporter {
  private final String id;
  private final ConsoleExporterConfig config;
  private final PrintStream out;
  private final ConsoleTextFormat text;
  private final ConsoleJsonFormat json = new ConsoleJsonFormat();

  public ConsoleExporter(String id, ConsoleExporterConfig config, PrintStream out, Clock clock) {
    this.id = Objects.requireNonNull(id, "id");
    this.config = Objects.requireNonNull(config, "config");
    this.out = Objects.requireNonNull(out, "out");
    this.text = new ConsoleTextFormat(clock);
  }

  /** Prints to {@code System.out} (or {@code System.err} when so configured). */
  public ConsoleExporter(String id, ConsoleExporterConfig config) {
    this(
        id,
        config,
        config.output() == ConsoleExporterConfig.Output.STDERR ? System.err : System.out,
        Clock.systemUTC());
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Set<Signal> supportedSignals() {
    return Set.of(Signal.METRICS, Signal.LOGS, Signal.TRACES);
  }

  public ConsoleExporterConfig config() {
    return config;
  }

  @Override
  public void export(TelemetryBatch batch) {
    StringBuilder sb = new StringBuilder(256);
    boolean asJson = config.format() == ConsoleExporterConfig.Format.JSON;
    if (batch instanceof MetricsBatch m) {
      if (asJson) {
        for (Metric metric : m.metrics()) {
          json.metric(sb, metric);
        }
      } else if (!m.metrics().isEmpty()) {
        text.metrics(sb, m);
      }
    } else if (batch instanceof LogsBatch l) {
      for (LogRecord r : l.records()) {
        if (asJson) {
          json.log(sb, r);
        } else {
          text.log(sb, r);
        }
      }
    } else if (batch instanceof TracesBatch t) {
      for (Span s : t.spans()) {
        if (asJson) {
          json.span(sb, s);
        } else {
          text.span(sb, s);
        }
      }
    }
    if (sb.length() > 0) {
      out.print(sb);
      out.flush();
    }
  }
}

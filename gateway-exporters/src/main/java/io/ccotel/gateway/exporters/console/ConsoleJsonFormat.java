package io.ccotel.gateway.exporters.console;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object per item, one per line (JSON Lines): {@code "signal"} ({@code log}, {@code
 * metric}, {@code span}), times as ISO-8601 text and as Unix nanoseconds, then {@code resource},
 * {@code scope} and {@code attributes} as objects. Attribute values keep their types: integers and
 * doubles stay JSON numbers (NaN and infinities become strings), bools stay bools, arrays and
 * key/value lists nest, bytes are base64. A metric gives one object per data point.
 *
 * <p>Thread-safe (the factory is; each line has its own generator).
 */
final class ConsoleJsonFormat {
  private final JsonFactory factory = JsonFactory.builder().build();

  @FunctionalInterface
  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private void line(StringBuilder sb, String what, Body body) {
    StringWriter w = new StringWriter(512);
    try (JsonGenerator g = factory.createGenerator(w)) {
      g.writeStartObject();
      body.write(g);
      g.writeEndObject();
    } catch (IOException | RuntimeException e) {
      sb.append("{\"signal\":\"error\",\"message\":");
      Attributes.appendJsonString(sb, "console exporter: cannot print a " + what + " (" + e.getClass().getSimpleName() + ")");
      sb.append("}\n");
      return;
    }
    sb.append(w).append('\n');
  }

  void log(StringBuilder sb, LogRecord r) {
    line(
        sb,
        "log record",
        g -> {
          g.writeStringField("signal", "log");
          time(g, "time", r.effectiveTimeNanos());
          g.writeNumberField("observed_time_unix_nano", r.observedTimeNanos());
          g.writeStringField("event_name", r.effectiveEventName());
          if (r.severityNumber() != 0) {
            g.writeNumberField("severity_number", r.severityNumber());
          }
          if (!r.severityText().isEmpty()) {
            g.writeStringField("severity_text", r.severityText());
          }
          if (r.body() != null) {
            g.writeFieldName("body");
            value(g, r.body());
          }
          if (!r.traceId().isEmpty()) {
            g.writeStringField("trace_id", r.traceId());
          }
          if (!r.spanId().isEmpty()) {
            g.writeStringField("span_id", r.spanId());
          }
          resourceAndScope(g, r.resource(), r.scope());
          attributes(g, "attributes", r.attributes());
        });
  }

  void metric(StringBuilder sb, Metric m) {
    for (DataPoint p : m.points()) {
      line(
          sb,
          "metric point",
          g -> {
            g.writeStringField("signal", "metric");
            g.writeStringField("name", m.name());
            g.writeStringField("description", m.description());
            g.writeStringField("unit", m.unit());
            g.writeStringField("kind", m.kind().name().toLowerCase(Locale.ROOT));
            g.writeStringField("temporality", m.temporality().name().toLowerCase(Locale.ROOT));
            if (m.kind() == io.ccotel.gateway.core.model.MetricKind.SUM) {
              g.writeBooleanField("monotonic", m.monotonic());
            }
            time(g, "start_time", p.startTimeNanos());
            time(g, "time", p.timeNanos());
            point(g, p);
            resourceAndScope(g, m.resource(), m.scope());
            attributes(g, "attributes", p.attributes());
          });
    }
  }

  private static void point(JsonGenerator g, DataPoint p) throws IOException {
    if (p instanceof NumberPoint n) {
      g.writeFieldName("value");
      if (n.isDouble()) {
        number(g, n.doubleValue());
      } else {
        g.writeNumber(n.longValue());
      }
    } else if (p instanceof HistogramPoint h) {
      g.writeNumberField("count", h.count());
      optionalNumber(g, "sum", h.sum());
      g.writeArrayFieldStart("bounds");
      for (double b : h.explicitBounds()) {
        number(g, b);
      }
      g.writeEndArray();
      longs(g, "bucket_counts", h.bucketCounts());
      optionalNumber(g, "min", h.min());
      optionalNumber(g, "max", h.max());
    } else if (p instanceof ExponentialHistogramPoint e) {
      g.writeNumberField("count", e.count());
      optionalNumber(g, "sum", e.sum());
      g.writeNumberField("scale", e.scale());
      g.writeNumberField("zero_count", e.zeroCount());
      g.writeNumberField("positive_offset", e.positiveOffset());
      longs(g, "positive_bucket_counts", e.positiveBucketCounts());
      g.writeNumberField("negative_offset", e.negativeOffset());
      longs(g, "negative_bucket_counts", e.negativeBucketCounts());
      optionalNumber(g, "min", e.min());
      optionalNumber(g, "max", e.max());
    } else if (p instanceof SummaryPoint s) {
      g.writeNumberField("count", s.count());
      optionalNumber(g, "sum", s.sum());
      g.writeArrayFieldStart("quantiles");
      for (SummaryPoint.Quantile q : s.quantiles()) {
        g.writeStartObject();
        g.writeFieldName("quantile");
        number(g, q.quantile());
        g.writeFieldName("value");
        number(g, q.value());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
  }

  void span(StringBuilder sb, Span s) {
    line(
        sb,
        "span",
        g -> {
          g.writeStringField("signal", "span");
          g.writeStringField("name", s.name());
          g.writeStringField("trace_id", s.traceId());
          g.writeStringField("span_id", s.spanId());
          if (!s.parentSpanId().isEmpty()) {
            g.writeStringField("parent_span_id", s.parentSpanId());
          }
          g.writeNumberField("kind", s.kind());
          time(g, "start_time", s.startTimeNanos());
          time(g, "end_time", s.endTimeNanos());
          g.writeFieldName("duration_ms");
          number(g, (s.endTimeNanos() - s.startTimeNanos()) / 1e6);
          g.writeNumberField("status_code", s.statusCode());
          if (!s.statusMessage().isEmpty()) {
            g.writeStringField("status_message", s.statusMessage());
          }
          resourceAndScope(g, s.resource(), s.scope());
          attributes(g, "attributes", s.attributes());
          if (!s.events().isEmpty()) {
            g.writeArrayFieldStart("events");
            for (Span.Event e : s.events()) {
              g.writeStartObject();
              g.writeStringField("name", e.name());
              time(g, "time", e.timeNanos());
              attributes(g, "attributes", e.attributes());
              g.writeEndObject();
            }
            g.writeEndArray();
          }
        });
  }

  // ---------------------------------------------------------------------------------------------

  private static void resourceAndScope(JsonGenerator g, Resource resource, Scope scope)
      throws IOException {
    attributes(g, "resource", resource.attributes());
    g.writeObjectFieldStart("scope");
    g.writeStringField("name", scope.name());
    g.writeStringField("version", scope.version());
    if (!scope.attributes().isEmpty()) {
      attributes(g, "attributes", scope.attributes());
    }
    g.writeEndObject();
  }

  private static void attributes(JsonGenerator g, String field, Attributes a) throws IOException {
    g.writeFieldName(field);
    kv(g, a);
  }

  private static void kv(JsonGenerator g, Attributes a) throws IOException {
    g.writeStartObject();
    for (int i = 0; i < a.size(); i++) {
      g.writeFieldName(a.key(i));
      value(g, a.value(i));
    }
    g.writeEndObject();
  }

  private static void value(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Double d) {
      number(g, d);
    } else if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      byte[] bytes = new byte[dup.remaining()];
      dup.get(bytes);
      g.writeString(Base64.getEncoder().encodeToString(bytes));
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object e : list) {
        value(g, e);
      }
      g.writeEndArray();
    } else if (v instanceof Attributes kv) {
      kv(g, kv);
    } else {
      g.writeString(v.toString());
    }
  }

  private static void number(JsonGenerator g, double d) throws IOException {
    if (Double.isFinite(d)) {
      g.writeNumber(d);
    } else {
      g.writeString(Double.toString(d));
    }
  }

  private static void optionalNumber(JsonGenerator g, String field, double d) throws IOException {
    if (!Double.isNaN(d)) {
      g.writeFieldName(field);
      number(g, d);
    }
  }

  private static void longs(JsonGenerator g, String field, List<Long> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (long v : values) {
      g.writeNumber(v);
    }
    g.writeEndArray();
  }

  private static void time(JsonGenerator g, String field, long epochNanos) throws IOException {
    g.writeStringField(
        field,
        Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L))
            .toString());
    g.writeNumberField(field + "_unix_nano", epochNanos);
  }
}

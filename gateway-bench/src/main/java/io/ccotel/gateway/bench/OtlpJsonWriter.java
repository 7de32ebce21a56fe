package io.ccotel.gateway.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;

/**
 * OTLP/JSON as the Claude Code CLI writes it (captures {@code http-json/*}): lowerCamelCase names,
 * enums as integers, 64-bit times as strings, {@code intValue} as a JSON number, hex trace ids.
 * Covers what {@link ClaudeCodeTraffic} generates: sums and gauges of number points, and log
 * records with string, bool, int, double and array values. (protobuf's own {@code JsonFormat}
 * would write ids as base64, which OTLP/JSON does not allow.)
 */
public final class OtlpJsonWriter {
  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final HexFormat HEX = HexFormat.of();

  private OtlpJsonWriter() {}

  public static byte[] metrics(ExportMetricsServiceRequest req) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(req.getSerializedSize() * 2 + 64);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("resourceMetrics");
      for (ResourceMetrics rm : req.getResourceMetricsList()) {
        g.writeStartObject();
        resource(g, rm.getResource());
        g.writeArrayFieldStart("scopeMetrics");
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          g.writeStartObject();
          scope(g, sm.getScope());
          g.writeArrayFieldStart("metrics");
          for (Metric m : sm.getMetricsList()) {
            g.writeStartObject();
            g.writeStringField("name", m.getName());
            g.writeStringField("description", m.getDescription());
            g.writeStringField("unit", m.getUnit());
            switch (m.getDataCase()) {
              case SUM -> {
                g.writeObjectFieldStart("sum");
                g.writeNumberField("aggregationTemporality", m.getSum().getAggregationTemporalityValue());
                g.writeBooleanField("isMonotonic", m.getSum().getIsMonotonic());
                points(g, m.getSum().getDataPointsList());
                g.writeEndObject();
              }
              case GAUGE -> {
                g.writeObjectFieldStart("gauge");
                points(g, m.getGauge().getDataPointsList());
                g.writeEndObject();
              }
              default -> throw new IllegalArgumentException("only sums and gauges: " + m.getDataCase());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static byte[] logs(ExportLogsServiceRequest req) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(req.getSerializedSize() * 2 + 64);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("resourceLogs");
      for (ResourceLogs rl : req.getResourceLogsList()) {
        g.writeStartObject();
        resource(g, rl.getResource());
        g.writeArrayFieldStart("scopeLogs");
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          g.writeStartObject();
          scope(g, sl.getScope());
          g.writeArrayFieldStart("logRecords");
          for (LogRecord r : sl.getLogRecordsList()) {
            g.writeStartObject();
            g.writeStringField("timeUnixNano", Long.toUnsignedString(r.getTimeUnixNano()));
            g.writeStringField("observedTimeUnixNano", Long.toUnsignedString(r.getObservedTimeUnixNano()));
            if (r.getSeverityNumberValue() != 0) {
              g.writeNumberField("severityNumber", r.getSeverityNumberValue());
            }
            if (!r.getSeverityText().isEmpty()) {
              g.writeStringField("severityText", r.getSeverityText());
            }
            if (r.hasBody()) {
              g.writeFieldName("body");
              value(g, r.getBody());
            }
            attributes(g, r.getAttributesList());
            if (!r.getTraceId().isEmpty()) {
              g.writeStringField("traceId", HEX.formatHex(r.getTraceId().toByteArray()));
            }
            if (!r.getSpanId().isEmpty()) {
              g.writeStringField("spanId", HEX.formatHex(r.getSpanId().toByteArray()));
            }
            if (r.getFlags() != 0) {
              g.writeNumberField("flags", r.getFlags());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void resource(JsonGenerator g, Resource r) throws IOException {
    g.writeObjectFieldStart("resource");
    attributes(g, r.getAttributesList());
    g.writeNumberField("droppedAttributesCount", r.getDroppedAttributesCount());
    g.writeEndObject();
  }

  private static void scope(JsonGenerator g, InstrumentationScope s) throws IOException {
    g.writeObjectFieldStart("scope");
    g.writeStringField("name", s.getName());
    g.writeStringField("version", s.getVersion());
    g.writeEndObject();
  }

  private static void points(JsonGenerator g, List<NumberDataPoint> points) throws IOException {
    g.writeArrayFieldStart("dataPoints");
    for (NumberDataPoint p : points) {
      g.writeStartObject();
      attributes(g, p.getAttributesList());
      g.writeStringField("startTimeUnixNano", Long.toUnsignedString(p.getStartTimeUnixNano()));
      g.writeStringField("timeUnixNano", Long.toUnsignedString(p.getTimeUnixNano()));
      switch (p.getValueCase()) {
        case AS_DOUBLE -> g.writeNumberField("asDouble", p.getAsDouble());
        case AS_INT -> g.writeStringField("asInt", Long.toString(p.getAsInt()));
        default -> {}
      }
      if (p.getFlags() != 0) {
        g.writeNumberField("flags", p.getFlags());
      }
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void attributes(JsonGenerator g, List<KeyValue> kvs) throws IOException {
    keyValues(g, "attributes", kvs);
  }

  private static void keyValues(JsonGenerator g, String field, List<KeyValue> kvs) throws IOException {
    g.writeArrayFieldStart(field);
    for (KeyValue kv : kvs) {
      g.writeStartObject();
      g.writeStringField("key", kv.getKey());
      g.writeFieldName("value");
      value(g, kv.getValue());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void value(JsonGenerator g, AnyValue v) throws IOException {
    g.writeStartObject();
    switch (v.getValueCase()) {
      case STRING_VALUE -> g.writeStringField("stringValue", v.getStringValue());
      case BOOL_VALUE -> g.writeBooleanField("boolValue", v.getBoolValue());
      // The CLI writes intValue as a JSON number; OTLP/JSON readers accept numbers and strings.
      case INT_VALUE -> g.writeNumberField("intValue", v.getIntValue());
      case DOUBLE_VALUE -> g.writeNumberField("doubleValue", v.getDoubleValue());
      case ARRAY_VALUE -> {
        g.writeObjectFieldStart("arrayValue");
        g.writeArrayFieldStart("values");
        for (AnyValue e : v.getArrayValue().getValuesList()) {
          value(g, e);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      case KVLIST_VALUE -> {
        g.writeObjectFieldStart("kvlistValue");
        keyValues(g, "values", v.getKvlistValue().getValuesList());
        g.writeEndObject();
      }
      case BYTES_VALUE -> g.writeBinaryField("bytesValue", v.getBytesValue().toByteArray());
      default -> {}
    }
    g.writeEndObject();
  }
}

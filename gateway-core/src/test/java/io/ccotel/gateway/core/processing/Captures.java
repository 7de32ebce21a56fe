package io.ccotel.gateway.core.processing;

import com.google.protobuf.ByteString;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The requests the real Claude Code CLI 2.1.328 sent (src-test-fixtures/captures/claude-code), as
 * the receivers would hand them to the pipeline: protobuf bodies (HTTP, gzip undone) and gRPC
 * messages through {@link OtlpProtoMapper}; OTLP/JSON bodies through a small reader of the OTLP
 * JSON rules (hex ids, numbers or strings for 64-bit integers) into the same protobuf messages.
 * The JSON decoder of gateway-otlp-http cannot be used here (that module depends on this one).
 */
final class Captures {
  /** One captured request: its path below the captures root and the batch it decodes to. */
  record Capture(String name, TelemetryBatch batch) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final String REQUEST = "\\d{4}-(http|grpc)-(metrics|logs|traces)\\.(bin|pb)";

  private Captures() {}

  /** System property {@code fixtures.dir}, else {@code ../src-test-fixtures/captures/claude-code}. */
  static Path root() {
    String prop = System.getProperty("fixtures.dir");
    Path p = prop != null ? Path.of(prop) : Path.of("..", "src-test-fixtures", "captures", "claude-code");
    if (!Files.isDirectory(p.resolve("http-protobuf"))) {
      throw new IllegalStateException("captured fixtures not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /** Every captured OTLP request (HTTP protobuf and JSON, gRPC), sorted by path. */
  static List<Capture> all() {
    List<Capture> out = new ArrayList<>();
    for (String transport : List.of("http-protobuf", "http-json", "grpc")) {
      try (Stream<Path> s = Files.walk(root().resolve(transport))) {
        for (Path f : s.sorted().toList()) {
          String file = f.getFileName().toString();
          // gRPC: the .pb holds the message without the 5-byte frame header.
          if (file.matches(REQUEST) && (transport.equals("grpc") == file.endsWith(".pb"))) {
            out.add(new Capture(root().relativize(f).toString(), load(f)));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** The batch of one captured request, e.g. {@code http-protobuf/optins/0001-http-logs.bin}. */
  static TelemetryBatch load(String relative) {
    return load(root().resolve(relative));
  }

  private static TelemetryBatch load(Path f) {
    try {
      byte[] raw = Files.readAllBytes(f);
      if (raw.length > 1 && raw[0] == 0x1f && raw[1] == (byte) 0x8b) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
          raw = in.readAllBytes();
        }
      }
      String name = f.getFileName().toString();
      boolean json = raw.length > 0 && raw[0] == '{';
      if (name.contains("metrics")) {
        return OtlpProtoMapper.metrics(json ? Json.metrics(raw) : ExportMetricsServiceRequest.parseFrom(raw));
      }
      if (name.contains("logs")) {
        return OtlpProtoMapper.logs(json ? Json.logs(raw) : ExportLogsServiceRequest.parseFrom(raw));
      }
      return OtlpProtoMapper.traces(json ? Json.traces(raw) : ExportTraceServiceRequest.parseFrom(raw));
    } catch (IOException e) {
      throw new UncheckedIOException(f.toString(), e);
    }
  }

  /** OTLP/JSON into the protobuf messages; only what the captures use (sums and gauges for metrics). */
  @SuppressWarnings("unchecked")
  static final class Json {
    private Json() {}

    static ExportMetricsServiceRequest metrics(byte[] body) {
      Map<String, Object> root = (Map<String, Object>) new Parser(new String(body, StandardCharsets.UTF_8)).parse();
      ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
      for (Map<String, Object> rm : list(root, "resourceMetrics")) {
        ResourceMetrics.Builder rb = ResourceMetrics.newBuilder().setResource(resource(rm));
        for (Map<String, Object> sm : list(rm, "scopeMetrics")) {
          ScopeMetrics.Builder sb = ScopeMetrics.newBuilder().setScope(scope(sm));
          for (Map<String, Object> m : list(sm, "metrics")) {
            Metric.Builder mb =
                Metric.newBuilder()
                    .setName(str(m, "name"))
                    .setDescription(str(m, "description"))
                    .setUnit(str(m, "unit"));
            if (m.containsKey("sum")) {
              Map<String, Object> sum = (Map<String, Object>) m.get("sum");
              Sum.Builder b =
                  Sum.newBuilder()
                      .setIsMonotonic(Boolean.TRUE.equals(sum.get("isMonotonic")))
                      .setAggregationTemporality(AggregationTemporality.forNumber((int) num(sum, "aggregationTemporality")));
              list(sum, "dataPoints").forEach(p -> b.addDataPoints(point(p)));
              mb.setSum(b);
            } else if (m.containsKey("gauge")) {
              Gauge.Builder b = Gauge.newBuilder();
              list((Map<String, Object>) m.get("gauge"), "dataPoints").forEach(p -> b.addDataPoints(point(p)));
              mb.setGauge(b);
            } else {
              throw new IllegalArgumentException("metric type not supported by this test reader: " + m.keySet());
            }
            sb.addMetrics(mb);
          }
          rb.addScopeMetrics(sb);
        }
        req.addResourceMetrics(rb);
      }
      return req.build();
    }

    private static NumberDataPoint point(Map<String, Object> p) {
      NumberDataPoint.Builder b =
          NumberDataPoint.newBuilder()
              .addAllAttributes(attributes(p))
              .setStartTimeUnixNano(num(p, "startTimeUnixNano"))
              .setTimeUnixNano(num(p, "timeUnixNano"))
              .setFlags((int) num(p, "flags"));
      if (p.containsKey("asInt")) {
        b.setAsInt(num(p, "asInt"));
      } else {
        b.setAsDouble(((BigDecimal) p.get("asDouble")).doubleValue());
      }
      return b.build();
    }

    static ExportLogsServiceRequest logs(byte[] body) {
      Map<String, Object> root = (Map<String, Object>) new Parser(new String(body, StandardCharsets.UTF_8)).parse();
      ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
      for (Map<String, Object> rl : list(root, "resourceLogs")) {
        ResourceLogs.Builder rb = ResourceLogs.newBuilder().setResource(resource(rl));
        for (Map<String, Object> sl : list(rl, "scopeLogs")) {
          ScopeLogs.Builder sb = ScopeLogs.newBuilder().setScope(scope(sl));
          for (Map<String, Object> r : list(sl, "logRecords")) {
            LogRecord.Builder b =
                LogRecord.newBuilder()
                    .setTimeUnixNano(num(r, "timeUnixNano"))
                    .setObservedTimeUnixNano(num(r, "observedTimeUnixNano"))
                    .setSeverityNumberValue((int) num(r, "severityNumber"))
                    .setSeverityText(str(r, "severityText"))
                    .addAllAttributes(attributes(r))
                    .setDroppedAttributesCount((int) num(r, "droppedAttributesCount"))
                    .setFlags((int) num(r, "flags"))
                    .setTraceId(hex(str(r, "traceId")))
                    .setSpanId(hex(str(r, "spanId")))
                    .setEventName(str(r, "eventName"));
            if (r.get("body") != null) {
              b.setBody(value((Map<String, Object>) r.get("body")));
            }
            sb.addLogRecords(b);
          }
          rb.addScopeLogs(sb);
        }
        req.addResourceLogs(rb);
      }
      return req.build();
    }

    static ExportTraceServiceRequest traces(byte[] body) {
      Map<String, Object> root = (Map<String, Object>) new Parser(new String(body, StandardCharsets.UTF_8)).parse();
      ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
      for (Map<String, Object> rs : list(root, "resourceSpans")) {
        ResourceSpans.Builder rb = ResourceSpans.newBuilder().setResource(resource(rs));
        for (Map<String, Object> ss : list(rs, "scopeSpans")) {
          ScopeSpans.Builder sb = ScopeSpans.newBuilder().setScope(scope(ss));
          for (Map<String, Object> s : list(ss, "spans")) {
            Span.Builder b =
                Span.newBuilder()
                    .setTraceId(hex(str(s, "traceId")))
                    .setSpanId(hex(str(s, "spanId")))
                    .setParentSpanId(hex(str(s, "parentSpanId")))
                    .setFlags((int) num(s, "flags"))
                    .setName(str(s, "name"))
                    .setKindValue((int) num(s, "kind"))
                    .setStartTimeUnixNano(num(s, "startTimeUnixNano"))
                    .setEndTimeUnixNano(num(s, "endTimeUnixNano"))
                    .addAllAttributes(attributes(s));
            for (Map<String, Object> e : list(s, "events")) {
              b.addEvents(
                  Span.Event.newBuilder()
                      .setName(str(e, "name"))
                      .setTimeUnixNano(num(e, "timeUnixNano"))
                      .addAllAttributes(attributes(e)));
            }
            Map<String, Object> status = (Map<String, Object>) s.getOrDefault("status", Map.of());
            b.setStatus(Status.newBuilder().setCodeValue((int) num(status, "code")).setMessage(str(status, "message")));
            sb.addSpans(b);
          }
          rb.addScopeSpans(sb);
        }
        req.addResourceSpans(rb);
      }
      return req.build();
    }

    private static Resource resource(Map<String, Object> parent) {
      Map<String, Object> r = (Map<String, Object>) parent.getOrDefault("resource", Map.of());
      return Resource.newBuilder().addAllAttributes(attributes(r)).build();
    }

    private static InstrumentationScope scope(Map<String, Object> parent) {
      Map<String, Object> s = (Map<String, Object>) parent.getOrDefault("scope", Map.of());
      return InstrumentationScope.newBuilder().setName(str(s, "name")).setVersion(str(s, "version")).build();
    }

    private static List<KeyValue> attributes(Map<String, Object> parent) {
      List<KeyValue> out = new ArrayList<>();
      for (Map<String, Object> kv : list(parent, "attributes")) {
        out.add(keyValue(kv));
      }
      return out;
    }

    private static KeyValue keyValue(Map<String, Object> kv) {
      KeyValue.Builder b = KeyValue.newBuilder().setKey(str(kv, "key"));
      if (kv.get("value") != null) {
        b.setValue(value((Map<String, Object>) kv.get("value")));
      }
      return b.build();
    }

    private static AnyValue value(Map<String, Object> v) {
      AnyValue.Builder b = AnyValue.newBuilder();
      if (v.containsKey("stringValue")) {
        b.setStringValue((String) v.get("stringValue"));
      } else if (v.containsKey("boolValue")) {
        b.setBoolValue((Boolean) v.get("boolValue"));
      } else if (v.containsKey("intValue")) {
        b.setIntValue(num(v, "intValue"));
      } else if (v.containsKey("doubleValue")) {
        b.setDoubleValue(new BigDecimal(v.get("doubleValue").toString()).doubleValue());
      } else if (v.containsKey("bytesValue")) {
        b.setBytesValue(ByteString.copyFrom(Base64.getDecoder().decode((String) v.get("bytesValue"))));
      } else if (v.containsKey("arrayValue")) {
        ArrayValue.Builder a = ArrayValue.newBuilder();
        list((Map<String, Object>) v.get("arrayValue"), "values").forEach(e -> a.addValues(value(e)));
        b.setArrayValue(a);
      } else if (v.containsKey("kvlistValue")) {
        KeyValueList.Builder l = KeyValueList.newBuilder();
        list((Map<String, Object>) v.get("kvlistValue"), "values").forEach(e -> l.addValues(keyValue(e)));
        b.setKvlistValue(l);
      }
      return b.build();
    }

    private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
      Object v = parent.get(key);
      return v == null ? List.of() : (List<Map<String, Object>>) v;
    }

    private static String str(Map<String, Object> m, String key) {
      Object v = m.get(key);
      return v == null ? "" : (String) v;
    }

    /** A 64-bit integer written as a JSON number or a decimal string (OTLP/JSON allows both). */
    private static long num(Map<String, Object> m, String key) {
      Object v = m.get(key);
      if (v == null) {
        return 0;
      }
      return new BigDecimal(v.toString()).toBigIntegerExact().longValue();
    }

    private static ByteString hex(String s) {
      return s.isEmpty() ? ByteString.EMPTY : ByteString.copyFrom(HexFormat.of().parseHex(s));
    }
  }

  /** A strict little JSON parser: objects (ordered), arrays, strings, BigDecimal numbers, booleans, null. */
  static final class Parser {
    private final String s;
    private int i;

    Parser(String s) {
      this.s = s;
    }

    Object parse() {
      Object v = value();
      ws();
      if (i != s.length()) {
        throw error("trailing characters");
      }
      return v;
    }

    private Object value() {
      ws();
      char c = s.charAt(i);
      switch (c) {
        case '{' -> {
          i++;
          Map<String, Object> m = new LinkedHashMap<>();
          ws();
          if (s.charAt(i) == '}') {
            i++;
            return m;
          }
          while (true) {
            ws();
            String k = string();
            ws();
            expect(':');
            m.put(k, value());
            ws();
            if (s.charAt(i) == ',') {
              i++;
            } else {
              expect('}');
              return m;
            }
          }
        }
        case '[' -> {
          i++;
          List<Object> l = new ArrayList<>();
          ws();
          if (s.charAt(i) == ']') {
            i++;
            return l;
          }
          while (true) {
            l.add(value());
            ws();
            if (s.charAt(i) == ',') {
              i++;
            } else {
              expect(']');
              return l;
            }
          }
        }
        case '"' -> {
          return string();
        }
        case 't' -> {
          literal("true");
          return Boolean.TRUE;
        }
        case 'f' -> {
          literal("false");
          return Boolean.FALSE;
        }
        case 'n' -> {
          literal("null");
          return null;
        }
        default -> {
          int start = i;
          while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
            i++;
          }
          if (start == i) {
            throw error("unexpected character");
          }
          return new BigDecimal(s.substring(start, i));
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return sb.toString();
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'u' -> {
            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> sb.append(e);
        }
      }
    }

    private void literal(String word) {
      if (!s.startsWith(word, i)) {
        throw error("expected " + word);
      }
      i += word.length();
    }

    private void expect(char c) {
      if (s.charAt(i) != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at offset " + i);
    }
  }
}

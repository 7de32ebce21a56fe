package io.ccotel.gateway.core.otlp;

import com.google.protobuf.ByteString;
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
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Maps the OTLP protobuf requests (the generated classes of opentelemetry-proto) to the gateway's
 * internal model. Both receivers use it: gRPC directly, HTTP for protobuf and (after its own JSON
 * decoding into the same protobuf messages) for OTLP/JSON.
 *
 * <p>Stateless and thread-safe. Never throws for odd but decodable content: a metric with no data
 * is skipped (it has no points to count), unknown enum numbers map to UNSPECIFIED.
 */
public final class OtlpProtoMapper {
  private static final HexFormat HEX = HexFormat.of();

  private OtlpProtoMapper() {}

  public static MetricsBatch metrics(ExportMetricsServiceRequest request) {
    List<Metric> out = new ArrayList<>();
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      Resource resource = resource(rm.getResource(), rm.getSchemaUrl());
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        Scope scope = scope(sm.getScope());
        for (io.opentelemetry.proto.metrics.v1.Metric m : sm.getMetricsList()) {
          Metric mapped = metric(resource, scope, m);
          if (mapped != null) {
            out.add(mapped);
          }
        }
      }
    }
    return new MetricsBatch(out);
  }

  private static Metric metric(Resource resource, Scope scope, io.opentelemetry.proto.metrics.v1.Metric m) {
    MetricKind kind;
    Temporality temporality = Temporality.UNSPECIFIED;
    boolean monotonic = false;
    List<DataPoint> points = new ArrayList<>();
    switch (m.getDataCase()) {
      case GAUGE -> {
        kind = MetricKind.GAUGE;
        for (NumberDataPoint p : m.getGauge().getDataPointsList()) {
          points.add(number(p));
        }
      }
      case SUM -> {
        kind = MetricKind.SUM;
        temporality = temporality(m.getSum().getAggregationTemporality());
        monotonic = m.getSum().getIsMonotonic();
        for (NumberDataPoint p : m.getSum().getDataPointsList()) {
          points.add(number(p));
        }
      }
      case HISTOGRAM -> {
        kind = MetricKind.HISTOGRAM;
        temporality = temporality(m.getHistogram().getAggregationTemporality());
        for (io.opentelemetry.proto.metrics.v1.HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
          points.add(
              new HistogramPoint(
                  attributes(p.getAttributesList()),
                  p.getStartTimeUnixNano(),
                  p.getTimeUnixNano(),
                  p.getCount(),
                  p.hasSum() ? p.getSum() : Double.NaN,
                  p.getExplicitBoundsList(),
                  p.getBucketCountsList(),
                  p.hasMin() ? p.getMin() : Double.NaN,
                  p.hasMax() ? p.getMax() : Double.NaN,
                  p.getFlags()));
        }
      }
      case EXPONENTIAL_HISTOGRAM -> {
        kind = MetricKind.EXPONENTIAL_HISTOGRAM;
        temporality = temporality(m.getExponentialHistogram().getAggregationTemporality());
        for (io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint p :
            m.getExponentialHistogram().getDataPointsList()) {
          points.add(
              new ExponentialHistogramPoint(
                  attributes(p.getAttributesList()),
                  p.getStartTimeUnixNano(),
                  p.getTimeUnixNano(),
                  p.getCount(),
                  p.hasSum() ? p.getSum() : Double.NaN,
                  p.getScale(),
                  p.getZeroCount(),
                  p.getZeroThreshold(),
                  p.getPositive().getOffset(),
                  p.getPositive().getBucketCountsList(),
                  p.getNegative().getOffset(),
                  p.getNegative().getBucketCountsList(),
                  p.hasMin() ? p.getMin() : Double.NaN,
                  p.hasMax() ? p.getMax() : Double.NaN,
                  p.getFlags()));
        }
      }
      case SUMMARY -> {
        kind = MetricKind.SUMMARY;
        for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
          List<SummaryPoint.Quantile> qs = new ArrayList<>(p.getQuantileValuesCount());
          for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
            qs.add(new SummaryPoint.Quantile(q.getQuantile(), q.getValue()));
          }
          points.add(
              new SummaryPoint(
                  attributes(p.getAttributesList()),
                  p.getStartTimeUnixNano(),
                  p.getTimeUnixNano(),
                  p.getCount(),
                  p.getSum(),
                  qs,
                  p.getFlags()));
        }
      }
      default -> {
        return null;
      }
    }
    return new Metric(
        resource, scope, m.getName(), m.getDescription(), m.getUnit(), kind, temporality, monotonic, points);
  }

  private static NumberPoint number(NumberDataPoint p) {
    boolean isDouble = p.getValueCase() != NumberDataPoint.ValueCase.AS_INT;
    return new NumberPoint(
        attributes(p.getAttributesList()),
        p.getStartTimeUnixNano(),
        p.getTimeUnixNano(),
        isDouble,
        isDouble ? p.getAsDouble() : 0.0,
        isDouble ? 0L : p.getAsInt(),
        p.getFlags());
  }

  private static Temporality temporality(AggregationTemporality t) {
    return switch (t) {
      case AGGREGATION_TEMPORALITY_DELTA -> Temporality.DELTA;
      case AGGREGATION_TEMPORALITY_CUMULATIVE -> Temporality.CUMULATIVE;
      default -> Temporality.UNSPECIFIED;
    };
  }

  public static LogsBatch logs(ExportLogsServiceRequest request) {
    List<LogRecord> out = new ArrayList<>();
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Resource resource = resource(rl.getResource(), rl.getSchemaUrl());
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        Scope scope = scope(sl.getScope());
        for (io.opentelemetry.proto.logs.v1.LogRecord r : sl.getLogRecordsList()) {
          out.add(
              new LogRecord(
                  resource,
                  scope,
                  r.getTimeUnixNano(),
                  r.getObservedTimeUnixNano(),
                  r.getSeverityNumberValue(),
                  r.getSeverityText(),
                  r.hasBody() ? value(r.getBody()) : null,
                  attributes(r.getAttributesList()),
                  r.getEventName(),
                  hex(r.getTraceId()),
                  hex(r.getSpanId()),
                  r.getFlags(),
                  r.getDroppedAttributesCount()));
        }
      }
    }
    return new LogsBatch(out);
  }

  public static TracesBatch traces(ExportTraceServiceRequest request) {
    List<Span> out = new ArrayList<>();
    for (ResourceSpans rs : request.getResourceSpansList()) {
      Resource resource = resource(rs.getResource(), rs.getSchemaUrl());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        Scope scope = scope(ss.getScope());
        for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
          List<Span.Event> events = new ArrayList<>(s.getEventsCount());
          for (io.opentelemetry.proto.trace.v1.Span.Event e : s.getEventsList()) {
            events.add(new Span.Event(e.getName(), e.getTimeUnixNano(), attributes(e.getAttributesList())));
          }
          out.add(
              new Span(
                  resource,
                  scope,
                  hex(s.getTraceId()),
                  hex(s.getSpanId()),
                  hex(s.getParentSpanId()),
                  s.getName(),
                  s.getKindValue(),
                  s.getStartTimeUnixNano(),
                  s.getEndTimeUnixNano(),
                  attributes(s.getAttributesList()),
                  events,
                  s.getStatus().getCodeValue(),
                  s.getStatus().getMessage()));
        }
      }
    }
    return new TracesBatch(out);
  }

  static Resource resource(io.opentelemetry.proto.resource.v1.Resource r, String schemaUrl) {
    return new Resource(attributes(r.getAttributesList()), schemaUrl);
  }

  static Scope scope(InstrumentationScope s) {
    return new Scope(s.getName(), s.getVersion(), attributes(s.getAttributesList()));
  }

  /** Keeps every pair as sent (duplicates included); a pair with no value is left out. */
  public static Attributes attributes(List<KeyValue> kvs) {
    if (kvs.isEmpty()) {
      return Attributes.empty();
    }
    Attributes.Builder b = Attributes.builder(kvs.size());
    for (KeyValue kv : kvs) {
      Object v = value(kv.getValue());
      if (v != null) {
        b.add(kv.getKey(), v);
      }
    }
    return b.build();
  }

  /** An AnyValue as a plain Java value (see {@link Attributes}); null for an empty AnyValue. */
  public static Object value(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case INT_VALUE -> v.getIntValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      case BYTES_VALUE -> v.getBytesValue().asReadOnlyByteBuffer();
      case ARRAY_VALUE -> {
        List<Object> list = new ArrayList<>(v.getArrayValue().getValuesCount());
        for (AnyValue e : v.getArrayValue().getValuesList()) {
          Object o = value(e);
          if (o != null) {
            list.add(o);
          }
        }
        yield List.copyOf(list);
      }
      case KVLIST_VALUE -> attributes(v.getKvlistValue().getValuesList());
      default -> null;
    };
  }

  private static String hex(ByteString bytes) {
    return bytes.isEmpty() ? "" : HEX.formatHex(bytes.toByteArray());
  }
}

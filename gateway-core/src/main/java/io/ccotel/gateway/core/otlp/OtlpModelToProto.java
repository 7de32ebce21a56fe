package io.ccotel.gateway.core.otlp;

import com.google.protobuf.ByteString;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
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
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Maps the internal model back to the OTLP protobuf requests: the inverse of {@link
 * OtlpProtoMapper}, so that {@code OtlpProtoMapper.metrics(OtlpModelToProto.metrics(b))} equals
 * {@code b}. Used by the durable log's codec; an OTLP forwarding exporter can use it too.
 *
 * <p>Items are grouped into {@code Resource*} / {@code Scope*} messages by runs: consecutive items
 * with an equal resource (then an equal scope) share one message, and a new message starts when the
 * resource or scope changes. Grouping by runs, not by a map, keeps the items in their order, which
 * the model's equality (and a log's reader) depends on. Decoding again makes the items of one run
 * share one {@link Resource} / {@link Scope} instance, as the receivers' batches do.
 *
 * <p>What the model can hold but OTLP cannot express is normalised, never rejected: a temporality
 * on a gauge or summary and {@code monotonic} on anything but a sum are dropped (OTLP has no field
 * for them; the receivers never produce them); the unused value of a {@link NumberPoint} (the
 * double of an int point and vice versa) is dropped; attribute values of Java types the model does
 * not use become their nearest OTLP kind (Integer/Short/Byte as int, Float as double, anything else
 * as its {@code toString()}). Trace and span ids must be hex (any case; decoded as lower case); an id
 * that is not hex is an {@link IllegalArgumentException}.
 *
 * <p>Stateless and thread-safe.
 */
public final class OtlpModelToProto {
  private static final HexFormat HEX = HexFormat.of();

  private OtlpModelToProto() {}

  public static ExportMetricsServiceRequest metrics(MetricsBatch batch) {
    ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
    List<Metric> items = batch.metrics();
    byte[] marks = Runs.marks(items, Metric::resource, Metric::scope);
    ResourceMetrics.Builder rm = null;
    ScopeMetrics.Builder sm = null;
    for (int i = 0; i < marks.length; i++) {
      Metric m = items.get(i);
      if (marks[i] == Runs.NEW_RESOURCE) {
        rm = req.addResourceMetricsBuilder().setResource(resource(m.resource())).setSchemaUrl(m.resource().schemaUrl());
      }
      if (marks[i] != Runs.SAME) {
        sm = rm.addScopeMetricsBuilder().setScope(scope(m.scope()));
      }
      sm.addMetrics(metric(m));
    }
    return req.build();
  }

  public static ExportLogsServiceRequest logs(LogsBatch batch) {
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    List<LogRecord> items = batch.records();
    byte[] marks = Runs.marks(items, LogRecord::resource, LogRecord::scope);
    ResourceLogs.Builder rl = null;
    ScopeLogs.Builder sl = null;
    for (int i = 0; i < marks.length; i++) {
      LogRecord r = items.get(i);
      if (marks[i] == Runs.NEW_RESOURCE) {
        rl = req.addResourceLogsBuilder().setResource(resource(r.resource())).setSchemaUrl(r.resource().schemaUrl());
      }
      if (marks[i] != Runs.SAME) {
        sl = rl.addScopeLogsBuilder().setScope(scope(r.scope()));
      }
      sl.addLogRecords(logRecord(r));
    }
    return req.build();
  }

  public static ExportTraceServiceRequest traces(TracesBatch batch) {
    ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
    List<Span> items = batch.spans();
    byte[] marks = Runs.marks(items, Span::resource, Span::scope);
    ResourceSpans.Builder rs = null;
    ScopeSpans.Builder ss = null;
    for (int i = 0; i < marks.length; i++) {
      Span s = items.get(i);
      if (marks[i] == Runs.NEW_RESOURCE) {
        rs = req.addResourceSpansBuilder().setResource(resource(s.resource())).setSchemaUrl(s.resource().schemaUrl());
      }
      if (marks[i] != Runs.SAME) {
        ss = rs.addScopeSpansBuilder().setScope(scope(s.scope()));
      }
      ss.addSpans(span(s));
    }
    return req.build();
  }

  static io.opentelemetry.proto.resource.v1.Resource resource(Resource r) {
    return io.opentelemetry.proto.resource.v1.Resource.newBuilder()
        .addAllAttributes(attributes(r.attributes()))
        .build();
  }

  static InstrumentationScope scope(Scope s) {
    return InstrumentationScope.newBuilder()
        .setName(s.name())
        .setVersion(s.version())
        .addAllAttributes(attributes(s.attributes()))
        .build();
  }

  private static io.opentelemetry.proto.metrics.v1.Metric metric(Metric m) {
    io.opentelemetry.proto.metrics.v1.Metric.Builder b =
        io.opentelemetry.proto.metrics.v1.Metric.newBuilder()
            .setName(m.name())
            .setDescription(m.description())
            .setUnit(m.unit());
    // The data case is always set, even with no points: OtlpProtoMapper keeps such a metric (and
    // its kind) only when the oneof is present.
    switch (m.kind()) {
      case GAUGE -> {
        Gauge.Builder g = Gauge.newBuilder();
        for (DataPoint p : m.points()) {
          g.addDataPoints(number((NumberPoint) p));
        }
        b.setGauge(g);
      }
      case SUM -> {
        Sum.Builder s = Sum.newBuilder()
            .setAggregationTemporality(temporality(m.temporality()))
            .setIsMonotonic(m.monotonic());
        for (DataPoint p : m.points()) {
          s.addDataPoints(number((NumberPoint) p));
        }
        b.setSum(s);
      }
      case HISTOGRAM -> {
        Histogram.Builder h = Histogram.newBuilder().setAggregationTemporality(temporality(m.temporality()));
        for (DataPoint p : m.points()) {
          h.addDataPoints(histogram((HistogramPoint) p));
        }
        b.setHistogram(h);
      }
      case EXPONENTIAL_HISTOGRAM -> {
        ExponentialHistogram.Builder h =
            ExponentialHistogram.newBuilder().setAggregationTemporality(temporality(m.temporality()));
        for (DataPoint p : m.points()) {
          h.addDataPoints(exponentialHistogram((ExponentialHistogramPoint) p));
        }
        b.setExponentialHistogram(h);
      }
      case SUMMARY -> {
        Summary.Builder s = Summary.newBuilder();
        for (DataPoint p : m.points()) {
          s.addDataPoints(summary((SummaryPoint) p));
        }
        b.setSummary(s);
      }
    }
    return b.build();
  }

  private static NumberDataPoint number(NumberPoint p) {
    NumberDataPoint.Builder b = NumberDataPoint.newBuilder()
        .addAllAttributes(attributes(p.attributes()))
        .setStartTimeUnixNano(p.startTimeNanos())
        .setTimeUnixNano(p.timeNanos())
        .setFlags(p.flags());
    if (p.isDouble()) {
      b.setAsDouble(p.doubleValue());
    } else {
      b.setAsInt(p.longValue());
    }
    return b.build();
  }

  private static HistogramDataPoint histogram(HistogramPoint p) {
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder()
        .addAllAttributes(attributes(p.attributes()))
        .setStartTimeUnixNano(p.startTimeNanos())
        .setTimeUnixNano(p.timeNanos())
        .setCount(p.count())
        .addAllExplicitBounds(p.explicitBounds())
        .addAllBucketCounts(p.bucketCounts())
        .setFlags(p.flags());
    // NaN is the model's "absent" for these optional fields.
    if (!Double.isNaN(p.sum())) {
      b.setSum(p.sum());
    }
    if (!Double.isNaN(p.min())) {
      b.setMin(p.min());
    }
    if (!Double.isNaN(p.max())) {
      b.setMax(p.max());
    }
    return b.build();
  }

  private static ExponentialHistogramDataPoint exponentialHistogram(ExponentialHistogramPoint p) {
    ExponentialHistogramDataPoint.Builder b = ExponentialHistogramDataPoint.newBuilder()
        .addAllAttributes(attributes(p.attributes()))
        .setStartTimeUnixNano(p.startTimeNanos())
        .setTimeUnixNano(p.timeNanos())
        .setCount(p.count())
        .setScale(p.scale())
        .setZeroCount(p.zeroCount())
        .setZeroThreshold(p.zeroThreshold())
        .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder()
            .setOffset(p.positiveOffset())
            .addAllBucketCounts(p.positiveBucketCounts()))
        .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder()
            .setOffset(p.negativeOffset())
            .addAllBucketCounts(p.negativeBucketCounts()))
        .setFlags(p.flags());
    if (!Double.isNaN(p.sum())) {
      b.setSum(p.sum());
    }
    if (!Double.isNaN(p.min())) {
      b.setMin(p.min());
    }
    if (!Double.isNaN(p.max())) {
      b.setMax(p.max());
    }
    return b.build();
  }

  private static SummaryDataPoint summary(SummaryPoint p) {
    SummaryDataPoint.Builder b = SummaryDataPoint.newBuilder()
        .addAllAttributes(attributes(p.attributes()))
        .setStartTimeUnixNano(p.startTimeNanos())
        .setTimeUnixNano(p.timeNanos())
        .setCount(p.count())
        .setSum(p.sum())
        .setFlags(p.flags());
    for (SummaryPoint.Quantile q : p.quantiles()) {
      b.addQuantileValues(
          SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(q.quantile()).setValue(q.value()));
    }
    return b.build();
  }

  private static AggregationTemporality temporality(Temporality t) {
    return switch (t) {
      case DELTA -> AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
      case CUMULATIVE -> AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
      case UNSPECIFIED -> AggregationTemporality.AGGREGATION_TEMPORALITY_UNSPECIFIED;
    };
  }

  private static io.opentelemetry.proto.logs.v1.LogRecord logRecord(LogRecord r) {
    io.opentelemetry.proto.logs.v1.LogRecord.Builder b = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
        .setTimeUnixNano(r.timeNanos())
        .setObservedTimeUnixNano(r.observedTimeNanos())
        .setSeverityNumberValue(r.severityNumber())
        .setSeverityText(r.severityText())
        .addAllAttributes(attributes(r.attributes()))
        .setEventName(r.eventName())
        .setTraceId(id(r.traceId()))
        .setSpanId(id(r.spanId()))
        .setFlags(r.flags())
        .setDroppedAttributesCount(r.droppedAttributesCount());
    if (r.body() != null) {
      b.setBody(value(r.body()));
    }
    return b.build();
  }

  private static io.opentelemetry.proto.trace.v1.Span span(Span s) {
    io.opentelemetry.proto.trace.v1.Span.Builder b = io.opentelemetry.proto.trace.v1.Span.newBuilder()
        .setTraceId(id(s.traceId()))
        .setSpanId(id(s.spanId()))
        .setParentSpanId(id(s.parentSpanId()))
        .setName(s.name())
        .setKindValue(s.kind())
        .setStartTimeUnixNano(s.startTimeNanos())
        .setEndTimeUnixNano(s.endTimeNanos())
        .addAllAttributes(attributes(s.attributes()));
    for (Span.Event e : s.events()) {
      b.addEvents(io.opentelemetry.proto.trace.v1.Span.Event.newBuilder()
          .setName(Objects.requireNonNullElse(e.name(), ""))
          .setTimeUnixNano(e.timeNanos())
          .addAllAttributes(attributes(Objects.requireNonNullElse(e.attributes(), Attributes.empty()))));
    }
    if (s.statusCode() != 0 || !s.statusMessage().isEmpty()) {
      b.setStatus(Status.newBuilder().setCodeValue(s.statusCode()).setMessage(s.statusMessage()));
    }
    return b.build();
  }

  private static ByteString id(String hex) {
    return hex.isEmpty() ? ByteString.EMPTY : ByteString.copyFrom(HEX.parseHex(hex));
  }

  /** The pairs in order, duplicates included. */
  public static List<KeyValue> attributes(Attributes attributes) {
    if (attributes.isEmpty()) {
      return List.of();
    }
    KeyValue[] out = new KeyValue[attributes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = KeyValue.newBuilder().setKey(attributes.key(i)).setValue(value(attributes.value(i))).build();
    }
    return List.of(out);
  }

  /** A plain Java value (see {@link Attributes}) as an AnyValue. */
  public static AnyValue value(Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Boolean bool) {
      b.setBoolValue(bool);
    } else if (v instanceof Long l) {
      b.setIntValue(l);
    } else if (v instanceof Double d) {
      b.setDoubleValue(d);
    } else if (v instanceof ByteBuffer bb) {
      b.setBytesValue(ByteString.copyFrom(bb.duplicate()));
    } else if (v instanceof List<?> list) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object e : list) {
        if (e != null) {
          a.addValues(value(e));
        }
      }
      b.setArrayValue(a);
    } else if (v instanceof Attributes kv) {
      b.setKvlistValue(KeyValueList.newBuilder().addAllValues(attributes(kv)));
    } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      b.setIntValue(((Number) v).longValue());
    } else if (v instanceof Float f) {
      b.setDoubleValue(f);
    } else if (v != null) {
      b.setStringValue(v.toString());
    }
    return b.build();
  }
}

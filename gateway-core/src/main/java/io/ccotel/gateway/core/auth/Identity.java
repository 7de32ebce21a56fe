package io.ccotel.gateway.core.auth;

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
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts an authenticated client's identity attributes on its telemetry.
 *
 * <p>The identity always lands on the <b>resource</b> of every item (resource attributes are what
 * the Prometheus exporter's {@code resource_labels} and the Loki exporter's {@code
 * tenant_from_attribute} read).
 *
 * <ul>
 *   <li>{@code override = true} (anti-spoofing): for each identity key, whatever the client sent
 *       is replaced, in the resource <i>and</i> in the item attributes (data points, log records,
 *       spans), because Claude Code copies {@code OTEL_RESOURCE_ATTRIBUTES} onto every item and the
 *       item's value would otherwise win as a label. Keys that are in {@code reservedKeys} but not
 *       in this identity (another token's keys) are removed from resource and items, so no client
 *       can claim them. Item attributes only lose or change values; identity keys are not added to
 *       items.
 *   <li>{@code override = false}: identity keys the resource lacks are added; the client's values
 *       stay, and item attributes are left alone.
 * </ul>
 *
 * <p>Attribute order is kept (a replaced value stays in place, a duplicate key sent by the client
 * is dropped, new keys go last). Resources shared by several items stay shared. Items that need no
 * change are reused, and the batch is returned as it is when nothing changes. Stateless and
 * thread-safe.
 */
public final class Identity {
  private Identity() {}

  /** {@link #apply(TelemetryBatch, Attributes, Set, boolean)} without reserved keys. */
  public static TelemetryBatch apply(TelemetryBatch batch, Attributes identity, boolean override) {
    return apply(batch, identity, Set.of(), override);
  }

  /**
   * A batch whose resources carry {@code identity}; see the class comment for {@code override}.
   *
   * @param reservedKeys identity keys of the whole deployment (every token's keys); with override,
   *     those absent from {@code identity} are removed from what the client sent
   */
  public static TelemetryBatch apply(
      TelemetryBatch batch, Attributes identity, Set<String> reservedKeys, boolean override) {
    Set<String> remove = new HashSet<>();
    if (override) {
      for (String k : reservedKeys) {
        if (identity.get(k) == null) {
          remove.add(k);
        }
      }
    }
    if (identity.isEmpty() && remove.isEmpty()) {
      return batch;
    }
    Rewriter r = new Rewriter(identity, remove, override);
    if (batch instanceof MetricsBatch m) {
      return r.metrics(m);
    }
    if (batch instanceof LogsBatch l) {
      return r.logs(l);
    }
    return r.traces((TracesBatch) batch);
  }

  private static final class Rewriter {
    private final Attributes identity;
    private final Set<String> remove;
    private final boolean override;
    private final Map<Resource, Resource> resources = new IdentityHashMap<>();

    Rewriter(Attributes identity, Set<String> remove, boolean override) {
      this.identity = identity;
      this.remove = remove;
      this.override = override;
    }

    MetricsBatch metrics(MetricsBatch batch) {
      List<Metric> out = new ArrayList<>(batch.metrics().size());
      boolean changed = false;
      for (Metric m : batch.metrics()) {
        Resource res = resource(m.resource());
        List<DataPoint> points = new ArrayList<>(m.points().size());
        boolean pointsChanged = false;
        for (DataPoint p : m.points()) {
          DataPoint q = point(p);
          pointsChanged |= q != p;
          points.add(q);
        }
        if (res == m.resource() && !pointsChanged) {
          out.add(m);
        } else {
          changed = true;
          out.add(
              new Metric(
                  res, m.scope(), m.name(), m.description(), m.unit(), m.kind(), m.temporality(),
                  m.monotonic(), pointsChanged ? points : m.points()));
        }
      }
      return changed ? new MetricsBatch(out) : batch;
    }

    LogsBatch logs(LogsBatch batch) {
      List<LogRecord> out = new ArrayList<>(batch.records().size());
      boolean changed = false;
      for (LogRecord r : batch.records()) {
        Resource res = resource(r.resource());
        Attributes attrs = item(r.attributes());
        if (res == r.resource() && attrs == r.attributes()) {
          out.add(r);
        } else {
          changed = true;
          out.add(
              new LogRecord(
                  res, r.scope(), r.timeNanos(), r.observedTimeNanos(), r.severityNumber(),
                  r.severityText(), r.body(), attrs, r.eventName(), r.traceId(), r.spanId(),
                  r.flags(), r.droppedAttributesCount()));
        }
      }
      return changed ? new LogsBatch(out) : batch;
    }

    TracesBatch traces(TracesBatch batch) {
      List<Span> out = new ArrayList<>(batch.spans().size());
      boolean changed = false;
      for (Span s : batch.spans()) {
        Resource res = resource(s.resource());
        Attributes attrs = item(s.attributes());
        if (res == s.resource() && attrs == s.attributes()) {
          out.add(s);
        } else {
          changed = true;
          out.add(
              new Span(
                  res, s.scope(), s.traceId(), s.spanId(), s.parentSpanId(), s.name(), s.kind(),
                  s.startTimeNanos(), s.endTimeNanos(), attrs, s.events(), s.statusCode(),
                  s.statusMessage()));
        }
      }
      return changed ? new TracesBatch(out) : batch;
    }

    private DataPoint point(DataPoint p) {
      Attributes a = item(p.attributes());
      if (a == p.attributes()) {
        return p;
      }
      if (p instanceof NumberPoint n) {
        return new NumberPoint(
            a, n.startTimeNanos(), n.timeNanos(), n.isDouble(), n.doubleValue(), n.longValue(), n.flags());
      }
      if (p instanceof HistogramPoint h) {
        return new HistogramPoint(
            a, h.startTimeNanos(), h.timeNanos(), h.count(), h.sum(), h.explicitBounds(), h.bucketCounts(),
            h.min(), h.max(), h.flags());
      }
      if (p instanceof ExponentialHistogramPoint e) {
        return new ExponentialHistogramPoint(
            a, e.startTimeNanos(), e.timeNanos(), e.count(), e.sum(), e.scale(), e.zeroCount(),
            e.zeroThreshold(), e.positiveOffset(), e.positiveBucketCounts(), e.negativeOffset(),
            e.negativeBucketCounts(), e.min(), e.max(), e.flags());
      }
      SummaryPoint s = (SummaryPoint) p;
      return new SummaryPoint(a, s.startTimeNanos(), s.timeNanos(), s.count(), s.sum(), s.quantiles(), s.flags());
    }

    private Resource resource(Resource r) {
      return resources.computeIfAbsent(r, this::rewriteResource);
    }

    private Resource rewriteResource(Resource r) {
      Attributes a = r.attributes();
      Attributes out = override ? replace(a, true) : addMissing(a);
      return out == a ? r : new Resource(out, r.schemaUrl());
    }

    /** Item attributes: only with override, and only keys the client sent. */
    private Attributes item(Attributes a) {
      return override ? replace(a, false) : a;
    }

    /**
     * Identity values in place of the client's (first occurrence; later duplicates dropped),
     * reserved keys removed, and with {@code addAbsent} the identity keys not seen appended.
     */
    private Attributes replace(Attributes a, boolean addAbsent) {
      if (!touches(a) && (!addAbsent || identity.isEmpty())) {
        return a;
      }
      Attributes.Builder b = Attributes.builder(a.size() + identity.size());
      Set<String> written = new HashSet<>();
      boolean changed = false;
      for (int i = 0; i < a.size(); i++) {
        String k = a.key(i);
        Object idValue = identity.get(k);
        if (idValue != null) {
          if (written.add(k)) {
            b.add(k, idValue);
            changed |= !idValue.equals(a.value(i));
          } else {
            changed = true; // a second copy of an identity key: dropped
          }
        } else if (remove.contains(k)) {
          changed = true;
        } else {
          b.add(k, a.value(i));
        }
      }
      if (addAbsent) {
        for (int i = 0; i < identity.size(); i++) {
          if (!written.contains(identity.key(i))) {
            b.add(identity.key(i), identity.value(i));
            changed = true;
          }
        }
      }
      return changed ? b.build() : a;
    }

    private Attributes addMissing(Attributes a) {
      Attributes.Builder b = null;
      for (int i = 0; i < identity.size(); i++) {
        String k = identity.key(i);
        if (a.get(k) == null) {
          if (b == null) {
            b = a.toBuilder();
          }
          b.add(k, identity.value(i));
        }
      }
      return b == null ? a : b.build();
    }

    private boolean touches(Attributes a) {
      for (int i = 0; i < a.size(); i++) {
        String k = a.key(i);
        if (identity.get(k) != null || remove.contains(k)) {
          return true;
        }
      }
      return false;
    }
  }
}

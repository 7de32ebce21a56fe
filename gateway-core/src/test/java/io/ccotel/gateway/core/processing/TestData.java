package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricKind;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.Temporality;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/** Builders for small batches shaped like Claude Code's, with times fixed around {@link #NOW}. */
final class TestData {
  static final Instant NOW = Instant.parse("2026-11-26T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  /** A valid time: one minute before NOW. */
  static final long T = nanos("2026-11-25T23:59:00Z");

  static final Resource RESOURCE =
      Resource.of(Attributes.of("service.name", "claude-code", "service.version", "2.1.328"));
  static final Scope METRICS_SCOPE = Scope.of("com.anthropic.claude_code", "2.1.328");
  static final Scope EVENTS_SCOPE = Scope.of("com.anthropic.claude_code.events", "2.1.328");
  static final Scope TRACES_SCOPE = Scope.of("com.anthropic.claude_code.tracing", "1.0.0");

  private TestData() {}

  static long nanos(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static NumberPoint point(double value, Object... attrs) {
    return NumberPoint.ofDouble(Attributes.of(attrs), T - 60_000_000_000L, T, value);
  }

  static NumberPoint pointAt(long start, long time, double value, Object... attrs) {
    return NumberPoint.ofDouble(Attributes.of(attrs), start, time, value);
  }

  /** A monotonic delta sum, as Claude Code sends every metric. */
  static Metric sum(String name, DataPoint... points) {
    return metric(name, MetricKind.SUM, true, points);
  }

  static Metric metric(String name, MetricKind kind, boolean monotonic, DataPoint... points) {
    Temporality t = kind == MetricKind.GAUGE || kind == MetricKind.SUMMARY ? Temporality.UNSPECIFIED : Temporality.DELTA;
    return new Metric(RESOURCE, METRICS_SCOPE, name, "", "", kind, t, monotonic, List.of(points));
  }

  /** A Claude Code event: body claude_code.name, attribute event.name first. */
  static LogRecord event(String name, Object... attrs) {
    return event(name, Attributes.builder().add("event.name", name), attrs);
  }

  private static LogRecord event(String name, Attributes.Builder b, Object... attrs) {
    for (int i = 0; i < attrs.length; i += 2) {
      b.add((String) attrs[i], attrs[i + 1]);
    }
    return new LogRecord(RESOURCE, EVENTS_SCOPE, T, T, 0, "", "claude_code." + name, b.build(), "", "", "", 0, 0);
  }

  static LogRecord withTimes(LogRecord r, long time, long observed) {
    return new LogRecord(
        r.resource(), r.scope(), time, observed, r.severityNumber(), r.severityText(), r.body(), r.attributes(),
        r.eventName(), r.traceId(), r.spanId(), r.flags(), r.droppedAttributesCount());
  }

  static Span span(String name, Attributes attrs, Span.Event... events) {
    return spanAt(name, T - 1_000_000_000L, T, attrs, events);
  }

  static Span spanAt(String name, long start, long end, Attributes attrs, Span.Event... events) {
    return new Span(
        RESOURCE, TRACES_SCOPE, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "", name, 1, start, end, attrs,
        List.of(events), 0, "");
  }

  /** Attributes with keys as given, duplicates kept (what a decoder builds). */
  static Attributes raw(Object... keysAndValues) {
    Attributes.Builder b = Attributes.builder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      b.add((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return b.build();
  }

  /** {@code n} attributes a0=v0, a1=v1, ... */
  static Object[] many(int n) {
    Object[] kv = new Object[n * 2];
    for (int i = 0; i < n; i++) {
      kv[2 * i] = "a" + i;
      kv[2 * i + 1] = "v" + i;
    }
    return kv;
  }
}

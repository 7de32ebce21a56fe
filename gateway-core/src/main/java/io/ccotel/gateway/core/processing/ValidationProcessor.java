package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
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
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.Processor;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every item (data point, log record, span) of a batch against the OTLP rules and Claude
 * Code's schema, and lets the valid ones through. The rules, their modes and repairs are listed in
 * {@link ValidationRule}; limits and modes come from {@link ValidationConfig}.
 *
 * <p>A rejected item never sinks the request: the other items go on to the next consumer and the
 * answer is {@code next.consume(valid).plusRejected(n, message)}, a partial success. When every item
 * is rejected the next consumer is not called and the answer is still a partial success with all
 * items rejected (HTTP 200 / gRPC OK with {@code partial_success}), never INVALID: the request was
 * well-formed OTLP, and a 400 would make some clients retry or log it as a transport failure.
 *
 * <p>Message: {@code <n> <data points|log records|spans> rejected: <reason>[; <reason>][; <reason>]}
 * with the first three distinct reasons, each {@code <item>: <what is wrong>}, where {@code <item>}
 * is the metric name, {@code event <event.name>}, {@code log record}, {@code span <name>}, or
 * {@code metric} / {@code span} for an unnamed one; when more items were rejected for other
 * reasons it ends in {@code ; <k> more for other reasons}. Example: {@code 2 data points rejected:
 * claude_code.token.usage: attribute 'type' must be one of input, output, cacheRead, cacheCreation,
 * got "tokens"; claude_code.cost.usage: negative value -1.0 in a monotonic sum}. An item breaking
 * several rules is rejected for the first one found, in this order: name, metric type, attributes
 * (duplicate keys, UTF-8, value length, count), body, timestamps, values, Claude Code attributes.
 *
 * <p>Counted per request, never logged per item: {@code
 * gateway_rejected_items_total{signal,transport="validation",reason=<rule>}} (through {@link
 * GatewayMetrics#rejected}) and {@code gateway_repaired_items_total{signal,reason=<rule>}}.
 *
 * <p>Invalid UTF-8: protobuf-java refuses a proto3 string with invalid UTF-8 while decoding (the
 * receiver answers 400), so a U+FFFD that reaches this processor was sent as such: it is a valid
 * character (a tool's output of a binary file holds many) and passes. What can still arrive is an
 * unpaired UTF-16 surrogate from a JSON {@code \ud800} escape; it cannot be written as UTF-8 by any
 * exporter, hence rule {@code invalid_utf8}. Resource and scope attributes are not checked (they
 * are shared by every item of a request; the receivers' body limits bound them).
 *
 * <p>Thread-safe and stateless apart from counters; one instance may serve every signal. Never
 * throws: should the validation itself fail (a bug), the batch goes on unvalidated and the failure
 * is logged at most once a minute. The returned batch is new when anything was dropped or
 * repaired; otherwise the very batch received, so valid traffic costs no copy.
 */
public final class ValidationProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(ValidationProcessor.class);

  /** The label {@code transport} of {@code gateway_rejected_items_total} for validation. */
  public static final String TRANSPORT = "validation";

  /** 2000-01-01T00:00:00Z: nothing OTLP carries is older; earlier times are broken clocks. */
  static final long MIN_TIME_NANOS = 946_684_800_000_000_000L;

  private static final int MAX_REASONS = 3;
  private static final ValidationRule[] RULES = ValidationRule.values();

  private final ValidationConfig config;
  private final GatewayMetrics metrics;
  private final Clock clock;
  private final ValidationConfig.Mode[] modes = new ValidationConfig.Mode[RULES.length];
  private final long maxValueBytes;
  private final Map<String, Counter> repairCounters = new ConcurrentHashMap<>();
  private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(2));

  private ValidationProcessor(ValidationConfig config, GatewayMetrics metrics, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
    for (ValidationRule r : RULES) {
      modes[r.ordinal()] = config.mode(r);
    }
    this.maxValueBytes = config.maxAttributeValueBytes();
  }

  /**
   * @param metrics where rejections and repairs are counted
   * @param clock the gateway's time, for {@code future_timestamp}
   */
  public static ValidationProcessor create(ValidationConfig config, GatewayMetrics metrics, Clock clock) {
    return new ValidationProcessor(config, metrics, clock);
  }

  public ValidationConfig config() {
    return config;
  }

  @Override
  public BatchConsumer wrap(BatchConsumer next) {
    Objects.requireNonNull(next, "next");
    return batch -> consume(batch, next);
  }

  private ConsumeResult consume(TelemetryBatch batch, BatchConsumer next) {
    Result r;
    try {
      r = validate(batch);
    } catch (RuntimeException e) {
      long now = System.nanoTime();
      long last = lastErrorLog.get();
      if (now - last >= TimeUnit.MINUTES.toNanos(1) && lastErrorLog.compareAndSet(last, now)) {
        LOG.error("validation failed unexpectedly; the batch goes on unvalidated", e);
      }
      return next.consume(batch);
    }
    Signal signal = batch.signal();
    r.rejectedByRule().forEach((rule, n) -> metrics.rejected(signal, TRANSPORT, rule.id(), n));
    r.repairedByRule().forEach((rule, n) -> repairCounter(signal, rule).increment(n));
    if (r.rejected() == 0) {
      return next.consume(r.batch());
    }
    if (r.batch().isEmpty()) {
      return ConsumeResult.partial(r.rejected(), r.message());
    }
    return next.consume(r.batch()).plusRejected(r.rejected(), r.message());
  }

  private Counter repairCounter(Signal signal, ValidationRule rule) {
    return repairCounters.computeIfAbsent(
        signal.id() + '|' + rule.id(),
        k ->
            Counter.builder("gateway.repaired.items")
                .description("Items the validation repaired and let through, by rule")
                .tags("signal", signal.id(), "reason", rule.id())
                .register(metrics.registry()));
  }

  /**
   * What validation makes of a batch (package-private: the tests look at it without a consumer).
   *
   * @param batch the valid and repaired items (the batch received when nothing changed)
   * @param rejected items dropped
   * @param message the client's partial-success message, empty when nothing was dropped
   */
  record Result(
      TelemetryBatch batch,
      long rejected,
      String message,
      Map<ValidationRule, Long> rejectedByRule,
      Map<ValidationRule, Long> repairedByRule) {}

  Result validate(TelemetryBatch batch) {
    Run run = new Run(batch.signal());
    TelemetryBatch out;
    if (batch instanceof MetricsBatch m) {
      out = run.metrics(m);
    } else if (batch instanceof LogsBatch l) {
      out = run.logs(l);
    } else {
      out = run.traces((TracesBatch) batch);
    }
    return new Result(out, run.rejected, run.message(), run.byRule(run.rejectedBy), run.byRule(run.repairedBy));
  }

  private ValidationConfig.Mode mode(ValidationRule rule) {
    return modes[rule.ordinal()];
  }

  private boolean on(ValidationRule rule) {
    return modes[rule.ordinal()] != ValidationConfig.Mode.PASS;
  }

  private boolean rejects(ValidationRule rule) {
    return modes[rule.ordinal()] == ValidationConfig.Mode.REJECT;
  }

  static String marker(long bytes) {
    return "…[truncated by gateway: " + bytes + " bytes]";
  }

  /** The state of one validation: the current item, what was rejected and repaired. */
  private final class Run {
    final Signal signal;
    final long nowNanos;
    final long latestNanos;
    final long[] rejectedBy = new long[RULES.length];
    final long[] repairedBy = new long[RULES.length];
    final boolean[] repairedNow = new boolean[RULES.length];
    final List<String> reasons = new ArrayList<>(MAX_REASONS);
    long rejected;
    long unlisted;

    String label = "";
    ValidationRule failRule;
    String failMessage;
    int droppedByRepair;

    Run(Signal signal) {
      this.signal = signal;
      Instant now = clock.instant();
      this.nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      long skew = config.maxFutureSkew().toNanos();
      this.latestNanos = nowNanos + skew;
    }

    Map<ValidationRule, Long> byRule(long[] counts) {
      Map<ValidationRule, Long> m = null;
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] > 0) {
          if (m == null) {
            m = new EnumMap<>(ValidationRule.class);
          }
          m.put(RULES[i], counts[i]);
        }
      }
      return m == null ? Map.of() : Collections.unmodifiableMap(m);
    }

    String message() {
      if (rejected == 0) {
        return "";
      }
      StringBuilder sb = new StringBuilder();
      sb.append(rejected).append(' ').append(itemWord(rejected)).append(" rejected: ");
      sb.append(String.join("; ", reasons));
      if (unlisted > 0) {
        sb.append("; ").append(unlisted).append(" more for other reasons");
      }
      return sb.toString();
    }

    private String itemWord(long n) {
      return switch (signal) {
        case METRICS -> n == 1 ? "data point" : "data points";
        case LOGS -> n == 1 ? "log record" : "log records";
        case TRACES -> n == 1 ? "span" : "spans";
      };
    }

    void startItem(String itemLabel) {
      label = itemLabel;
      failRule = null;
      failMessage = null;
      droppedByRepair = 0;
      Arrays.fill(repairedNow, false);
    }

    /** Records why the current item is rejected; returns null for the caller to return. */
    <T> T fail(ValidationRule rule, String message) {
      failRule = rule;
      failMessage = message;
      return null;
    }

    void repaired(ValidationRule rule) {
      repairedNow[rule.ordinal()] = true;
    }

    /** Ends the current item, which stood for {@code items} items (a whole metric's points). */
    void endItem(long items) {
      if (failRule != null) {
        if (items == 0) {
          return;
        }
        rejectedBy[failRule.ordinal()] += items;
        rejected += items;
        String msg = label + ": " + failMessage;
        if (!reasons.contains(msg)) {
          if (reasons.size() < MAX_REASONS) {
            reasons.add(msg);
          } else {
            unlisted += items;
          }
        }
      } else {
        for (int i = 0; i < repairedNow.length; i++) {
          if (repairedNow[i]) {
            repairedBy[i] += items;
          }
        }
      }
    }

    // ---- metrics

    MetricsBatch metrics(MetricsBatch batch) {
      List<Metric> in = batch.metrics();
      List<Metric> out = null;
      for (int i = 0; i < in.size(); i++) {
        Metric m = in.get(i);
        Metric r = metric(m);
        if (r != m && out == null) {
          out = new ArrayList<>(in.subList(0, i));
        }
        if (out != null && r != null) {
          out.add(r);
        }
      }
      return out == null ? batch : new MetricsBatch(out);
    }

    private Metric metric(Metric m) {
      int n = m.points().size();
      String name = m.name();
      String itemLabel = name.isEmpty() ? "metric" : Texts.name(name);
      if (name.isEmpty() && rejects(ValidationRule.EMPTY_NAME)) {
        return rejectAll(itemLabel, n, ValidationRule.EMPTY_NAME, "empty name");
      }
      String description = m.description();
      String unit = m.unit();
      boolean renamed = false;
      if (on(ValidationRule.INVALID_UTF8)
          && (Texts.firstUnpairedSurrogate(name) >= 0
              || Texts.firstUnpairedSurrogate(description) >= 0
              || Texts.firstUnpairedSurrogate(unit) >= 0)) {
        if (rejects(ValidationRule.INVALID_UTF8)) {
          return rejectAll(
              itemLabel, n, ValidationRule.INVALID_UTF8,
              "metric name, description or unit has an unpaired surrogate (not valid UTF-8)");
        }
        name = Texts.fixSurrogates(name);
        description = Texts.fixSurrogates(description);
        unit = Texts.fixSurrogates(unit);
        renamed = true;
        repairedBy[ValidationRule.INVALID_UTF8.ordinal()] += n;
      }
      if (rejects(ValidationRule.CLAUDE_CODE_METRIC_TYPE)) {
        String wrong = ClaudeCodeSchema.wrongKind(m);
        if (wrong != null) {
          return rejectAll(itemLabel, n, ValidationRule.CLAUDE_CODE_METRIC_TYPE, wrong);
        }
      }
      List<? extends DataPoint> points = m.points();
      List<DataPoint> kept = null;
      for (int i = 0; i < n; i++) {
        DataPoint p = points.get(i);
        startItem(itemLabel);
        DataPoint q = point(m, name, p);
        endItem(1);
        if (q != p && kept == null) {
          kept = new ArrayList<>(points.subList(0, i));
        }
        if (kept != null && q != null) {
          kept.add(q);
        }
      }
      if (kept == null && !renamed) {
        return m;
      }
      if (kept != null && kept.isEmpty()) {
        return null;
      }
      return new Metric(
          m.resource(), m.scope(), name, description, unit, m.kind(), m.temporality(), m.monotonic(),
          kept != null ? kept : points);
    }

    private Metric rejectAll(String itemLabel, int points, ValidationRule rule, String message) {
      startItem(itemLabel);
      fail(rule, message);
      endItem(points);
      return null;
    }

    private DataPoint point(Metric m, String name, DataPoint p) {
      Attributes attrs = attributes(p.attributes());
      if (attrs == null) {
        return null;
      }
      long start = p.startTimeNanos();
      long time = p.timeNanos();
      if (rejects(ValidationRule.OLD_TIMESTAMP)) {
        if (time == 0) {
          return fail(ValidationRule.OLD_TIMESTAMP, "time is unset");
        }
        if (tooOld(time)) {
          return fail(ValidationRule.OLD_TIMESTAMP, "time " + Texts.instant(time) + " is before 2000-01-01");
        }
        if (start != 0 && tooOld(start)) {
          return fail(ValidationRule.OLD_TIMESTAMP, "start time " + Texts.instant(start) + " is before 2000-01-01");
        }
      }
      if (on(ValidationRule.FUTURE_TIMESTAMP)) {
        if (inFuture(time)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("time", time));
          }
          time = nowNanos;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
        if (start != 0 && inFuture(start)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("start time", start));
          }
          start = Long.compareUnsigned(nowNanos, time) < 0 ? nowNanos : time;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
      }
      DataPoint out;
      if (p instanceof NumberPoint np) {
        out = number(m, np, attrs, start, time);
      } else if (p instanceof HistogramPoint hp) {
        out = histogram(hp, attrs, start, time);
      } else if (p instanceof ExponentialHistogramPoint ep) {
        out = exponential(ep, attrs, start, time);
      } else {
        out = summary((SummaryPoint) p, attrs, start, time);
      }
      if (out == null) {
        return null;
      }
      boolean missingOn = rejects(ValidationRule.CLAUDE_CODE_MISSING_ATTRIBUTE);
      boolean valueOn = rejects(ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE);
      if ((missingOn || valueOn) && ClaudeCodeSchema.isKnownMetric(name)) {
        ClaudeCodeSchema.Violation v = ClaudeCodeSchema.checkMetricPoint(name, attrs, missingOn, valueOn);
        if (v != null) {
          return fail(v.rule(), v.message());
        }
      }
      return out;
    }

    private DataPoint number(Metric m, NumberPoint p, Attributes attrs, long start, long time) {
      double d = p.doubleValue();
      long l = p.longValue();
      if (m.kind() == MetricKind.SUM && !p.noRecordedValue()) {
        if (p.isDouble() && !Double.isFinite(d) && rejects(ValidationRule.NON_FINITE_VALUE)) {
          return fail(ValidationRule.NON_FINITE_VALUE, "non-finite value " + d + " in a sum");
        }
        if (m.monotonic() && on(ValidationRule.NEGATIVE_MONOTONIC) && (p.isDouble() ? d < 0 : l < 0)) {
          if (rejects(ValidationRule.NEGATIVE_MONOTONIC)) {
            return fail(
                ValidationRule.NEGATIVE_MONOTONIC,
                "negative value " + Texts.number(p.isDouble(), d, l) + " in a monotonic sum");
          }
          d = 0.0;
          l = 0L;
          repaired(ValidationRule.NEGATIVE_MONOTONIC);
        }
      }
      if (attrs == p.attributes() && start == p.startTimeNanos() && time == p.timeNanos()
          && Double.compare(d, p.doubleValue()) == 0 && l == p.longValue()) {
        return p;
      }
      return new NumberPoint(attrs, start, time, p.isDouble(), d, l, p.flags());
    }

    private DataPoint histogram(HistogramPoint p, Attributes attrs, long start, long time) {
      if (rejects(ValidationRule.INVALID_HISTOGRAM)) {
        String problem = histogramProblem(p);
        if (problem != null) {
          return fail(ValidationRule.INVALID_HISTOGRAM, problem);
        }
      }
      double sum = checkSum(p.sum(), "histogram");
      if (failRule != null) {
        return null;
      }
      if (attrs == p.attributes() && start == p.startTimeNanos() && time == p.timeNanos()
          && Double.compare(sum, p.sum()) == 0) {
        return p;
      }
      return new HistogramPoint(
          attrs, start, time, p.count(), sum, p.explicitBounds(), p.bucketCounts(), p.min(), p.max(), p.flags());
    }

    private DataPoint exponential(ExponentialHistogramPoint p, Attributes attrs, long start, long time) {
      if (rejects(ValidationRule.INVALID_HISTOGRAM)) {
        String problem = exponentialProblem(p);
        if (problem != null) {
          return fail(ValidationRule.INVALID_HISTOGRAM, problem);
        }
      }
      double sum = checkSum(p.sum(), "histogram");
      if (failRule != null) {
        return null;
      }
      if (attrs == p.attributes() && start == p.startTimeNanos() && time == p.timeNanos()
          && Double.compare(sum, p.sum()) == 0) {
        return p;
      }
      return new ExponentialHistogramPoint(
          attrs, start, time, p.count(), sum, p.scale(), p.zeroCount(), p.zeroThreshold(), p.positiveOffset(),
          p.positiveBucketCounts(), p.negativeOffset(), p.negativeBucketCounts(), p.min(), p.max(), p.flags());
    }

    private DataPoint summary(SummaryPoint p, Attributes attrs, long start, long time) {
      if (rejects(ValidationRule.INVALID_HISTOGRAM) && p.count() < 0) {
        return fail(ValidationRule.INVALID_HISTOGRAM, "count " + Long.toUnsignedString(p.count()) + " is out of range");
      }
      // A summary's sum may be negative (Prometheus allows it); only NaN and infinities are wrong.
      if (!Double.isFinite(p.sum()) && rejects(ValidationRule.NON_FINITE_VALUE)) {
        return fail(ValidationRule.NON_FINITE_VALUE, "non-finite sum " + p.sum() + " in a summary");
      }
      if (attrs == p.attributes() && start == p.startTimeNanos() && time == p.timeNanos()) {
        return p;
      }
      return new SummaryPoint(attrs, start, time, p.count(), p.sum(), p.quantiles(), p.flags());
    }

    /** A histogram sum after the checks: NaN (absent) when repaired away; sets failRule when rejected. */
    private double checkSum(double sum, String what) {
      if (Double.isNaN(sum)) {
        return sum;
      }
      if (Double.isInfinite(sum) && rejects(ValidationRule.NON_FINITE_VALUE)) {
        return failSum(ValidationRule.NON_FINITE_VALUE, "non-finite sum " + sum + " in a " + what);
      }
      if (sum < 0 && on(ValidationRule.NEGATIVE_MONOTONIC)) {
        // OTLP: "Sum should only be filled out when measuring non-negative discrete events";
        // Prometheus treats a histogram's _sum as a counter.
        if (rejects(ValidationRule.NEGATIVE_MONOTONIC)) {
          return failSum(ValidationRule.NEGATIVE_MONOTONIC, "negative sum " + sum + " in a " + what);
        }
        repaired(ValidationRule.NEGATIVE_MONOTONIC);
        return Double.NaN;
      }
      return sum;
    }

    private double failSum(ValidationRule rule, String message) {
      fail(rule, message);
      return Double.NaN;
    }

    private String histogramProblem(HistogramPoint p) {
      if (p.count() < 0) {
        return "count " + Long.toUnsignedString(p.count()) + " is out of range";
      }
      List<Double> bounds = p.explicitBounds();
      List<Long> buckets = p.bucketCounts();
      if (!buckets.isEmpty() && buckets.size() != bounds.size() + 1) {
        return buckets.size() + " bucket counts for " + bounds.size() + " bounds (expected " + (bounds.size() + 1) + ")";
      }
      double previous = Double.NEGATIVE_INFINITY;
      for (double b : bounds) {
        if (!Double.isFinite(b) || b <= previous) {
          return "explicit bounds are not strictly increasing finite numbers";
        }
        previous = b;
      }
      if (!buckets.isEmpty()) {
        String problem = bucketSum(buckets, 0, p.count());
        if (problem != null) {
          return problem;
        }
      }
      return null;
    }

    private String exponentialProblem(ExponentialHistogramPoint p) {
      if (p.count() < 0) {
        return "count " + Long.toUnsignedString(p.count()) + " is out of range";
      }
      if (p.zeroCount() < 0) {
        return "zero count " + Long.toUnsignedString(p.zeroCount()) + " is out of range";
      }
      List<Long> all = new ArrayList<>(p.positiveBucketCounts());
      all.addAll(p.negativeBucketCounts());
      return bucketSum(all, p.zeroCount(), p.count());
    }

    private String bucketSum(List<Long> buckets, long start, long count) {
      long total = start;
      for (long c : buckets) {
        if (c < 0) {
          return "bucket count " + Long.toUnsignedString(c) + " is out of range";
        }
        total += c;
        if (total < 0) {
          return "bucket counts overflow";
        }
      }
      if (total != count) {
        return "bucket counts add up to " + total + ", not to the count " + count;
      }
      return null;
    }

    // ---- logs

    LogsBatch logs(LogsBatch batch) {
      List<LogRecord> in = batch.records();
      List<LogRecord> out = null;
      for (int i = 0; i < in.size(); i++) {
        LogRecord r = in.get(i);
        String event = r.effectiveEventName();
        startItem(event.isEmpty() ? "log record" : "event " + Texts.name(event));
        LogRecord q = record(r, event);
        endItem(1);
        if (q != r && out == null) {
          out = new ArrayList<>(in.subList(0, i));
        }
        if (out != null && q != null) {
          out.add(q);
        }
      }
      return out == null ? batch : new LogsBatch(out);
    }

    private LogRecord record(LogRecord r, String event) {
      Attributes attrs = attributes(r.attributes());
      if (attrs == null) {
        return null;
      }
      int dropped = r.droppedAttributesCount() + droppedByRepair;
      Object body = r.body();
      if (body != null) {
        if (on(ValidationRule.INVALID_UTF8) && badUtf8(body)) {
          if (rejects(ValidationRule.INVALID_UTF8)) {
            return fail(ValidationRule.INVALID_UTF8, "body has an unpaired surrogate (not valid UTF-8)");
          }
          body = fixUtf8(body);
          repaired(ValidationRule.INVALID_UTF8);
        }
        if (on(ValidationRule.VALUE_TOO_LONG)) {
          long size = oversize(body);
          if (size >= 0) {
            if (rejects(ValidationRule.VALUE_TOO_LONG)) {
              return fail(ValidationRule.VALUE_TOO_LONG, "body is " + size + " bytes, " + overLimit());
            }
            body = cut(body);
            repaired(ValidationRule.VALUE_TOO_LONG);
          }
        }
      }
      String eventName = r.eventName();
      if (on(ValidationRule.INVALID_UTF8) && Texts.firstUnpairedSurrogate(eventName) >= 0) {
        if (rejects(ValidationRule.INVALID_UTF8)) {
          return fail(ValidationRule.INVALID_UTF8, "event name has an unpaired surrogate (not valid UTF-8)");
        }
        eventName = Texts.fixSurrogates(eventName);
        repaired(ValidationRule.INVALID_UTF8);
      }
      long time = r.timeNanos();
      long observed = r.observedTimeNanos();
      if (rejects(ValidationRule.OLD_TIMESTAMP)) {
        // OTLP: time_unix_nano is optional when observed_time_unix_nano is set (and vice versa).
        if (time == 0 && observed == 0) {
          return fail(ValidationRule.OLD_TIMESTAMP, "time and observed time are both unset");
        }
        if (time != 0 && tooOld(time)) {
          return fail(ValidationRule.OLD_TIMESTAMP, "time " + Texts.instant(time) + " is before 2000-01-01");
        }
        if (observed != 0 && tooOld(observed)) {
          return fail(
              ValidationRule.OLD_TIMESTAMP, "observed time " + Texts.instant(observed) + " is before 2000-01-01");
        }
      }
      if (on(ValidationRule.FUTURE_TIMESTAMP)) {
        if (time != 0 && inFuture(time)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("time", time));
          }
          time = nowNanos;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
        if (observed != 0 && inFuture(observed)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("observed time", observed));
          }
          observed = nowNanos;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
      }
      boolean missingOn = rejects(ValidationRule.CLAUDE_CODE_MISSING_ATTRIBUTE);
      boolean valueOn = rejects(ValidationRule.CLAUDE_CODE_ATTRIBUTE_VALUE);
      if ((missingOn || valueOn) && !event.isEmpty() && ClaudeCodeSchema.isClaudeCodeEvent(r)) {
        ClaudeCodeSchema.Violation v = ClaudeCodeSchema.checkEvent(event, attrs, missingOn, valueOn);
        if (v != null) {
          return fail(v.rule(), v.message());
        }
      }
      if (attrs == r.attributes() && body == r.body() && eventName.equals(r.eventName())
          && time == r.timeNanos() && observed == r.observedTimeNanos()) {
        return r;
      }
      return new LogRecord(
          r.resource(), r.scope(), time, observed, r.severityNumber(), r.severityText(), body, attrs, eventName,
          r.traceId(), r.spanId(), r.flags(), dropped);
    }

    // ---- traces

    TracesBatch traces(TracesBatch batch) {
      List<Span> in = batch.spans();
      List<Span> out = null;
      for (int i = 0; i < in.size(); i++) {
        Span s = in.get(i);
        startItem(s.name().isEmpty() ? "span" : "span " + Texts.name(s.name()));
        Span q = span(s);
        endItem(1);
        if (q != s && out == null) {
          out = new ArrayList<>(in.subList(0, i));
        }
        if (out != null && q != null) {
          out.add(q);
        }
      }
      return out == null ? batch : new TracesBatch(out);
    }

    private Span span(Span s) {
      String name = s.name();
      if (name.isEmpty() && rejects(ValidationRule.EMPTY_NAME)) {
        return fail(ValidationRule.EMPTY_NAME, "empty name");
      }
      if (on(ValidationRule.INVALID_UTF8) && Texts.firstUnpairedSurrogate(name) >= 0) {
        if (rejects(ValidationRule.INVALID_UTF8)) {
          return fail(ValidationRule.INVALID_UTF8, "span name has an unpaired surrogate (not valid UTF-8)");
        }
        name = Texts.fixSurrogates(name);
        repaired(ValidationRule.INVALID_UTF8);
      }
      Attributes attrs = attributes(s.attributes());
      if (attrs == null) {
        return null;
      }
      List<Span.Event> events = s.events();
      List<Span.Event> newEvents = null;
      for (int i = 0; i < events.size(); i++) {
        Span.Event e = events.get(i);
        Attributes ea = attributes(e.attributes());
        if (ea == null) {
          failMessage = "in span event " + Texts.name(e.name()) + ", " + failMessage;
          return null;
        }
        String eventName = e.name();
        if (on(ValidationRule.INVALID_UTF8) && Texts.firstUnpairedSurrogate(eventName) >= 0) {
          if (rejects(ValidationRule.INVALID_UTF8)) {
            return fail(ValidationRule.INVALID_UTF8, "span event name has an unpaired surrogate (not valid UTF-8)");
          }
          eventName = Texts.fixSurrogates(eventName);
          repaired(ValidationRule.INVALID_UTF8);
        }
        if ((ea != e.attributes() || !eventName.equals(e.name())) && newEvents == null) {
          newEvents = new ArrayList<>(events.subList(0, i));
        }
        if (newEvents != null) {
          newEvents.add(ea == e.attributes() && eventName.equals(e.name()) ? e : new Span.Event(eventName, e.timeNanos(), ea));
        }
      }
      long start = s.startTimeNanos();
      long end = s.endTimeNanos();
      if (rejects(ValidationRule.OLD_TIMESTAMP)) {
        if (start == 0) {
          return fail(ValidationRule.OLD_TIMESTAMP, "start time is unset");
        }
        if (end == 0) {
          return fail(ValidationRule.OLD_TIMESTAMP, "end time is unset");
        }
        if (tooOld(start)) {
          return fail(ValidationRule.OLD_TIMESTAMP, "start time " + Texts.instant(start) + " is before 2000-01-01");
        }
        if (tooOld(end)) {
          return fail(ValidationRule.OLD_TIMESTAMP, "end time " + Texts.instant(end) + " is before 2000-01-01");
        }
      }
      if (on(ValidationRule.FUTURE_TIMESTAMP)) {
        if (inFuture(start)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("start time", start));
          }
          start = nowNanos;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
        if (inFuture(end)) {
          if (rejects(ValidationRule.FUTURE_TIMESTAMP)) {
            return fail(ValidationRule.FUTURE_TIMESTAMP, futureMessage("end time", end));
          }
          end = nowNanos;
          repaired(ValidationRule.FUTURE_TIMESTAMP);
        }
      }
      if (attrs == s.attributes() && newEvents == null && name.equals(s.name())
          && start == s.startTimeNanos() && end == s.endTimeNanos()) {
        return s;
      }
      return new Span(
          s.resource(), s.scope(), s.traceId(), s.spanId(), s.parentSpanId(), name, s.kind(), start, end, attrs,
          newEvents != null ? newEvents : events, s.statusCode(), s.statusMessage());
    }

    // ---- attributes, shared by every item kind

    /**
     * An item's attributes after the attribute rules: the same instance when nothing is wrong, a
     * repaired copy, or null when the item is rejected (failRule says why).
     */
    private Attributes attributes(Attributes a) {
      droppedByRepair = 0;
      if (a.isEmpty()) {
        return a;
      }
      Attributes out = a;
      if (on(ValidationRule.DUPLICATE_KEYS)) {
        String dup = firstDuplicate(out);
        if (dup != null) {
          if (rejects(ValidationRule.DUPLICATE_KEYS)) {
            return fail(ValidationRule.DUPLICATE_KEYS, "duplicate attribute key '" + Texts.name(dup) + "'");
          }
          // Builder.put keeps one pair per key, at the first position, with the last value.
          Attributes.Builder b = Attributes.builder(out.size());
          out.forEach(b::put);
          out = b.build();
          repaired(ValidationRule.DUPLICATE_KEYS);
        }
      }
      if (on(ValidationRule.INVALID_UTF8)) {
        for (int i = 0; i < out.size(); i++) {
          boolean badKey = Texts.firstUnpairedSurrogate(out.key(i)) >= 0;
          if (badKey || badUtf8(out.value(i))) {
            if (rejects(ValidationRule.INVALID_UTF8)) {
              return fail(
                  ValidationRule.INVALID_UTF8,
                  (badKey ? "attribute key '" : "attribute '") + Texts.name(out.key(i))
                      + "' has an unpaired surrogate (not valid UTF-8)");
            }
            Attributes.Builder b = Attributes.builder(out.size());
            for (int j = 0; j < out.size(); j++) {
              b.add(Texts.fixSurrogates(out.key(j)), fixUtf8(out.value(j)));
            }
            out = b.build();
            repaired(ValidationRule.INVALID_UTF8);
            break;
          }
        }
      }
      if (on(ValidationRule.VALUE_TOO_LONG)) {
        for (int i = 0; i < out.size(); i++) {
          long size = oversize(out.value(i));
          if (size >= 0) {
            if (rejects(ValidationRule.VALUE_TOO_LONG)) {
              String what = out.value(i) instanceof List || out.value(i) instanceof Attributes ? "' holds a value of " : "' is ";
              return fail(
                  ValidationRule.VALUE_TOO_LONG,
                  "attribute '" + Texts.name(out.key(i)) + what + size + " bytes, " + overLimit());
            }
            Attributes.Builder b = Attributes.builder(out.size());
            for (int j = 0; j < out.size(); j++) {
              b.add(out.key(j), cut(out.value(j)));
            }
            out = b.build();
            repaired(ValidationRule.VALUE_TOO_LONG);
            break;
          }
        }
      }
      int max = config.maxAttributes();
      if (out.size() > max && on(ValidationRule.TOO_MANY_ATTRIBUTES)) {
        if (rejects(ValidationRule.TOO_MANY_ATTRIBUTES)) {
          return fail(
              ValidationRule.TOO_MANY_ATTRIBUTES,
              out.size() + " attributes, more than " + max + " (max_attributes)");
        }
        Attributes.Builder b = Attributes.builder(max);
        for (int j = 0; j < max; j++) {
          b.add(out.key(j), out.value(j));
        }
        droppedByRepair = out.size() - max;
        out = b.build();
        repaired(ValidationRule.TOO_MANY_ATTRIBUTES);
      }
      return out;
    }

    private String overLimit() {
      return "more than " + maxValueBytes + " (max_attribute_value_bytes)";
    }

    private boolean tooOld(long nanos) {
      return Long.compareUnsigned(nanos, MIN_TIME_NANOS) < 0;
    }

    private boolean inFuture(long nanos) {
      return Long.compareUnsigned(nanos, latestNanos) > 0;
    }

    private String futureMessage(String what, long nanos) {
      return what + " " + Texts.instant(nanos) + " is more than " + Texts.duration(config.maxFutureSkew())
          + " in the future";
    }

    // ---- values

    /** UTF-8 size of the first string or bytes in {@code v} over the limit, or -1. */
    private long oversize(Object v) {
      if (v instanceof String s) {
        if (Texts.surelyWithin(s, maxValueBytes)) {
          return -1;
        }
        long n = Texts.utf8Length(s);
        return n > maxValueBytes ? n : -1;
      }
      if (v instanceof ByteBuffer bb) {
        return bb.remaining() > maxValueBytes ? bb.remaining() : -1;
      }
      if (v instanceof List<?> list) {
        for (Object e : list) {
          long n = oversize(e);
          if (n >= 0) {
            return n;
          }
        }
        return -1;
      }
      if (v instanceof Attributes kv) {
        for (int i = 0; i < kv.size(); i++) {
          long n = oversize(kv.value(i));
          if (n >= 0) {
            return n;
          }
        }
      }
      return -1;
    }

    /** {@code v} with every string or bytes over the limit cut (strings end in the marker). */
    private Object cut(Object v) {
      if (v instanceof String s) {
        if (Texts.surelyWithin(s, maxValueBytes)) {
          return s;
        }
        long length = Texts.utf8Length(s);
        if (length <= maxValueBytes) {
          return s;
        }
        // The marker names the bytes removed; sized for the largest count so the result fits.
        long budget = maxValueBytes - Texts.utf8Length(marker(length));
        String kept = Texts.prefixWithinBytes(s, budget);
        return kept + marker(length - Texts.utf8Length(kept));
      }
      if (v instanceof ByteBuffer bb) {
        if (bb.remaining() <= maxValueBytes) {
          return bb;
        }
        ByteBuffer dup = bb.duplicate();
        dup.limit(dup.position() + (int) maxValueBytes);
        return dup.slice().asReadOnlyBuffer();
      }
      if (v instanceof List<?> list) {
        List<Object> out = new ArrayList<>(list.size());
        for (Object e : list) {
          out.add(cut(e));
        }
        return List.copyOf(out);
      }
      if (v instanceof Attributes kv) {
        Attributes.Builder b = Attributes.builder(kv.size());
        for (int i = 0; i < kv.size(); i++) {
          b.add(kv.key(i), cut(kv.value(i)));
        }
        return b.build();
      }
      return v;
    }
  }

  static String firstDuplicate(Attributes a) {
    int n = a.size();
    if (n < 2) {
      return null;
    }
    if (n <= 16) {
      for (int i = 1; i < n; i++) {
        String k = a.key(i);
        for (int j = 0; j < i; j++) {
          if (a.key(j).equals(k)) {
            return k;
          }
        }
      }
      return null;
    }
    Set<String> seen = new HashSet<>(n * 2);
    for (int i = 0; i < n; i++) {
      if (!seen.add(a.key(i))) {
        return a.key(i);
      }
    }
    return null;
  }

  static boolean badUtf8(Object v) {
    if (v instanceof String s) {
      return Texts.firstUnpairedSurrogate(s) >= 0;
    }
    if (v instanceof List<?> list) {
      for (Object e : list) {
        if (badUtf8(e)) {
          return true;
        }
      }
      return false;
    }
    if (v instanceof Attributes kv) {
      for (int i = 0; i < kv.size(); i++) {
        if (Texts.firstUnpairedSurrogate(kv.key(i)) >= 0 || badUtf8(kv.value(i))) {
          return true;
        }
      }
    }
    return false;
  }

  static Object fixUtf8(Object v) {
    if (v instanceof String s) {
      return Texts.fixSurrogates(s);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object e : list) {
        out.add(fixUtf8(e));
      }
      return List.copyOf(out);
    }
    if (v instanceof Attributes kv) {
      Attributes.Builder b = Attributes.builder(kv.size());
      for (int i = 0; i < kv.size(); i++) {
        b.add(Texts.fixSurrogates(kv.key(i)), fixUtf8(kv.value(i)));
      }
      return b.build();
    }
    return v;
  }
}

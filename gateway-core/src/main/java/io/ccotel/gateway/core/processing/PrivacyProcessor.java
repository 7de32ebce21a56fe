package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.metrics.GatewayMetrics;
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
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.core.pipeline.Processor;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what Claude Code may send about a developer's work before any exporter sees it: prompt
 * and response text, tool parameters and input, raw API bodies, tool output on spans (the
 * sensitive fields of {@link PrivacyConfig}); scrubs known secrets from the fields an operator
 * keeps; hashes or drops {@code user.email}. Applies to log records, spans (and their events),
 * metric points and the resources they share.
 *
 * <p>Secrets, each replaced by {@code [REDACTED:<kind>]}: {@code anthropic_api_key} ({@code
 * sk-ant-…}), {@code openai_api_key} ({@code sk-…}, {@code sk-proj-…}), {@code aws_access_key_id}
 * ({@code AKIA}/{@code ASIA} + 16), {@code aws_secret_access_key} (the value after {@code
 * aws_secret_access_key=} or {@code :}), {@code github_token} ({@code ghp_ gho_ ghu_ ghs_ ghr_
 * github_pat_}), {@code slack_token} ({@code xoxa- xoxb- xoxp- xoxr- xoxs-}), {@code bearer_token}
 * (the token after {@code Bearer }), {@code private_key} (a whole PEM private key block, or from
 * its BEGIN line to the end when cut), {@code password} (the value of {@code password=…}, {@code
 * password: …}, {@code "password":"…"}, also {@code db_password}, {@code PGPASSWORD}, {@code
 * passwd}).
 *
 * <p>Counted in {@code gateway_redactions_total{kind}}: the secret kinds above, {@code
 * removed_attribute} (each sensitive or configured attribute removed, and {@code user.email} when
 * dropped) and {@code email_hashed}. Every kind is registered at creation, so the series exist at 0.
 *
 * <p>The result is a new immutable batch holding new records only where something changed;
 * unchanged items, resources and scopes are the same objects, and a batch with nothing to remove
 * is returned as it came. Attribute order is kept; a removed pair just disappears.
 *
 * <p>Thread-safe. Fails closed: should the processor itself fail (a bug), the batch is not passed
 * on unredacted but rejected (partial success, {@code
 * gateway_rejected_items_total{transport="privacy",reason="privacy_error"}}), logged at most once a
 * minute.
 */
public final class PrivacyProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(PrivacyProcessor.class);

  /** The label {@code transport} of {@code gateway_rejected_items_total} for a failure here. */
  public static final String TRANSPORT = "privacy";

  static final String EMAIL_KEY = "user.email";
  private static final List<String> ANYWHERE =
      List.of("prompt", "prompt_text", "response", "tool_parameters", "tool_input", "user_prompt");
  private static final List<String> SPAN_EVENT_ONLY = List.of("output", "content", "diff");
  private static final List<String> RAW_BODY_EVENTS = List.of("api_request_body", "api_response_body");
  private static final SecretScrubber.Kind[] KINDS = SecretScrubber.Kind.values();
  private static final HexFormat HEX = HexFormat.of();

  private enum Action {
    REMOVE,
    SCRUB,
    EMAIL
  }

  private final PrivacyConfig config;
  private final GatewayMetrics metrics;
  private final Counter[] counters = new Counter[KINDS.length];
  private final Map<String, Action> itemActions;
  private final Map<String, Action> bodyEventActions;
  private final Map<String, Action> spanEventActions;
  private final ThreadLocal<Mac> mac;
  private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(2));

  private PrivacyProcessor(PrivacyConfig config, GatewayMetrics metrics) {
    this.config = Objects.requireNonNull(config, "config");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    for (SecretScrubber.Kind k : KINDS) {
      counters[k.ordinal()] =
          Counter.builder("gateway.redactions")
              .description("Sensitive attributes removed, secrets scrubbed and emails hashed, by kind")
              .tag("kind", k.id())
              .register(metrics.registry());
    }
    Map<String, Action> item = new HashMap<>();
    for (String k : config.scrub()) {
      if (config.scrubSecrets()) {
        item.put(k, Action.SCRUB);
      }
    }
    for (String k : ANYWHERE) {
      sensitive(item, k);
    }
    switch (config.effectiveEmail()) {
      case HASH -> item.put(EMAIL_KEY, Action.EMAIL);
      case DROP -> item.put(EMAIL_KEY, Action.REMOVE);
      case KEEP -> item.remove(EMAIL_KEY);
    }
    for (String k : config.remove()) {
      item.put(k, Action.REMOVE);
    }
    Map<String, Action> body = new HashMap<>(item);
    sensitive(body, "body");
    overrideRemove(body);
    Map<String, Action> spanEvent = new HashMap<>(item);
    for (String k : SPAN_EVENT_ONLY) {
      sensitive(spanEvent, k);
    }
    overrideRemove(spanEvent);
    this.itemActions = Map.copyOf(item);
    this.bodyEventActions = Map.copyOf(body);
    this.spanEventActions = Map.copyOf(spanEvent);
    if (config.effectiveEmail() == PrivacyConfig.EmailMode.HASH) {
      byte[] key = config.emailHashKey().getBytes(StandardCharsets.UTF_8);
      this.mac = ThreadLocal.withInitial(() -> newMac(key));
      newMac(key); // fail at start-up, not on the first email
    } else {
      this.mac = null;
    }
  }

  /**
   * Builds the processor; logs a WARN when {@code user.email} is dropped only because no hash key
   * was given. Create one instance and register it for every signal (the WARN and the counters
   * then appear once).
   */
  public static PrivacyProcessor create(PrivacyConfig config, GatewayMetrics metrics) {
    if (config.email() == PrivacyConfig.EmailMode.HASH && config.emailHashKey().isEmpty()) {
      LOG.warn(
          "privacy: user.email is dropped, because email is hash (the default) but email_hash_key is not set;"
              + " set privacy.email_hash_key (e.g. ${env:GATEWAY_EMAIL_HASH_KEY}) to hash it, or privacy.email: keep or drop");
    }
    return new PrivacyProcessor(config, metrics);
  }

  public PrivacyConfig config() {
    return config;
  }

  private void sensitive(Map<String, Action> actions, String field) {
    if (!config.allow().contains(field)) {
      actions.put(field, Action.REMOVE);
    } else if (config.scrubSecrets()) {
      actions.put(field, Action.SCRUB);
    } else {
      actions.remove(field);
    }
  }

  private void overrideRemove(Map<String, Action> actions) {
    for (String k : config.remove()) {
      actions.put(k, Action.REMOVE);
    }
  }

  private static Mac newMac(byte[] key) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public BatchConsumer wrap(BatchConsumer next) {
    Objects.requireNonNull(next, "next");
    return batch -> {
      TelemetryBatch out;
      try {
        out = apply(batch);
      } catch (RuntimeException e) {
        long now = System.nanoTime();
        long last = lastErrorLog.get();
        if (now - last >= TimeUnit.MINUTES.toNanos(1) && lastErrorLog.compareAndSet(last, now)) {
          LOG.error("privacy processor failed unexpectedly; the batch is rejected rather than sent unredacted", e);
        }
        int n = batch.itemCount();
        metrics.rejected(batch.signal(), TRANSPORT, "privacy_error", n);
        return ConsumeResult.partial(
            n, n + " " + batch.signal().itemName() + " rejected: the gateway could not apply its privacy rules");
      }
      return next.consume(out);
    };
  }

  /**
   * The batch with sensitive attributes removed, secrets scrubbed and {@code user.email} handled;
   * the same batch when there was nothing to do. Counts into {@code gateway_redactions_total}.
   */
  public TelemetryBatch apply(TelemetryBatch batch) {
    Work w = new Work();
    TelemetryBatch out;
    if (batch instanceof MetricsBatch m) {
      out = metrics(m, w);
    } else if (batch instanceof LogsBatch l) {
      out = logs(l, w);
    } else {
      out = traces((TracesBatch) batch, w);
    }
    for (int i = 0; i < KINDS.length; i++) {
      if (w.counts[i] > 0) {
        counters[i].increment(w.counts[i]);
      }
    }
    return out;
  }

  /** Per call: counts by kind, resources already rewritten, emails already hashed. */
  private static final class Work {
    final long[] counts = new long[KINDS.length];
    final Map<Resource, Resource> resources = new IdentityHashMap<>();
    final Map<String, String> emails = new HashMap<>();
  }

  private MetricsBatch metrics(MetricsBatch batch, Work w) {
    List<Metric> in = batch.metrics();
    List<Metric> out = null;
    for (int i = 0; i < in.size(); i++) {
      Metric m = in.get(i);
      Resource resource = resource(m.resource(), w);
      List<? extends DataPoint> points = m.points();
      List<DataPoint> newPoints = null;
      for (int j = 0; j < points.size(); j++) {
        DataPoint p = points.get(j);
        Attributes a = attributes(p.attributes(), itemActions, w);
        if (a != p.attributes() && newPoints == null) {
          newPoints = new ArrayList<>(points.subList(0, j));
        }
        if (newPoints != null) {
          newPoints.add(a == p.attributes() ? p : withAttributes(p, a));
        }
      }
      Metric r = m;
      if (resource != m.resource() || newPoints != null) {
        r = new Metric(
            resource, m.scope(), m.name(), m.description(), m.unit(), m.kind(), m.temporality(), m.monotonic(),
            newPoints != null ? newPoints : points);
      }
      if (r != m && out == null) {
        out = new ArrayList<>(in.subList(0, i));
      }
      if (out != null) {
        out.add(r);
      }
    }
    return out == null ? batch : new MetricsBatch(out);
  }

  private static DataPoint withAttributes(DataPoint p, Attributes a) {
    if (p instanceof NumberPoint n) {
      return new NumberPoint(a, n.startTimeNanos(), n.timeNanos(), n.isDouble(), n.doubleValue(), n.longValue(), n.flags());
    }
    if (p instanceof HistogramPoint h) {
      return new HistogramPoint(
          a, h.startTimeNanos(), h.timeNanos(), h.count(), h.sum(), h.explicitBounds(), h.bucketCounts(), h.min(),
          h.max(), h.flags());
    }
    if (p instanceof ExponentialHistogramPoint e) {
      return new ExponentialHistogramPoint(
          a, e.startTimeNanos(), e.timeNanos(), e.count(), e.sum(), e.scale(), e.zeroCount(), e.zeroThreshold(),
          e.positiveOffset(), e.positiveBucketCounts(), e.negativeOffset(), e.negativeBucketCounts(), e.min(),
          e.max(), e.flags());
    }
    SummaryPoint s = (SummaryPoint) p;
    return new SummaryPoint(a, s.startTimeNanos(), s.timeNanos(), s.count(), s.sum(), s.quantiles(), s.flags());
  }

  private LogsBatch logs(LogsBatch batch, Work w) {
    List<LogRecord> in = batch.records();
    List<LogRecord> out = null;
    for (int i = 0; i < in.size(); i++) {
      LogRecord r = in.get(i);
      Map<String, Action> actions =
          RAW_BODY_EVENTS.contains(r.effectiveEventName()) ? bodyEventActions : itemActions;
      Attributes a = attributes(r.attributes(), actions, w);
      Resource resource = resource(r.resource(), w);
      LogRecord q = r;
      if (a != r.attributes() || resource != r.resource()) {
        q = new LogRecord(
            resource, r.scope(), r.timeNanos(), r.observedTimeNanos(), r.severityNumber(), r.severityText(), r.body(),
            a, r.eventName(), r.traceId(), r.spanId(), r.flags(), r.droppedAttributesCount());
      }
      if (q != r && out == null) {
        out = new ArrayList<>(in.subList(0, i));
      }
      if (out != null) {
        out.add(q);
      }
    }
    return out == null ? batch : new LogsBatch(out);
  }

  private TracesBatch traces(TracesBatch batch, Work w) {
    List<Span> in = batch.spans();
    List<Span> out = null;
    for (int i = 0; i < in.size(); i++) {
      Span s = in.get(i);
      Attributes a = attributes(s.attributes(), itemActions, w);
      Resource resource = resource(s.resource(), w);
      List<Span.Event> events = s.events();
      List<Span.Event> newEvents = null;
      for (int j = 0; j < events.size(); j++) {
        Span.Event e = events.get(j);
        Attributes ea = attributes(e.attributes(), spanEventActions, w);
        if (ea != e.attributes() && newEvents == null) {
          newEvents = new ArrayList<>(events.subList(0, j));
        }
        if (newEvents != null) {
          newEvents.add(ea == e.attributes() ? e : new Span.Event(e.name(), e.timeNanos(), ea));
        }
      }
      Span q = s;
      if (a != s.attributes() || resource != s.resource() || newEvents != null) {
        q = new Span(
            resource, s.scope(), s.traceId(), s.spanId(), s.parentSpanId(), s.name(), s.kind(), s.startTimeNanos(),
            s.endTimeNanos(), a, newEvents != null ? newEvents : events, s.statusCode(), s.statusMessage());
      }
      if (q != s && out == null) {
        out = new ArrayList<>(in.subList(0, i));
      }
      if (out != null) {
        out.add(q);
      }
    }
    return out == null ? batch : new TracesBatch(out);
  }

  /** The resource with the same rules as items; shared resources are rewritten once per batch. */
  private Resource resource(Resource r, Work w) {
    Resource done = w.resources.get(r);
    if (done == null) {
      Attributes a = attributes(r.attributes(), itemActions, w);
      done = a == r.attributes() ? r : new Resource(a, r.schemaUrl());
      w.resources.put(r, done);
    }
    return done;
  }

  /** The attributes after the actions; the same instance when no key has an action that changes it. */
  private Attributes attributes(Attributes a, Map<String, Action> actions, Work w) {
    int n = a.size();
    int first = -1;
    for (int i = 0; i < n; i++) {
      if (actions.containsKey(a.key(i))) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      return a;
    }
    Attributes.Builder b = Attributes.builder(n);
    boolean changed = false;
    for (int i = 0; i < n; i++) {
      String key = a.key(i);
      Object value = a.value(i);
      Action action = i < first ? null : actions.get(key);
      if (action == null) {
        b.add(key, value);
        continue;
      }
      switch (action) {
        case REMOVE -> {
          w.counts[SecretScrubber.Kind.REMOVED_ATTRIBUTE.ordinal()]++;
          changed = true;
        }
        case SCRUB -> {
          Object scrubbed = SecretScrubber.scrubValue(value, w.counts);
          changed |= scrubbed != value;
          b.add(key, scrubbed);
        }
        case EMAIL -> {
          b.add(key, hashEmail(Attributes.valueToString(value), w));
          w.counts[SecretScrubber.Kind.EMAIL_HASHED.ordinal()]++;
          changed = true;
        }
      }
    }
    return changed ? b.build() : a;
  }

  private String hashEmail(String email, Work w) {
    return w.emails.computeIfAbsent(email, e -> hashEmail(mac.get(), e));
  }

  /** Lower-case hex HMAC-SHA256 of the trimmed, lower-cased address. */
  static String hashEmail(Mac mac, String email) {
    byte[] digest = mac.doFinal(email.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
    return HEX.formatHex(digest);
  }
}

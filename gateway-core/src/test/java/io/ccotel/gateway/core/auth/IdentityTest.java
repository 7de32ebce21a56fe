package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
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
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdentityTest {
  private static final Attributes IDENTITY = Attributes.of("team.id", "platform", "tenant", "acme");
  // What Claude Code sends with OTEL_RESOURCE_ATTRIBUTES="team.id=spoofed,department=eng".
  private static final Resource CLAIMED =
      Resource.of(Attributes.of("service.name", "claude-code", "team.id", "spoofed", "department", "eng"));

  private static Metric tokens(Resource resource, Attributes... points) {
    List<NumberPoint> ps = java.util.Arrays.stream(points).map(a -> NumberPoint.ofDouble(a, 1, 2, 10)).toList();
    return new Metric(resource, Scope.of("com.anthropic.claude_code", "2.0.0"), "claude_code.token.usage", "", "tokens",
        MetricKind.SUM, Temporality.DELTA, true, ps);
  }

  @Test
  void overrideReplacesClaimsOnResourceAndPoints() {
    Metric m = tokens(CLAIMED,
        Attributes.of("type", "input", "team.id", "spoofed", "department", "eng"),
        Attributes.of("type", "output"));
    MetricsBatch out = (MetricsBatch) Identity.apply(new MetricsBatch(List.of(m)), IDENTITY, true);
    Metric o = out.metrics().get(0);
    // Replaced in place, missing identity keys appended.
    assertThat(o.resource().attributes()).isEqualTo(
        Attributes.of("service.name", "claude-code", "team.id", "platform", "department", "eng", "tenant", "acme"));
    assertThat(o.points().get(0).attributes())
        .isEqualTo(Attributes.of("type", "input", "team.id", "platform", "department", "eng"));
    // An item without identity keys is reused as is; identity keys are not added to items.
    assertThat(o.points().get(1)).isSameAs(m.points().get(1));
    assertThat(o.name()).isEqualTo(m.name());
    assertThat(o.scope()).isEqualTo(m.scope());
    assertThat(((NumberPoint) o.points().get(0)).value()).isEqualTo(10);
  }

  @Test
  void withoutOverrideOnlyMissingKeysAreAdded() {
    Metric m = tokens(CLAIMED, Attributes.of("type", "input", "team.id", "spoofed"));
    MetricsBatch out = (MetricsBatch) Identity.apply(new MetricsBatch(List.of(m)), IDENTITY, false);
    Metric o = out.metrics().get(0);
    assertThat(o.resource().attributes()).isEqualTo(
        Attributes.of("service.name", "claude-code", "team.id", "spoofed", "department", "eng", "tenant", "acme"));
    assertThat(o.points().get(0)).isSameAs(m.points().get(0));
  }

  @Test
  void duplicateClaimsAreDroppedAndReservedKeysRemoved() {
    Attributes dup = Attributes.builder()
        .add("team.id", "spoofed").add("cost_center", "x").add("team.id", "again").add("user.id", "u").build();
    LogRecord r = new LogRecord(Resource.of(dup), Scope.empty(), 1, 0, 0, "", "b", dup, "", "", "", 0, 0);
    LogsBatch out = (LogsBatch) Identity.apply(
        new LogsBatch(List.of(r)), Attributes.of("team.id", "platform"), Set.of("team.id", "cost_center"), true);
    LogRecord o = out.records().get(0);
    assertThat(o.resource().attributes()).isEqualTo(Attributes.of("team.id", "platform", "user.id", "u"));
    assertThat(o.attributes()).isEqualTo(Attributes.of("team.id", "platform", "user.id", "u"));
    assertThat(o.body()).isEqualTo("b");
    assertThat(o.timeNanos()).isEqualTo(1);
  }

  @Test
  void sharedResourcesStayShared() {
    Metric a = tokens(CLAIMED, Attributes.of("type", "input"));
    Metric b = tokens(CLAIMED, Attributes.of("type", "output"));
    MetricsBatch out = (MetricsBatch) Identity.apply(new MetricsBatch(List.of(a, b)), IDENTITY, true);
    assertThat(out.metrics().get(0).resource()).isSameAs(out.metrics().get(1).resource());
  }

  @Test
  void nothingToChangeReturnsTheSameBatch() {
    Resource res = Resource.of(Attributes.of("team.id", "platform", "tenant", "acme"));
    MetricsBatch batch = new MetricsBatch(List.of(tokens(res, Attributes.of("type", "input"))));
    assertThat(Identity.apply(batch, IDENTITY, true)).isSameAs(batch);
    assertThat(Identity.apply(batch, IDENTITY, false)).isSameAs(batch);
    assertThat(Identity.apply(batch, Attributes.empty(), true)).isSameAs(batch);
  }

  @Test
  void everyPointKindAndSpans() {
    Attributes claim = Attributes.of("team.id", "spoofed");
    Metric h = new Metric(CLAIMED, Scope.empty(), "h", "", "s", MetricKind.HISTOGRAM, Temporality.DELTA, false,
        List.of(new HistogramPoint(claim, 1, 2, 3, 4.0, List.of(1.0), List.of(1L, 2L), 0.5, 2.0, 0)));
    Metric s = new Metric(CLAIMED, Scope.empty(), "s", "", "s", MetricKind.SUMMARY, Temporality.UNSPECIFIED, false,
        List.of(new SummaryPoint(claim, 1, 2, 3, 4.0, List.of(new SummaryPoint.Quantile(0.5, 1.0)), 0)));
    MetricsBatch out = (MetricsBatch) Identity.apply(new MetricsBatch(List.of(h, s)), IDENTITY, true);
    HistogramPoint hp = (HistogramPoint) out.metrics().get(0).points().get(0);
    assertThat(hp.attributes()).isEqualTo(Attributes.of("team.id", "platform"));
    assertThat(hp.bucketCounts()).containsExactly(1L, 2L);
    assertThat(hp.max()).isEqualTo(2.0);
    SummaryPoint sp = (SummaryPoint) out.metrics().get(1).points().get(0);
    assertThat(sp.attributes()).isEqualTo(Attributes.of("team.id", "platform"));
    assertThat(sp.quantiles()).hasSize(1);

    Span span = new Span(CLAIMED, Scope.empty(), "t", "s", "", "claude_code.interaction", 1, 1, 2, claim, List.of(), 0, "");
    TracesBatch traces = (TracesBatch) Identity.apply(new TracesBatch(List.of(span)), IDENTITY, true);
    assertThat(traces.spans().get(0).attributes()).isEqualTo(Attributes.of("team.id", "platform"));
    assertThat(traces.spans().get(0).resource().attributes().getString("tenant")).isEqualTo("acme");
    assertThat(traces.spans().get(0).name()).isEqualTo("claude_code.interaction");
  }
}

package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.exporters.prometheus.MetricNames.Kind;
import io.ccotel.gateway.exporters.prometheus.PrometheusExporterConfig.LabelRule;
import io.prometheus.metrics.model.snapshots.Labels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The label policy's series keys: exact examples of each rule, and random attribute sets checked
 * against the straightforward implementation it replaced (kept here as the reference).
 */
class LabelPolicyTest {

  private static LabelPolicy policy(List<String> deny, List<String> allow, List<LabelRule> rules, List<String> resourceLabels, boolean scope) {
    return new LabelPolicy(deny, allow, rules, resourceLabels, scope);
  }

  private static Labels labels(LabelPolicy p, String metric, Attributes point, Attributes resource, Scope scope, Kind kind) {
    return p.labels(p.forMetric(metric), point, resource, scope, kind).toLabels();
  }

  @Test
  void collidingNamesAreJoinedInKeyOrderAndRepeatedKeysKeepTheirFirstValue() {
    LabelPolicy p = policy(List.of(), List.of(), List.of(), List.of(), false);
    Attributes point = Attributes.builder()
        .add("a_b", "2").add("a.b", "1").add("a-b", "3").add("a.b", "ignored").add("z", "last").build();
    // Keys in order: a-b, a.b, a_b ('-' < '.' < '_').
    assertThat((Object) labels(p, "m", point, Attributes.empty(), null, Kind.COUNTER))
        .isEqualTo(Labels.of("a_b", "3;1;2", "z", "last"));
  }

  @Test
  void reservedNamesAreRenamedForTheirKindOnly() {
    LabelPolicy p = policy(List.of(), List.of(), List.of(), List.of(), false);
    Attributes point = Attributes.of("le", "x", "quantile", "y");
    assertThat((Object) labels(p, "m", point, Attributes.empty(), null, Kind.HISTOGRAM))
        .isEqualTo(Labels.of("exported_le", "x", "quantile", "y"));
    assertThat((Object) labels(p, "m", point, Attributes.empty(), null, Kind.SUMMARY))
        .isEqualTo(Labels.of("le", "x", "exported_quantile", "y"));
    assertThat((Object) labels(p, "m", point, Attributes.empty(), null, Kind.GAUGE))
        .isEqualTo(Labels.of("le", "x", "quantile", "y"));
  }

  @Test
  void resourceLabelsFillInWhatThePointLacksAndScopeLabelsAreJoinedWithAnAttributeOfTheirName() {
    LabelPolicy p = policy(List.of("secret"), List.of(), List.of(), List.of("team.id", "dept", "secret", "team.id"), true);
    Attributes resource = Attributes.of("team.id", "t-res", "dept", "d-res", "secret", "s");
    Attributes point = Attributes.builder().add("dept", "d-point").add("otel_scope_name", "attr").build();
    assertThat((Object) labels(p, "m", point, resource, Scope.of("lib", "1.0"), Kind.COUNTER))
        .isEqualTo(Labels.of(
            "dept", "d-point", "otel_scope_name", "attr;lib", "otel_scope_version", "1.0", "team_id", "t-res"));
    assertThat((Object) labels(p, "m", Attributes.empty(), resource, Scope.of("", ""), Kind.COUNTER))
        .isEqualTo(Labels.of("dept", "d-res", "team_id", "t-res"));
  }

  @Test
  void rulesAndGlobalListsDecidePerMetric() {
    LabelPolicy p = policy(
        List.of("session.id"), List.of(), List.of(LabelRule.deny("claude_code.*", "model"), LabelRule.allow("other", "keep")),
        List.of(), false);
    Attributes point = Attributes.of("session.id", "s", "model", "opus", "keep", "k", "type", "input");
    assertThat((Object) labels(p, "claude_code.token.usage", point, Attributes.empty(), null, Kind.COUNTER))
        .isEqualTo(Labels.of("keep", "k", "type", "input"));
    assertThat((Object) labels(p, "other", point, Attributes.empty(), null, Kind.COUNTER)).isEqualTo(Labels.of("keep", "k"));
    assertThat((Object) labels(p, "third", point, Attributes.empty(), null, Kind.COUNTER))
        .isEqualTo(Labels.of("keep", "k", "model", "opus", "type", "input"));
  }

  @Test
  void targetInfoTakesEveryResourceAttributeButTheDeniedOnes() {
    LabelPolicy p = policy(List.of("host.id"), List.of("only.this"), List.of(), List.of(), false);
    Attributes resource = Attributes.builder()
        .add("service.name", "cc").add("host.id", "h").add("", "empty key").add("service.name", "second").add("flag", true)
        .build();
    assertThat((Object) p.targetInfoLabels(resource).toLabels()).isEqualTo(Labels.of("flag", "true", "service_name", "cc"));
    assertThat(p.targetInfoLabels(Attributes.empty())).isSameAs(SeriesKey.EMPTY);
  }

  @Test
  void valuesAreTextAndBytesAreBase64() {
    LabelPolicy p = policy(List.of(), List.of(), List.of(), List.of(), false);
    Attributes point = Attributes.of(
        "b", true, "l", 42L, "d", 1.5, "y", ByteBuffer.wrap(new byte[] {1, 2, 3}).asReadOnlyBuffer(), "a", List.of("x", 1L));
    assertThat((Object) labels(p, "m", point, Attributes.empty(), null, Kind.COUNTER))
        .isEqualTo(Labels.of("a", "[\"x\",1]", "b", "true", "d", "1.5", "l", "42", "y", "AQID"));
  }

  // ------------------------------------------------------------------------------- reference

  /** The implementation before the series keys (lists, a HashSet, a boxed sort, a LinkedHashMap). */
  private static Labels reference(
      LabelPolicy policy, List<String> resourceLabels, boolean scopeLabels, LabelPolicy.Filter filter, Attributes point,
      Attributes resource, Scope scope, Kind kind) {
    List<String> keys = new ArrayList<>();
    List<String> values = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < point.size(); i++) {
      String key = point.key(i);
      if (policy.accepts(filter, key) && seen.add(key)) {
        keys.add(key);
        values.add(LabelPolicy.labelValue(point.value(i)));
      }
    }
    for (String key : resourceLabels) {
      if (point.get(key) != null || !policy.accepts(filter, key) || seen.contains(key)) {
        continue;
      }
      Object v = resource.get(key);
      if (v != null) {
        seen.add(key);
        keys.add(key);
        values.add(LabelPolicy.labelValue(v));
      }
    }
    if (scopeLabels && scope != null) {
      if (!scope.name().isEmpty()) {
        keys.add("otel_scope_name");
        values.add(scope.name());
      }
      if (!scope.version().isEmpty()) {
        keys.add("otel_scope_version");
        values.add(scope.version());
      }
    }
    String reserved = switch (kind) {
      case HISTOGRAM -> "le";
      case SUMMARY -> "quantile";
      default -> null;
    };
    if (keys.isEmpty()) {
      return Labels.EMPTY;
    }
    Integer[] order = new Integer[keys.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> keys.get(a).compareTo(keys.get(b)));
    Map<String, String> byName = new LinkedHashMap<>();
    for (int idx : order) {
      String name = policy.labelName(keys.get(idx));
      if (name.equals(reserved)) {
        name = "exported_" + reserved;
      }
      byName.merge(name, values.get(idx), (a, b) -> a + ";" + b);
    }
    return Labels.of(byName.keySet().toArray(new String[0]), byName.values().toArray(new String[0]));
  }

  private static void check(
      LabelPolicy policy, List<String> resourceLabels, boolean scopeLabels, LabelPolicy.Filter filter, Attributes point,
      Attributes resource, Scope scope, Kind kind) {
    Labels expected = reference(policy, resourceLabels, scopeLabels, filter, point, resource, scope, kind);
    SeriesKey key = policy.labels(filter, point, resource, scope, kind);
    assertThat((Object) key.toLabels()).as("%s / %s / %s / %s", point, resource, scope, kind).isEqualTo(expected);
    assertThat(key).isEqualTo(SeriesKey.of(expected)).hasSameHashCodeAs(SeriesKey.of(expected));
  }

  /** Claude Code's shape: the same keys in the same order for every point of a metric. */
  @Test
  void pointsWithTheSameKeysShareAPlanAndStillGetTheirOwnValues() {
    LabelPolicy p = policy(List.of("session.id"), List.of(), List.of(), List.of("team.id", "organization.id"), true);
    LabelPolicy.Filter f = p.forMetric("claude_code.token.usage");
    Scope scope = Scope.of("com.anthropic.claude_code", "2.1.328");
    Attributes resource = Attributes.of("team.id", "t", "service.name", "claude-code");
    SeriesKey first = p.labels(f, Attributes.of("user.id", "u1", "team.id", "t1", "session.id", "s1", "type", "input"), resource, scope, Kind.COUNTER);
    SeriesKey second = p.labels(f, Attributes.of("user.id", "u2", "team.id", "t1", "session.id", "s2", "type", "output"), resource, scope, Kind.COUNTER);
    assertThat((Object) first.toLabels()).isEqualTo(Labels.of(
        "otel_scope_name", "com.anthropic.claude_code", "otel_scope_version", "2.1.328", "team_id", "t1", "type", "input",
        "user_id", "u1"));
    assertThat((Object) second.toLabels()).isEqualTo(Labels.of(
        "otel_scope_name", "com.anthropic.claude_code", "otel_scope_version", "2.1.328", "team_id", "t1", "type", "output",
        "user_id", "u2"));
    // A resource that now has organization.id adds a label.
    SeriesKey third = p.labels(
        f, Attributes.of("user.id", "u2", "team.id", "t1", "session.id", "s2", "type", "output"),
        Attributes.of("organization.id", "o"), Scope.of("lib", ""), Kind.COUNTER);
    assertThat((Object) third.toLabels()).isEqualTo(Labels.of(
        "organization_id", "o", "otel_scope_name", "lib", "team_id", "t1", "type", "output", "user_id", "u2"));
  }

  private static final String[] KEYS = {
    "a.b", "a_b", "a-b", "a__b", "A.b", "le", "l.e", "quantile", "otel_scope_name", "otel.scope.version", "1st", "_1st",
    "", "model", "type", "user.id", "session.id", "team.id", "team_id", "dept", "é.x", "x", "y"
  };

  private static Object value(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> r.nextBoolean();
      case 1 -> (long) r.nextInt(1000);
      case 2 -> r.nextInt(10) / 4.0;
      case 3 -> ByteBuffer.wrap(new byte[] {(byte) r.nextInt(), 7}).asReadOnlyBuffer();
      default -> "v" + r.nextInt(5);
    };
  }

  private static List<String> someKeys(SplittableRandom r, int max) {
    List<String> out = new ArrayList<>();
    for (int i = r.nextInt(max + 1); i > 0; i--) {
      out.add(KEYS[r.nextInt(KEYS.length)]);
    }
    return out;
  }

  @Test
  void randomAttributeSetsGiveTheLabelsOfTheReferenceImplementation() {
    SplittableRandom r = new SplittableRandom(2026);
    for (int round = 0; round < 300; round++) {
      List<LabelRule> rules = new ArrayList<>();
      if (r.nextBoolean()) {
        rules.add(new LabelRule("m*", someKeys(r, 3), r.nextInt(3) == 0 ? someKeys(r, 8) : List.of()));
      }
      List<String> deny = someKeys(r, 2);
      List<String> allow = r.nextInt(4) == 0 ? someKeys(r, 12) : List.of();
      List<String> resourceLabels = someKeys(r, 5);
      boolean scopeLabels = r.nextBoolean();
      LabelPolicy policy = policy(deny, allow, rules, resourceLabels, scopeLabels);
      for (int n = 0; n < 50; n++) {
        Attributes.Builder pb = Attributes.builder();
        for (int i = r.nextInt(14); i > 0; i--) {
          pb.add(KEYS[r.nextInt(KEYS.length)], value(r));
        }
        Attributes.Builder rb = Attributes.builder();
        for (int i = r.nextInt(6); i > 0; i--) {
          rb.add(KEYS[r.nextInt(KEYS.length)], value(r));
        }
        Attributes point = pb.build();
        Attributes resource = rb.build();
        Scope scope = switch (r.nextInt(3)) {
          case 0 -> null;
          case 1 -> Scope.of("lib" + r.nextInt(2), r.nextBoolean() ? "" : "1.0");
          default -> Scope.of("", "2.0");
        };
        Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
        String metric = r.nextBoolean() ? "metric" : "other";
        LabelPolicy.Filter filter = policy.forMetric(metric);
        check(policy, resourceLabels, scopeLabels, filter, point, resource, scope, kind);
        // The same keys again (the plan made for the first point), with other values and resources.
        for (int again = 0; again < 3; again++) {
          Attributes.Builder same = Attributes.builder();
          for (int i = 0; i < point.size(); i++) {
            same.add(point.key(i), value(r));
          }
          Attributes.Builder otherResource = Attributes.builder();
          for (int i = r.nextInt(4); i > 0; i--) {
            otherResource.add(KEYS[r.nextInt(KEYS.length)], value(r));
          }
          check(policy, resourceLabels, scopeLabels, filter, same.build(), r.nextBoolean() ? resource : otherResource.build(), scope, kind);
        }
      }
      // target_info: every resource attribute not globally denied, first value of a repeated key.
      Attributes.Builder rb = Attributes.builder();
      for (int i = r.nextInt(10); i > 0; i--) {
        rb.add(KEYS[r.nextInt(KEYS.length)], value(r));
      }
      Attributes resource = rb.build();
      Map<String, String> byName = new LinkedHashMap<>();
      List<String> keys = new ArrayList<>();
      Map<String, Object> firstValue = new LinkedHashMap<>();
      for (int i = 0; i < resource.size(); i++) {
        String k = resource.key(i);
        if (!k.isEmpty() && !deny.contains(k) && !firstValue.containsKey(k)) {
          firstValue.put(k, resource.value(i));
          keys.add(k);
        }
      }
      keys.sort(String::compareTo);
      for (String k : keys) {
        byName.merge(policy.labelName(k), LabelPolicy.labelValue(firstValue.get(k)), (a, b) -> a + ";" + b);
      }
      Labels expected = byName.isEmpty()
          ? Labels.EMPTY
          : Labels.of(byName.keySet().toArray(new String[0]), byName.values().toArray(new String[0]));
      assertThat((Object) policy.targetInfoLabels(resource).toLabels()).isEqualTo(expected);
    }
  }
}

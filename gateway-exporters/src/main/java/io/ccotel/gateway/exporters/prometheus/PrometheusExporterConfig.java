package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.config.HostPort;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of the Prometheus exporter, the YAML section {@code exporters.prometheus} (or
 * {@code exporters.prometheus/<name>}). Every value is checked at start-up.
 *
 * <h2>Which attributes become labels</h2>
 *
 * A point's candidate labels are its attributes plus the {@code resource_labels} it does not carry
 * itself. A candidate key (as sent, before sanitizing) becomes a label when all of these hold:
 *
 * <ol>
 *   <li>it is not in {@code label_deny};
 *   <li>{@code label_allow} is empty or names it;
 *   <li>the first entry of {@code label_rules} whose {@code metrics} pattern matches the OTLP metric
 *       name (if any) does not deny it, and, when that rule has an {@code allow} list, names it.
 * </ol>
 *
 * So a rule only ever narrows the global lists; rules after the first matching one are not looked
 * at. To let one metric keep a key that others must drop, leave the key out of {@code label_deny}
 * and write a rule for that metric before a catch-all rule that denies it:
 *
 * <pre>
 * label_deny: [prompt.id, request_id]
 * label_rules:
 *   - {metrics: my.per_session.metric}          # matches first: session.id is kept
 *   - {metrics: "*", deny: [session.id]}         # every other metric drops it
 * </pre>
 *
 * A {@code metrics} pattern is an exact OTLP metric name ({@code claude_code.cost.usage}) or a
 * glob where {@code *} matches any run of characters (dots included) and {@code ?} one character
 * ({@code claude_code.*}). Dropped keys aggregate: points that differ only in them add up into one
 * series. The labels {@code scope_labels} adds are not subject to these lists.
 *
 * @param endpoint {@code endpoint} (default {@code 0.0.0.0:9464}): where the scrape endpoint
 *     listens; port 0 picks a free port (see {@link PrometheusExporter#boundAddress()}).
 * @param path {@code path} (default {@code /metrics}): the scrape path; must start with {@code /}.
 * @param labelDeny {@code label_deny} (default: the unbounded Claude Code ids {@link
 *     #DEFAULT_LABEL_DENY}): attribute keys that never become labels, for every metric.
 * @param labelAllow {@code label_allow} (default empty = no filter): when not empty, only these
 *     attribute keys (point attributes and promoted resource attributes) become labels.
 * @param labelRules {@code label_rules} (default none): per-metric deny/allow lists, see above;
 *     YAML: a list of {@code {metrics: <pattern>, deny: [...], allow: [...]}}.
 * @param resourceLabels {@code resource_labels} (default {@link #DEFAULT_RESOURCE_LABELS}):
 *     resource attribute keys copied onto a point as labels when the point does not carry that key
 *     itself (team tags set through {@code OTEL_RESOURCE_ATTRIBUTES}).
 * @param scopeLabels {@code scope_labels} (default false): add {@code otel_scope_name} and {@code
 *     otel_scope_version} labels (the OpenTelemetry compatibility rules) to every series. Off by
 *     default because Claude Code's scope version is the CLI version: with it every series would
 *     split in two at each CLI upgrade (and dashboards summing by model or type would have to sum
 *     the versions away), for a fact {@code target_info} already shows once per client.
 * @param targetInfo {@code target_info} (default true): expose one {@code target_info} series (a
 *     gauge of value 1; type {@code info} in OpenMetrics) per distinct resource, labelled with its
 *     sanitized attributes ({@code label_deny} applies, the allow lists do not). It counts towards
 *     the series caps and expires like any series.
 * @param addUnitSuffixes {@code add_unit_suffixes} (default true): add the unit to metric names
 *     ({@code _seconds}, {@code _bytes}, ...). The Claude Code metric names are fixed whatever this
 *     says.
 * @param maxSeries {@code max_series} (default 100000): hard cap on output series over all
 *     metrics; points that would create more are refused (partial success to the client) and
 *     counted as {@code gateway_prometheus_rejected_points_total{reason="series_limit"}}. Existing
 *     series keep taking points.
 * @param maxSeriesPerMetric {@code max_series_per_metric} (default 20000): the same cap per
 *     Prometheus metric name, so one runaway metric cannot use up {@code max_series}; reason
 *     {@code series_limit_per_metric}.
 * @param seriesIdleTimeout {@code series_idle_timeout} (default 7d; {@code 0s} = never): a series
 *     that received no point for this long is removed (on a timer, not only when scraped). A week
 *     means a developer's daily (and weekend-interrupted) usage never resets a counter; Prometheus'
 *     {@code increase()} handles a series that comes back after expiring.
 * @param stateFile {@code state_file} (default {@code data/prometheus.state}, relative to the
 *     working directory; empty = keep state in memory only): where the totals are saved at
 *     shutdown and every {@code state_checkpoint_interval}, and restored from at start, so that a
 *     redeploy is not a counter reset. See {@link StateFile}. Each exporter needs its own file.
 * @param stateCheckpointInterval {@code state_checkpoint_interval} (default 60s; {@code 0s} = only
 *     at shutdown): how often the state is also saved while running; a crash loses what was
 *     applied since the last save.
 */
public record PrometheusExporterConfig(
    HostPort endpoint,
    String path,
    List<String> labelDeny,
    List<String> labelAllow,
    List<LabelRule> labelRules,
    List<String> resourceLabels,
    boolean scopeLabels,
    boolean targetInfo,
    boolean addUnitSuffixes,
    int maxSeries,
    int maxSeriesPerMetric,
    Duration seriesIdleTimeout,
    String stateFile,
    Duration stateCheckpointInterval) {

  public static final HostPort DEFAULT_ENDPOINT = HostPort.of("0.0.0.0", 9464);
  public static final String DEFAULT_PATH = "/metrics";
  public static final List<String> DEFAULT_LABEL_DENY =
      List.of(
          "session.id",
          "prompt.id",
          "request_id",
          "client_request_id",
          "message.uuid",
          "tool_use_id",
          "event.sequence");
  public static final List<String> DEFAULT_RESOURCE_LABELS =
      List.of("department", "team.id", "cost_center", "organization.id");
  public static final int DEFAULT_MAX_SERIES = 100_000;
  public static final int DEFAULT_MAX_SERIES_PER_METRIC = 20_000;
  public static final Duration DEFAULT_SERIES_IDLE_TIMEOUT = Duration.ofDays(7);
  public static final String DEFAULT_STATE_FILE = "data/prometheus.state";
  public static final Duration DEFAULT_STATE_CHECKPOINT_INTERVAL = Duration.ofSeconds(60);

  static final Set<String> KEYS =
      Set.of(
          "endpoint",
          "path",
          "label_deny",
          "label_allow",
          "label_rules",
          "resource_labels",
          "scope_labels",
          "target_info",
          "add_unit_suffixes",
          "max_series",
          "max_series_per_metric",
          "series_idle_timeout",
          "state_file",
          "state_checkpoint_interval");

  static final Set<String> RULE_KEYS = Set.of("metrics", "deny", "allow");

  private static final PrometheusExporterConfig DEFAULTS =
      new PrometheusExporterConfig(
          DEFAULT_ENDPOINT,
          DEFAULT_PATH,
          DEFAULT_LABEL_DENY,
          List.of(),
          List.of(),
          DEFAULT_RESOURCE_LABELS,
          false,
          true,
          true,
          DEFAULT_MAX_SERIES,
          DEFAULT_MAX_SERIES_PER_METRIC,
          DEFAULT_SERIES_IDLE_TIMEOUT,
          DEFAULT_STATE_FILE,
          DEFAULT_STATE_CHECKPOINT_INTERVAL);

  /**
   * One entry of {@code label_rules}.
   *
   * @param metrics an exact OTLP metric name or a glob ({@code *}: any characters, {@code ?}: one)
   * @param deny attribute keys this metric drops, on top of {@code label_deny}
   * @param allow when not empty, the only attribute keys this metric keeps (within what the global
   *     lists let through)
   */
  public record LabelRule(String metrics, List<String> deny, List<String> allow) {
    public LabelRule {
      Objects.requireNonNull(metrics, "metrics");
      if (metrics.isBlank() || metrics.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("a metrics pattern must be a metric name or glob without spaces, got \"" + metrics + "\"");
      }
      deny = List.copyOf(deny);
      allow = List.copyOf(allow);
    }

    public static LabelRule deny(String metrics, String... keys) {
      return new LabelRule(metrics, List.of(keys), List.of());
    }

    public static LabelRule allow(String metrics, String... keys) {
      return new LabelRule(metrics, List.of(), List.of(keys));
    }
  }

  public PrometheusExporterConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/', got \"" + path + "\"");
    }
    labelDeny = List.copyOf(labelDeny);
    labelAllow = List.copyOf(labelAllow);
    labelRules = List.copyOf(labelRules);
    resourceLabels = List.copyOf(resourceLabels);
    if (maxSeries < 1) {
      throw new IllegalArgumentException("max_series must be at least 1, got " + maxSeries);
    }
    if (maxSeriesPerMetric < 1) {
      throw new IllegalArgumentException("max_series_per_metric must be at least 1, got " + maxSeriesPerMetric);
    }
    Objects.requireNonNull(seriesIdleTimeout, "seriesIdleTimeout");
    if (seriesIdleTimeout.isNegative()) {
      throw new IllegalArgumentException("series_idle_timeout must not be negative");
    }
    stateFile = stateFile == null ? "" : stateFile.trim();
    Objects.requireNonNull(stateCheckpointInterval, "stateCheckpointInterval");
    if (stateCheckpointInterval.isNegative()
        || (!stateCheckpointInterval.isZero() && stateCheckpointInterval.compareTo(Duration.ofSeconds(1)) < 0)) {
      throw new IllegalArgumentException(
          "state_checkpoint_interval must be 0s (save only at shutdown) or at least 1s, got " + stateCheckpointInterval);
    }
  }

  public static PrometheusExporterConfig defaults() {
    return DEFAULTS;
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The state file, or null when persistence is off. */
  Path stateFilePath() {
    return stateFile.isEmpty() ? null : Path.of(stateFile);
  }

  /** Reads the YAML section; errors name the key ({@code exporters.prometheus.path: ...}). */
  public static PrometheusExporterConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    HostPort endpoint = node.hostPort("endpoint", DEFAULT_ENDPOINT);
    String path = node.string("path", DEFAULT_PATH).trim();
    if (!path.startsWith("/")) {
      throw new ConfigException(node.pathOf("path"), "must start with '/', got \"" + path + "\"");
    }
    List<String> deny = node.stringList("label_deny", DEFAULT_LABEL_DENY);
    List<String> allow = node.stringList("label_allow", List.of());
    List<String> resource = node.stringList("resource_labels", DEFAULT_RESOURCE_LABELS);
    checkKeys(node, "label_deny", deny);
    checkKeys(node, "label_allow", allow);
    checkKeys(node, "resource_labels", resource);
    List<LabelRule> rules = parseRules(node);
    boolean scopeLabels = node.bool("scope_labels", false);
    boolean targetInfo = node.bool("target_info", true);
    boolean units = node.bool("add_unit_suffixes", true);
    int maxSeries = node.intValue("max_series", DEFAULT_MAX_SERIES, 1, 100_000_000);
    int maxPerMetric = node.intValue("max_series_per_metric", DEFAULT_MAX_SERIES_PER_METRIC, 1, 100_000_000);
    Duration idle = node.duration("series_idle_timeout", DEFAULT_SERIES_IDLE_TIMEOUT);
    String stateFile = node.string("state_file", DEFAULT_STATE_FILE).trim();
    if (!stateFile.isEmpty()) {
      try {
        Path.of(stateFile);
      } catch (InvalidPathException e) {
        throw new ConfigException(node.pathOf("state_file"), "not a valid file path: " + e.getMessage());
      }
    }
    Duration checkpoint = node.duration("state_checkpoint_interval", DEFAULT_STATE_CHECKPOINT_INTERVAL);
    if (!checkpoint.isZero() && checkpoint.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(
          node.pathOf("state_checkpoint_interval"),
          "must be 0s (save only at shutdown) or at least 1s, got " + checkpoint.toMillis() + "ms");
    }
    return new PrometheusExporterConfig(
        endpoint, path, deny, allow, rules, resource, scopeLabels, targetInfo, units, maxSeries, maxPerMetric, idle,
        stateFile, checkpoint);
  }

  private static List<LabelRule> parseRules(ConfigNode node) {
    Object raw = node.raw("label_rules");
    if (raw == null) {
      return List.of();
    }
    String key = node.pathOf("label_rules");
    if (!(raw instanceof List<?> list)) {
      throw new ConfigException(
          key, "expected a list of rules such as [{metrics: \"claude_code.*\", deny: [user.email]}], got " + describe(raw));
    }
    List<LabelRule> rules = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      String at = key + "[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new ConfigException(
            at, "expected a mapping such as {metrics: \"claude_code.*\", deny: [user.email]}, got " + describe(list.get(i)));
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(String.valueOf(k), v));
      ConfigNode rule = new ConfigNode(at, copy);
      rule.checkKnownKeys(RULE_KEYS);
      String metrics = rule.requiredString("metrics").trim();
      if (metrics.chars().anyMatch(Character::isWhitespace)) {
        throw new ConfigException(
            rule.pathOf("metrics"), "expected an OTLP metric name or a glob such as claude_code.*, got \"" + metrics + "\"");
      }
      List<String> deny = rule.stringList("deny", List.of());
      List<String> allow = rule.stringList("allow", List.of());
      checkKeys(rule, "deny", deny);
      checkKeys(rule, "allow", allow);
      rules.add(new LabelRule(metrics, deny, allow));
    }
    return List.copyOf(rules);
  }

  private static void checkKeys(ConfigNode node, String key, List<String> keys) {
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i).isBlank()) {
        throw new ConfigException(node.pathOf(key) + "[" + i + "]", "an attribute key must not be empty");
      }
    }
  }

  private static String describe(Object v) {
    if (v instanceof Map) {
      return "a mapping";
    }
    if (v instanceof List) {
      return "a list";
    }
    return v == null ? "nothing" : "\"" + v + "\"";
  }

  /** Builds a configuration from the defaults (or another configuration), key by key. */
  public static final class Builder {
    private HostPort endpoint;
    private String path;
    private List<String> labelDeny;
    private List<String> labelAllow;
    private List<LabelRule> labelRules;
    private List<String> resourceLabels;
    private boolean scopeLabels;
    private boolean targetInfo;
    private boolean addUnitSuffixes;
    private int maxSeries;
    private int maxSeriesPerMetric;
    private Duration seriesIdleTimeout;
    private String stateFile;
    private Duration stateCheckpointInterval;

    private Builder(PrometheusExporterConfig c) {
      endpoint = c.endpoint;
      path = c.path;
      labelDeny = c.labelDeny;
      labelAllow = c.labelAllow;
      labelRules = c.labelRules;
      resourceLabels = c.resourceLabels;
      scopeLabels = c.scopeLabels;
      targetInfo = c.targetInfo;
      addUnitSuffixes = c.addUnitSuffixes;
      maxSeries = c.maxSeries;
      maxSeriesPerMetric = c.maxSeriesPerMetric;
      seriesIdleTimeout = c.seriesIdleTimeout;
      stateFile = c.stateFile;
      stateCheckpointInterval = c.stateCheckpointInterval;
    }

    public Builder endpoint(HostPort v) {
      endpoint = v;
      return this;
    }

    public Builder path(String v) {
      path = v;
      return this;
    }

    public Builder labelDeny(List<String> v) {
      labelDeny = v;
      return this;
    }

    public Builder labelAllow(List<String> v) {
      labelAllow = v;
      return this;
    }

    public Builder labelRules(List<LabelRule> v) {
      labelRules = v;
      return this;
    }

    public Builder resourceLabels(List<String> v) {
      resourceLabels = v;
      return this;
    }

    public Builder scopeLabels(boolean v) {
      scopeLabels = v;
      return this;
    }

    public Builder targetInfo(boolean v) {
      targetInfo = v;
      return this;
    }

    public Builder addUnitSuffixes(boolean v) {
      addUnitSuffixes = v;
      return this;
    }

    public Builder maxSeries(int v) {
      maxSeries = v;
      return this;
    }

    public Builder maxSeriesPerMetric(int v) {
      maxSeriesPerMetric = v;
      return this;
    }

    public Builder seriesIdleTimeout(Duration v) {
      seriesIdleTimeout = v;
      return this;
    }

    /** Empty: no persistence. */
    public Builder stateFile(String v) {
      stateFile = v;
      return this;
    }

    public Builder stateCheckpointInterval(Duration v) {
      stateCheckpointInterval = v;
      return this;
    }

    public PrometheusExporterConfig build() {
      return new PrometheusExporterConfig(
          endpoint, path, labelDeny, labelAllow, labelRules, resourceLabels, scopeLabels, targetInfo, addUnitSuffixes,
          maxSeries, maxSeriesPerMetric, seriesIdleTimeout, stateFile, stateCheckpointInterval);
    }
  }
}

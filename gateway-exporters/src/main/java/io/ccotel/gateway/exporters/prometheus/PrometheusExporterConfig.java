package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.config.HostPort;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of the Prometheus exporter, the YAML section {@code exporters.prometheus} (or
 * {@code exporters.prometheus/<name>}). Every value is checked at start-up.
 *
 * @param endpoint {@code endpoint} (default {@code 0.0.0.0:9464}): where the scrape endpoint
 *     listens; port 0 picks a free port (see {@link PrometheusExporter#boundAddress()}).
 * @param path {@code path} (default {@code /metrics}): the scrape path; must start with {@code /}.
 * @param labelDeny {@code label_deny} (default: the unbounded Claude Code ids {@link
 *     #DEFAULT_LABEL_DENY}): attribute keys, as sent (before sanitizing), that never become labels.
 *     Points that differ only in these keys add up into one series. Wins over everything else.
 * @param labelAllow {@code label_allow} (default empty = no filter): when not empty, only these
 *     attribute keys (point attributes and promoted resource attributes) become labels.
 * @param resourceLabels {@code resource_labels} (default {@link #DEFAULT_RESOURCE_LABELS}):
 *     resource attribute keys copied onto a point as labels when the point does not carry that key
 *     itself (team tags set through {@code OTEL_RESOURCE_ATTRIBUTES}).
 * @param addUnitSuffixes {@code add_unit_suffixes} (default true): add the unit to metric names
 *     ({@code _seconds}, {@code _bytes}, ...). The Claude Code metric names are fixed whatever this
 *     says.
 * @param maxSeries {@code max_series} (default 100000): hard cap on output series; points that
 *     would create more are rejected and counted as {@code
 *     gateway_prometheus_rejected_points_total{reason="series_limit"}}.
 * @param seriesIdleTimeout {@code series_idle_timeout} (default 7d; {@code 0s} = never): a series
 *     that received no point for this long is removed (on a timer, not only when scraped).
 */
public record PrometheusExporterConfig(
    HostPort endpoint,
    String path,
    List<String> labelDeny,
    List<String> labelAllow,
    List<String> resourceLabels,
    boolean addUnitSuffixes,
    int maxSeries,
    Duration seriesIdleTimeout) {

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
  public static final Duration DEFAULT_SERIES_IDLE_TIMEOUT = Duration.ofDays(7);

  static final Set<String> KEYS =
      Set.of(
          "endpoint",
          "path",
          "label_deny",
          "label_allow",
          "resource_labels",
          "add_unit_suffixes",
          "max_series",
          "series_idle_timeout");

  private static final PrometheusExporterConfig DEFAULTS =
      new PrometheusExporterConfig(
          DEFAULT_ENDPOINT,
          DEFAULT_PATH,
          DEFAULT_LABEL_DENY,
          List.of(),
          DEFAULT_RESOURCE_LABELS,
          true,
          DEFAULT_MAX_SERIES,
          DEFAULT_SERIES_IDLE_TIMEOUT);

  public PrometheusExporterConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/', got \"" + path + "\"");
    }
    labelDeny = List.copyOf(labelDeny);
    labelAllow = List.copyOf(labelAllow);
    resourceLabels = List.copyOf(resourceLabels);
    if (maxSeries < 1) {
      throw new IllegalArgumentException("max_series must be at least 1, got " + maxSeries);
    }
    Objects.requireNonNull(seriesIdleTimeout, "seriesIdleTimeout");
    if (seriesIdleTimeout.isNegative()) {
      throw new IllegalArgumentException("series_idle_timeout must not be negative");
    }
  }

  public static PrometheusExporterConfig defaults() {
    return DEFAULTS;
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
    boolean units = node.bool("add_unit_suffixes", true);
    int maxSeries = node.intValue("max_series", DEFAULT_MAX_SERIES, 1, 100_000_000);
    Duration idle = node.duration("series_idle_timeout", DEFAULT_SERIES_IDLE_TIMEOUT);
    return new PrometheusExporterConfig(endpoint, path, deny, allow, resource, units, maxSeries, idle);
  }

  private static void checkKeys(ConfigNode node, String key, List<String> keys) {
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i).isBlank()) {
        throw new ConfigException(node.pathOf(key) + "[" + i + "]", "an attribute key must not be empty");
      }
    }
  }
}

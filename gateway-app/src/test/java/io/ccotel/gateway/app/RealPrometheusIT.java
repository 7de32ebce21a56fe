package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ccotel.gateway.exporters.prometheus.PrometheusExporter;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.ClaudeCodeRuns;
import io.ccotel.gateway.testkit.Fixtures;
import io.ccotel.gateway.testkit.PrometheusServer;
import io.ccotel.gateway.testkit.PrometheusServer.Sample;
import io.ccotel.gateway.testkit.Promtool;
import io.ccotel.gateway.testkit.RawGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleCounter;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway scraped by a real Prometheus server (the Debian package's {@code prometheus} 2.x,
 * scraping every second): what matters in the end is what PromQL says, after Prometheus has parsed
 * the exposition in the format it negotiated and stored the samples.
 *
 * <p>Each test starts its own gateway and its own Prometheus on free loopback ports, so the plain
 * {@code sum(...)} queries see only that test's data. Without the {@code prometheus} binary the
 * tests are skipped (failed under {@code CI=true}), see {@link PrometheusServer#binary()}.
 */
class RealPrometheusIT {
  private static final Duration AWAIT = Duration.ofSeconds(20);
  /** Relative tolerance for USD sums: sums of doubles, compared with exact decimal sums. */
  private static final double REL = 1e-9;
  /** One complete captured run's cost, as a decimal (ClaudeCodeRuns.TOTALS has its double). */
  private static final BigDecimal RUN_COST = new BigDecimal("0.1156824");
  /** One complete captured run's tokens by type. */
  private static final Map<String, Long> RUN_TOKENS =
      Map.of("input", 1008L, "output", 393L, "cacheRead", 98252L, "cacheCreation", 16828L);

  private static final String CONFIG =
      """
      receivers:
        otlp_grpc: {endpoint: "127.0.0.1:0"}
        otlp_http: {endpoint: "127.0.0.1:0"}
      exporters:
        prometheus: {endpoint: "127.0.0.1:0", state_file: ""}
      pipelines:
        metrics: {exporters: [prometheus]}
      """;

  private Gateway gateway;
  private PrometheusServer prometheus;
  private final HttpClient http = HttpClient.newHttpClient();

  /** The test configuration; no persisted Prometheus state, so every test starts from zero. */
  static GatewayConfig config() {
    return new ConfigLoader(Map.of()).loadText(CONFIG);
  }

  @BeforeEach
  void start() throws Exception {
    PrometheusServer.binary(); // skip (or fail under CI=true) before starting anything
    gateway = new Gateway(config(), Clock.systemUTC());
    gateway.start();
    InetSocketAddress scrape = ((PrometheusExporter) gateway.exporter("prometheus")).boundAddress();
    prometheus = PrometheusServer.scraping("127.0.0.1:" + scrape.getPort(), "/metrics");
  }

  @AfterEach
  void stop() {
    try {
      if (prometheus != null) {
        prometheus.close();
      }
    } finally {
      if (gateway != null) {
        gateway.shutdown(Duration.ofSeconds(5));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1. Captured CLI payloads

  /**
   * Every complete captured run (HTTP protobuf, HTTP JSON, gRPC; plain and gzip; delta, 10 s
   * cadence and cumulative) replayed into one gateway: Prometheus sums them to N times the run's
   * totals, keeps the team label of the opt-in runs, and has no session_id label anywhere.
   */
  @Test
  void capturedCliRunsAddUpExactlyInPrometheus() throws Exception {
    List<ClaudeCodeRuns.Run> runs = replayAllCapturedRuns();
    int n = runs.size();
    long teamRuns = runs.stream().filter(ClaudeCodeRuns.Run::teamLabels).count();
    assertThat(n).isGreaterThanOrEqualTo(6);
    assertThat(teamRuns).isPositive();

    assertCost("sum(claude_code_cost_usage_USD_total)", RUN_COST.multiply(BigDecimal.valueOf(n)));
    prometheus.awaitVector("sum by (type) (claude_code_token_usage_tokens_total)", byType(times(RUN_TOKENS, n)), 0, AWAIT);
    prometheus.awaitVector(
        "sum by (team_id) (claude_code_cost_usage_USD_total)",
        Map.of(
            Map.of("team_id", "platform"), RUN_COST.multiply(BigDecimal.valueOf(teamRuns)).doubleValue(),
            Map.of(), RUN_COST.multiply(BigDecimal.valueOf(n - teamRuns)).doubleValue()),
        REL,
        AWAIT);

    // Every other total of ClaudeCodeRuns, N times.
    for (ClaudeCodeRuns.Expected e : ClaudeCodeRuns.TOTALS) {
      String selector =
          e.labels().entrySet().stream()
              .map(l -> l.getKey() + "=\"" + l.getValue() + "\"")
              .sorted()
              .collect(Collectors.joining(",", e.name() + "{", "}"));
      double expected = e.value() * n;
      boolean integral = e.value() == Math.rint(e.value());
      prometheus.awaitValue("sum(" + selector + ")", expected, integral ? 0 : REL, AWAIT);
    }
    // Per developer: each run is its own user_id, with its own cost and active time.
    Map<Map<String, String>, Double> costByUser = new LinkedHashMap<>();
    Map<Map<String, String>, Double> cliTimeByUser = new LinkedHashMap<>();
    for (ClaudeCodeRuns.Run r : runs) {
      costByUser.put(Map.of("user_id", r.userId()), RUN_COST.doubleValue());
      cliTimeByUser.put(Map.of("user_id", r.userId()), r.activeTimeSeconds());
    }
    prometheus.awaitVector("sum by (user_id) (claude_code_cost_usage_USD_total)", costByUser, REL, AWAIT);
    prometheus.awaitVector(
        "sum by (user_id) (claude_code_active_time_seconds_total{type=\"cli\"})", cliTimeByUser, REL, AWAIT);

    assertNoSessionLabel();
    assertNothingRejectedOrDropped();
  }

  // ---------------------------------------------------------------------------------------------
  // 2. OpenTelemetry Java SDK clients as simulated Claude Code processes

  /**
   * Five processes on one label set (same user, model and team resource, different session.id):
   * two delta (gRPC, HTTP+gzip) with sparse series, two cumulative (HTTP), and one cumulative that
   * restarts (new provider, new start time, same attributes); plus one delta process of another
   * team. Prometheus shows one series per team and the exact sums of what was added.
   */
  @Test
  void sdkProcessesOnOneLabelSetAddUpExactlyInPrometheus() throws Exception {
    Ledger ledger = runSdkProcesses();
    assertCost("sum(claude_code_cost_usage_USD_total)", ledger.cost());
    prometheus.awaitVector("sum by (type) (claude_code_token_usage_tokens_total)", byType(ledger.tokens), 0, AWAIT);
    prometheus.awaitVector("sum by (team_id) (claude_code_cost_usage_USD_total)", byTeam(ledger.costByTeam), REL, AWAIT);
    prometheus.awaitVector("sum by (team_id) (claude_code_token_usage_tokens_total)", byTeamLong(ledger.tokensByTeam), 0, AWAIT);
    // The platform team's five processes share one cost series (session.id is no label).
    prometheus.awaitVector(
        "count by (team_id) (claude_code_cost_usage_USD_total)",
        Map.of(Map.of("team_id", "platform"), 1.0, Map.of("team_id", "data"), 1.0),
        0,
        AWAIT);
    List<Sample> platform = prometheus.query("claude_code_cost_usage_USD_total{team_id=\"platform\"}");
    assertThat(platform).hasSize(1);
    assertThat(platform.get(0).labels())
        .containsEntry("user_id", "sdk-dev-1")
        .containsEntry("model", "claude-opus-5-5")
        .containsEntry("department", "engineering")
        .containsEntry("cost_center", "eng-123")
        .doesNotContainKey("session_id");
    assertThat(platform.get(0).value()).isCloseTo(ledger.costByTeam.get("platform").doubleValue(), within(0.005));

    assertNoSessionLabel();
    assertNothingRejectedOrDropped();
  }

  // ---------------------------------------------------------------------------------------------
  // 3. All of it into one gateway, then promtool on the exposition

  /**
   * The captured runs and the SDK processes into one gateway: Prometheus scrapes it healthily and
   * shows the combined sums, and {@code promtool check metrics} passes on the exposition.
   */
  @Test
  void afterCapturedRunsAndSdkProcessesTheExpositionPassesPromtool() throws Exception {
    List<ClaudeCodeRuns.Run> runs = replayAllCapturedRuns();
    Ledger ledger = runSdkProcesses();
    int n = runs.size();
    long teamRuns = runs.stream().filter(ClaudeCodeRuns.Run::teamLabels).count();

    assertCost("sum(claude_code_cost_usage_USD_total)", RUN_COST.multiply(BigDecimal.valueOf(n)).add(ledger.cost()));
    Map<String, Long> tokens = new TreeMap<>(times(RUN_TOKENS, n));
    ledger.tokens.forEach((type, v) -> tokens.merge(type, v, Long::sum));
    prometheus.awaitVector("sum by (type) (claude_code_token_usage_tokens_total)", byType(tokens), 0, AWAIT);
    Map<String, BigDecimal> costByTeam = new TreeMap<>(ledger.costByTeam);
    costByTeam.merge("platform", RUN_COST.multiply(BigDecimal.valueOf(teamRuns)), BigDecimal::add);
    costByTeam.merge("", RUN_COST.multiply(BigDecimal.valueOf(n - teamRuns)), BigDecimal::add);
    prometheus.awaitVector("sum by (team_id) (claude_code_cost_usage_USD_total)", byTeam(costByTeam), REL, AWAIT);
    assertNoSessionLabel();
    assertNothingRejectedOrDropped();

    prometheus.awaitFreshScrape(AWAIT);
    prometheus.awaitValue("up{job=\"gateway\"}", 1, AWAIT);
    String text = exposition();
    assertThat(text).contains("claude_code_cost_usage_USD_total{").contains("claude_code_token_usage_tokens_total{");
    Promtool.Result result = Promtool.checkMetrics(text);
    assertThat(result.output()).as("promtool check metrics").isEmpty();
    assertThat(result.exitCode()).as("promtool check metrics: %s", result.output()).isZero();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: captured replays

  /** Replays every complete captured run, in order, through the receiver of its protocol. */
  private List<ClaudeCodeRuns.Run> replayAllCapturedRuns() throws Exception {
    List<ClaudeCodeRuns.Run> runs = ClaudeCodeRuns.COMPLETE_RUNS;
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", gateway.receiverAddress("otlp_grpc").getPort()).usePlaintext().build();
    try {
      for (ClaudeCodeRuns.Run run : runs) {
        for (CapturedRequest r : Fixtures.run(run.folder())) {
          if (r.transport().equals("grpc")) {
            CallOptions opts = (r.gzip() ? CallOptions.DEFAULT.withCompression("gzip") : CallOptions.DEFAULT)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
            byte[] response = ClientCalls.blockingUnaryCall(channel, RawGrpc.method(r.path().substring(1)), opts, r.body());
            assertThat(response).as("%s: an empty Export response (no partial_success)", r).isEmpty();
          } else {
            HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.receiverAddress("otlp_http").getPort() + r.path()))
                    .header("Content-Type", r.contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
            if (!r.header("content-encoding").isEmpty()) {
              b.header("Content-Encoding", r.header("content-encoding"));
            }
            HttpResponse<byte[]> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(resp.statusCode()).as("%s: %s", r, new String(resp.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            String body = new String(resp.body(), StandardCharsets.UTF_8).trim();
            assertThat(r.isJson() ? body : String.valueOf(resp.body().length))
                .as("%s: an empty Export response (no partial_success)", r)
                .isEqualTo(r.isJson() ? "{}" : "0");
          }
        }
      }
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    assertThat(gateway.pipeline().awaitIdle(Duration.ofSeconds(10))).isTrue();
    return runs;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: SDK processes

  /** What the simulated processes added: exact decimal cost and integer tokens. */
  static final class Ledger {
    final Map<String, BigDecimal> costByTeam = new TreeMap<>();
    final Map<String, Long> tokens = new TreeMap<>();
    final Map<String, Long> tokensByTeam = new TreeMap<>();

    BigDecimal cost() {
      return costByTeam.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    }
  }

  /**
   * One simulated Claude Code process: an SdkMeterProvider with the CLI's resource and meter, the
   * cost and token counters, and a reader that exports only on forceFlush (and on close).
   */
  static final class CliProcess {
    private final SdkMeterProvider provider;
    private final DoubleCounter cost;
    private final LongCounter tokens;
    private final Attributes attrs;
    private final String team;
    private final Ledger ledger;

    CliProcess(MetricExporter exporter, String resourceAttributes, Attributes attrs, Ledger ledger) {
      Resource resource = claudeCodeResource(resourceAttributes);
      this.provider =
          SdkMeterProvider.builder()
              .setResource(resource)
              .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
              .build();
      Meter meter = provider.get("com.anthropic.claude_code");
      this.cost = meter.counterBuilder("claude_code.cost.usage").ofDoubles().setUnit("USD").build();
      this.tokens = meter.counterBuilder("claude_code.token.usage").setUnit("tokens").build();
      this.attrs = attrs;
      this.team = resource.getAttribute(AttributeKey.stringKey("team.id"));
      this.ledger = ledger;
    }

    CliProcess cost(String usd) {
      BigDecimal v = new BigDecimal(usd);
      cost.add(v.doubleValue(), attrs);
      ledger.costByTeam.merge(team, v, BigDecimal::add);
      return this;
    }

    CliProcess tokens(String type, long n) {
      tokens.add(n, attrs.toBuilder().put("type", type).build());
      ledger.tokens.merge(type, n, Long::sum);
      ledger.tokensByTeam.merge(team, n, Long::sum);
      return this;
    }

    void flush() {
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).as("export of %s", attrs).isTrue();
    }

    /** Process exit: the SDK exports once more, then stops. */
    void exit() {
      assertThat(provider.shutdown().join(10, TimeUnit.SECONDS).isSuccess()).as("shutdown of %s", attrs).isTrue();
    }
  }

  /** The CLI's resource; {@code otelResourceAttributes} as in OTEL_RESOURCE_ATTRIBUTES (k=v,k=v). */
  static Resource claudeCodeResource(String otelResourceAttributes) {
    AttributesBuilder b = Attributes.builder();
    for (String kv : otelResourceAttributes.split(",")) {
      int eq = kv.indexOf('=');
      b.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    b.put("service.name", "claude-code").put("service.version", "2.1.328").put("os.type", "linux").put("host.arch", "amd64");
    return Resource.create(b.build());
  }

  static Attributes pointAttributes(String user, String session) {
    return Attributes.builder()
        .put("user.id", user)
        .put("session.id", session)
        .put("organization.id", "org-1")
        .put("terminal.type", "dumb")
        .put("model", "claude-opus-5-5")
        .build();
  }

  private static final String PLATFORM = "department=engineering,team.id=platform,cost_center=eng-123";
  private static final String DATA = "department=research,team.id=data,cost_center=res-7";

  /**
   * Runs the simulated processes, interleaved round by round, each round ending with a flush of
   * every process (one export each; delta exports carry only the series that changed).
   */
  private Ledger runSdkProcesses() throws Exception {
    Ledger ledger = new Ledger();
    String grpc = "http://127.0.0.1:" + gateway.receiverAddress("otlp_grpc").getPort();
    String httpMetrics = "http://127.0.0.1:" + gateway.receiverAddress("otlp_http").getPort() + "/v1/metrics";
    Supplier<MetricExporter> grpcDelta =
        () -> OtlpGrpcMetricExporter.builder().setEndpoint(grpc)
            .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred()).build();
    Supplier<MetricExporter> httpDelta =
        () -> OtlpHttpMetricExporter.builder().setEndpoint(httpMetrics).setCompression("gzip")
            .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred()).build();
    Supplier<MetricExporter> httpCumulative =
        () -> OtlpHttpMetricExporter.builder().setEndpoint(httpMetrics)
            .setAggregationTemporalitySelector(AggregationTemporalitySelector.alwaysCumulative()).build();

    // Platform team: one label set, five processes (sessions a..e).
    CliProcess a = new CliProcess(grpcDelta.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-a"), ledger);
    CliProcess b = new CliProcess(httpDelta.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-b"), ledger);
    CliProcess c = new CliProcess(httpCumulative.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-c"), ledger);
    CliProcess d = new CliProcess(httpCumulative.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-d"), ledger);
    CliProcess e = new CliProcess(httpCumulative.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-e"), ledger);
    // Another team (another resource), delta over gRPC.
    CliProcess f = new CliProcess(grpcDelta.get(), DATA, pointAttributes("sdk-dev-2", "session-f"), ledger);

    // Round 1: everybody starts.
    a.cost("0.25").tokens("input", 1000).tokens("output", 200);
    b.cost("0.0143108").tokens("cacheRead", 5000);
    c.cost("0.5").tokens("input", 300);
    d.cost("0.125").tokens("output", 40);
    e.cost("0.25").tokens("input", 10);
    f.cost("1").tokens("input", 7);
    flushAll(a, b, c, d, e, f);
    // Round 2: sparse delta series (a: tokens only, f: nothing); cumulative c resends its cost.
    a.tokens("cacheRead", 2000);
    b.cost("0.5").tokens("input", 50);
    c.tokens("output", 12);
    d.cost("0.0143108");
    e.cost("0.125").tokens("cacheCreation", 64);
    flushAll(a, b, c, d, e, f);
    // Round 3: e restarts: same resource and attributes, a new provider (new start time) from zero.
    e.exit();
    Thread.sleep(5);
    CliProcess e2 = new CliProcess(httpCumulative.get(), PLATFORM, pointAttributes("sdk-dev-1", "session-e"), ledger);
    a.cost("0.0143108").tokens("input", 8);
    b.tokens("cacheCreation", 900);
    c.cost("0.25");
    d.tokens("input", 4);
    e2.cost("0.5").tokens("input", 20);
    f.tokens("output", 3);
    flushAll(a, b, c, d, e2, f);
    // Round 4: a last few adds, then every process exits (a final export each).
    a.cost("0.125");
    d.cost("0.25").tokens("cacheRead", 700);
    e2.cost("0.0143108").tokens("output", 6);
    f.cost("0.5");
    flushAll(a, b, c, d, e2, f);
    b.cost("0.125");
    c.tokens("input", 1);
    for (CliProcess p : List.of(a, b, c, d, e2, f)) {
      p.exit();
    }
    assertThat(gateway.pipeline().awaitIdle(Duration.ofSeconds(10))).isTrue();
    return ledger;
  }

  private static void flushAll(CliProcess... processes) {
    for (CliProcess p : processes) {
      p.flush();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers: assertions

  /** Waits for {@code promql} to reach {@code expected} USD within 1e-9 relative, and to the cent. */
  private void assertCost(String promql, BigDecimal expected) throws Exception {
    double actual = prometheus.awaitValue(promql, expected.doubleValue(), REL, AWAIT);
    assertThat(actual).as(promql).isCloseTo(expected.doubleValue(), within(0.005));
  }

  /** No series at all (Claude Code or other) carries a session_id label. */
  private void assertNoSessionLabel() throws Exception {
    assertThat(prometheus.query("count(claude_code_token_usage_tokens_total{session_id!=\"\"})")).isEmpty();
    assertThat(prometheus.query("count({session_id!=\"\"})")).isEmpty();
  }

  /** No item was rejected by a receiver, no point by the Prometheus exporter, none taken for a retry. */
  private void assertNothingRejectedOrDropped() throws Exception {
    prometheus.awaitFreshScrape(AWAIT);
    for (String q :
        List.of(
            "sum(gateway_rejected_items_total)",
            "sum(gateway_prometheus_rejected_points_total)",
            "sum(gateway_prometheus_duplicate_points_total)")) {
      List<Sample> r = prometheus.query(q);
      assertThat(r.stream().mapToDouble(Sample::value).sum()).as(() -> q + prometheus.diagnostics()).isZero();
    }
  }

  private String exposition() throws Exception {
    InetSocketAddress a = ((PrometheusExporter) gateway.exporter("prometheus")).boundAddress();
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  private static Map<String, Long> times(Map<String, Long> perRun, int n) {
    Map<String, Long> out = new TreeMap<>();
    perRun.forEach((k, v) -> out.put(k, v * n));
    return out;
  }

  private static Map<Map<String, String>, Double> byType(Map<String, Long> tokens) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    tokens.forEach((type, v) -> out.put(Map.of("type", type), (double) v));
    return out;
  }

  /** Team "" = series without a team_id label. */
  private static Map<Map<String, String>, Double> byTeam(Map<String, BigDecimal> cost) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    cost.forEach((team, v) -> out.put(team.isEmpty() ? Map.of() : Map.of("team_id", team), v.doubleValue()));
    return out;
  }

  private static Map<Map<String, String>, Double> byTeamLong(Map<String, Long> tokens) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    tokens.forEach((team, v) -> out.put(Map.of("team_id", team), (double) v));
    return out;
  }
}

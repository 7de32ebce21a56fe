package io.ccotel.gateway.bench;

import io.ccotel.gateway.testkit.loki.LokiFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The whole benchmark suite of issue 6 against the gateway jar, every figure next to its target.
 * Each scenario gets a fresh gateway process (fresh durable log, no Prometheus state file) on free
 * loopback ports; events go to a Loki-protocol fixture ({@link LokiFixture}) in this process.
 * Nothing here optimises or changes the gateway; it measures it. After the throughput and latency
 * rows come the overload scenario (3x the maximum rate, open loop, with an acknowledged-data
 * ledger) and, with {@code --soak}, the soak (half the maximum rate for 10 minutes, memory sampled).
 */
final class Suite {
  /** Settings of one suite run. */
  record Settings(
      Path jar,
      Path workDir,
      boolean quick,
      int batchPoints,
      int cliPoints,
      int eventsPerRequest,
      int concurrency,
      int connections,
      List<String> gatewayJvm,
      List<String> smallHeapJvm,
      boolean durable,
      String fsync,
      boolean jfr,
      int heapSeries,
      Stress stress) {
    double warmup() {
      return quick ? 3 : 8;
    }

    double duration() {
      return quick ? 6 : 15;
    }

    /** Longest warm-up of a max-rate scenario (longer than warmup() only while the JIT is busy). */
    double maxWarmupMax() {
      return quick ? 8 : 30;
    }

    /** Longest warm-up of a fixed-rate scenario (at its rate: JIT takes longer, but the heap is sized by that rate). */
    double maxWarmupFixed() {
      return quick ? 12 : 45;
    }
  }

  /**
   * Settings of the overload and soak scenarios.
   *
   * @param only scenarios to run alone ({@code overload}, {@code soak}); empty: the whole suite
   * @param maxRate the maximum rate (points/s) the overload (3x) and soak (0.5x) rates are based
   *     on; null: the accepted rate of this run's max-rate row of {@code protocol}
   * @param overloadSeconds the 3x phase (null: 60, 15 with --quick)
   * @param overloadJvm JVM options added to the gateway's for the overload run (a bounded heap)
   * @param inFlight requests in flight at most (more are skipped and counted)
   * @param soak whether the full suite includes the soak
   * @param soakMinutes (null: 10, 2 with --quick)
   * @param maxInflightBytes {@code limits.max_inflight_bytes} for both (null: no limits section)
   */
  record Stress(
      java.util.Set<String> only,
      Double maxRate,
      Workload.Protocol protocol,
      Double overloadSeconds,
      double recoverySeconds,
      List<String> overloadJvm,
      int inFlight,
      boolean soak,
      Double soakMinutes,
      List<String> soakJvm,
      String maxInflightBytes) {
    double overloadSeconds(boolean quick) {
      return overloadSeconds != null ? overloadSeconds : quick ? 15 : 60;
    }

    double soakSeconds(boolean quick) {
      return 60 * (soakMinutes != null ? soakMinutes : quick ? 2 : 10);
    }
  }

  private final Settings s;
  private final List<String> scenarioReady = new ArrayList<>();
  private final LokiStats lokiStats = new LokiStats();
  private String jfrSettings = "profile";
  private static final String JFR_RECORDING = "bench";
  private final Map<String, List<Workload.Payload>> pools = new LinkedHashMap<>();
  private final Map<List<Workload.Payload>, RetimedPool> retimed = new java.util.IdentityHashMap<>();
  private final StringBuilder details = new StringBuilder();
  private final int cores = Runtime.getRuntime().availableProcessors();
  private final ClaudeCodeTraffic.Shape shape = ClaudeCodeTraffic.Shape.defaults();

  Suite(Settings settings) {
    this.s = settings;
  }

  private List<Workload.Payload> pool(Workload w) {
    String key = w.signal() + "/" + (w.protocol() == Workload.Protocol.HTTP_JSON ? "json" : "protobuf") + "/" + w.itemsPerRequest() + "/" + w.poolItems();
    return pools.computeIfAbsent(key, k -> {
      long t0 = System.nanoTime();
      List<Workload.Payload> p = w.pool();
      long bytes = p.stream().mapToLong(x -> x.body().length).sum();
      long items = p.stream().mapToLong(Workload.Payload::items).sum();
      log("pool %s: %,d requests, %,d %s, %.1f MB, %.0f bytes/%s (built in %.1f s)", k, p.size(), items, w.signal().unit,
          bytes / 1e6, (double) bytes / items, w.signal().unit.replaceAll("s$", ""), (System.nanoTime() - t0) / 1e9);
      return p;
    });
  }

  private void log(String fmt, Object... args) {
    String line = String.format(Locale.ROOT, "[suite %tT] %s", Instant.now().atZone(java.time.ZoneId.systemDefault()), String.format(fmt, args));
    System.out.println(line);
    System.out.flush();
  }

  private GatewayProcess start(String name, GatewayProcess.Options o) throws IOException, InterruptedException {
    return start(name, o, s.jfr());
  }

  private GatewayProcess start(String name, GatewayProcess.Options o, boolean withJfr) throws IOException, InterruptedException {
    List<String> jfr = withJfr ? List.of(GatewayProcess.jfrOption(JFR_RECORDING, jfrSettings)) : List.of();
    GatewayProcess g = GatewayProcess.start(s.jar(), s.workDir(), name, o, jfr, Duration.ofSeconds(60));
    scenarioReady.add(String.format("%s %.0f", name, g.readyMillis));
    log("gateway %s: pid %d, ready (first successful export) after %.0f ms (gateway log: ready in %d ms); grpc %d, http %d, metrics %d",
        name, g.pid(), g.readyMillis, g.loggedReadyMillis(), g.grpcPort, g.httpPort, g.metricsPort);
    return g;
  }

  private GatewayProcess.Options options(int lokiPort) {
    return new GatewayProcess.Options(100_000, 20_000, lokiPort, s.durable(), s.fsync(), s.gatewayJvm());
  }

  private Sender sender(GatewayProcess g, Workload w) {
    return switch (w.protocol()) {
      case GRPC -> new GrpcSender(GatewayProcess.HOST, g.grpcPort, w.signal(), s.connections(), 30_000);
      case HTTP_PROTOBUF -> new HttpSender(GatewayProcess.HOST, g.httpPort, w.signal(), false, 30_000);
      case HTTP_JSON -> new HttpSender(GatewayProcess.HOST, g.httpPort, w.signal(), true, 30_000);
    };
  }

  /**
   * One scenario on a fresh gateway: warm-up (at least {@code Settings.warmup()}, longer while the
   * gateway's JIT is busy, up to {@code maxWarmup}), then the measured window; a JFR recording of
   * the gateway covers exactly the window. {@code then} (may be null) runs more measurements on
   * the same, warm gateway before it is stopped.
   */
  private LoadRun.Result scenario(String name, Workload w, Double rate, int inFlight, GatewayProcess.Options o, double maxWarmup, boolean printJfr,
      Then then) throws Exception {
    try (GatewayProcess g = start(name, o)) {
      AtomicLong cursor = new AtomicLong();
      LoadRun.Result r = measure(g, name, w, rate, inFlight, cursor, maxWarmup, printJfr);
      if (then != null) {
        then.run(g, cursor, r);
      }
      int exit = g.stop();
      if (exit != 0) {
        log("gateway %s exited with %d (see %s)", name, exit, g.log);
      }
      return r;
    }
  }

  interface Then {
    void run(GatewayProcess g, AtomicLong cursor, LoadRun.Result first) throws Exception;
  }

  /** One measured run against a running gateway (see {@link #scenario}). */
  private LoadRun.Result measure(GatewayProcess g, String name, Workload w, Double rate, int inFlight, AtomicLong cursor, double maxWarmup,
      boolean printJfr) throws Exception {
    List<Workload.Payload> pool = pool(w);
    LoadRun.Result r;
    Path jfrFile = s.workDir().resolve(name + ".jfr");
    java.time.Instant[] window = new java.time.Instant[2];
    long[] loki0 = new long[3];
    long[] loki1 = new long[3];
    try (Sender sender = sender(g, w)) {
      LoadRun run = new LoadRun(sender, w, pool, cursor, g.pid(), new GatewayScrape(GatewayProcess.HOST, g.metricsPort));
      run.warmUntilJitSettles(maxWarmup);
      run.window(
          () -> {
            lokiStats.snapshot(loki0);
            window[0] = java.time.Instant.now();
          },
          () -> {
            window[1] = java.time.Instant.now();
            lokiStats.snapshot(loki1);
          });
      r = rate == null ? run.max(inFlight, s.warmup(), s.duration()) : run.rate(rate, inFlight, s.warmup(), s.duration());
    }
    String text = LoadRun.report(r);
    if (w.signal() == Workload.Signal.LOGS) {
      text += String.format("  fixture    Loki fixture stored %,.0f entries/s in %,.0f pushes/s; its handlers were busy %.2f s per s%n",
          (loki1[0] - loki0[0]) / r.seconds(), (loki1[1] - loki0[1]) / r.seconds(), (loki1[2] - loki0[2]) / 1e9 / r.seconds());
    }
    System.out.print(text);
    details.append("### ").append(name).append("\n\n```\n").append(text).append("```\n\n");
    if (s.jfr() && g.jfrDump(JFR_RECORDING, jfrFile, window[0], window[1])) {
      String summary = JfrSummary.summarize(jfrFile, 20, window[0], window[1]);
      if (printJfr) {
        System.out.println("JFR of the gateway during " + name + ":");
        System.out.println(summary);
      }
      details.append("JFR of the gateway during the window (").append(jfrFile.getFileName()).append("):\n\n```\n").append(summary).append("```\n\n");
    }
    return r;
  }

  private Ceiling.Result ceiling(Workload w, boolean apply, int threads) throws InterruptedException {
    List<Workload.Payload> pool = pool(w);
    double warm = s.quick() ? 1 : 2;
    double secs = s.quick() ? 2 : 4;
    Ceiling.Result c = apply ? Ceiling.decodeAndApply(w, pool, threads, warm, secs) : Ceiling.decode(w, pool, threads, warm, secs);
    String line = String.format("ceiling %s, %s, %d thread(s): %,.0f %s/s", c.what(), w.describe(), threads, c.itemsPerSecond(), w.signal().unit);
    log("%s", line);
    details.append("- ").append(line).append("\n");
    return c;
  }

  /** Runs everything; returns the Markdown report (also written to workDir/results.md). */
  String run() throws Exception {
    long suiteStart = System.nanoTime();
    Files.createDirectories(s.workDir());
    log("work dir %s; %d cores; gateway JVM options %s; %s suite (%.0f s warm-up + %.0f s measured per scenario)",
        s.workDir(), cores, s.gatewayJvm(), s.quick() ? "quick" : "full", s.warmup(), s.duration());
    Map<String, Row> rows = new LinkedHashMap<>();
    jfrSettings = GatewayProcess.jfrSettings(s.workDir());
    Stress st = s.stress();
    boolean all = st.only().isEmpty();
    boolean overload = all || st.only().contains("overload");
    boolean soak = st.only().contains("soak") || (all && st.soak());

    // ---- readiness, first, on an idle machine (no pools in memory, no other gateway)
    List<Double> ready = new ArrayList<>();
    List<Long> logged = new ArrayList<>();
    for (int i = 0; all && i < 3; i++) {
      try (GatewayProcess g = GatewayProcess.start(s.jar(), s.workDir(), "ready-" + i, options(0), List.of(), Duration.ofSeconds(60))) {
        ready.add(g.readyMillis);
        logged.add(g.loggedReadyMillis());
        log("ready-%d: first successful export %.0f ms after the process started (gateway log: ready in %d ms)", i, g.readyMillis, g.loggedReadyMillis());
        g.stop();
      }
    }

    int poolPoints = 600_000;
    Workload grpcMetrics = new Workload(Workload.Protocol.GRPC, Workload.Signal.METRICS, s.batchPoints(), shape, poolPoints);
    Workload httpMetrics = new Workload(Workload.Protocol.HTTP_PROTOBUF, Workload.Signal.METRICS, s.batchPoints(), shape, poolPoints);
    Workload jsonMetrics = new Workload(Workload.Protocol.HTTP_JSON, Workload.Signal.METRICS, s.batchPoints(), shape, poolPoints);
    Workload events = new Workload(Workload.Protocol.HTTP_PROTOBUF, Workload.Signal.LOGS, s.eventsPerRequest(), shape, 100_000);
    Workload cliMetrics = new Workload(Workload.Protocol.HTTP_PROTOBUF, Workload.Signal.METRICS, s.cliPoints(), shape, poolPoints);

    LoadRun.Result grpc = null;
    LoadRun.Result http = null;
    LokiFixture loki = LokiFixture.start().unorderedWrites(true);
    Thread lokiJanitor = lokiStats.janitor(loki);
    try {
      GatewayProcess.Options o = options(loki.port());
      if (all) {
        // ---- ceilings: the same bodies decoded in-process
        details.append("## Ceilings (in-process, no network)\n\n");
        log("ceilings: in-process decode of the same request bodies, no network");
        ceiling(grpcMetrics, false, 1);
        Ceiling.Result cProto = ceiling(grpcMetrics, false, cores);
        Ceiling.Result cProtoApply = ceiling(grpcMetrics, true, cores);
        Ceiling.Result cJson = ceiling(jsonMetrics, false, cores);
        Ceiling.Result cJsonApply = ceiling(jsonMetrics, true, cores);
        Ceiling.Result cLogs = ceiling(events, false, cores);
        ceiling(cliMetrics, false, cores);
        details.append("\n## Scenarios\n\n");

        // gRPC at max rate, then on the same warm gateway half that rate for the latency figure.
        LoadRun.Result[] half = new LoadRun.Result[1];
        grpc = scenario("grpc-metrics", grpcMetrics, null, s.concurrency(), o, s.maxWarmupMax(), true,
            (g, cursor, first) -> half[0] = measure(g, "grpc-half-rate", grpcMetrics, Math.max(1000, first.acceptedPerSecond() / 2), 256, cursor,
                s.warmup(), false));
        rows.put("grpc", throughputRow("gRPC metrics (max)", "≥ 250,000 points/s", 250_000, grpc, cProto, cProtoApply));

        http = scenario("http-protobuf-metrics", httpMetrics, null, s.concurrency(), o, s.maxWarmupMax(), false, null);
        rows.put("http", throughputRow("HTTP protobuf metrics (max)", "≥ 200,000 points/s", 200_000, http, cProto, cProtoApply));

        LoadRun.Result json = scenario("http-json-metrics", jsonMetrics, null, s.concurrency(), o, s.maxWarmupMax(), false, null);
        rows.put("json", throughputRow("HTTP JSON metrics (max)", "≥ 80,000 points/s", 80_000, json, cJson, cJsonApply));

        LoadRun.Result ev = scenario("events-loki", events, null, s.concurrency(), o, s.maxWarmupMax(), true, null);
        rows.put("events", eventsRow(ev, cLogs));

        LoadRun.Result fixed = scenario("fixed-10k", cliMetrics, 10_000.0, 256, o, s.maxWarmupFixed(), false, null);
        rows.put("cpu", new Row("CPU at 10,000 points/s (HTTP protobuf, " + s.cliPoints() + " points/request)", "≤ 5% of one core",
            String.format("%.1f%%", fixed.gatewayCpuPercent()), fixed.gatewayCpuPercent() <= 5,
            miss(fixed.gatewayCpuPercent(), 5, false), "",
            String.format("of which JIT compiler threads %.1f%% (warm-up %.0f s); %,.0f points/s accepted (%,.0f requests/s), p50 %.1f / p99 %.1f ms; errors: %s",
                fixed.gatewayJitCpuPercent(), fixed.warmupSeconds(), fixed.acceptedPerSecond(),
                fixed.requestsPerSecond(), fixed.p50Millis(), fixed.p99Millis(), fixed.errorsText())));
        double rssMiB = fixed.gatewayRssMaxBytes() / 1048576.0;
        rows.put("rss", new Row("RSS at 10,000 points/s", "≤ 200 MiB", String.format("%.0f MiB", rssMiB), rssMiB <= 200,
            miss(rssMiB, 200, false), "", String.format("max over the window (end %.0f MiB); gateway JVM options: %s",
                fixed.gatewayRssEndBytes() / 1048576.0, s.gatewayJvm().isEmpty() ? "none (JVM defaults)" : String.join(" ", s.gatewayJvm()))));

        if (!s.smallHeapJvm().isEmpty()) {
          List<String> jvm = new ArrayList<>(s.gatewayJvm());
          jvm.addAll(s.smallHeapJvm());
          GatewayProcess.Options small = new GatewayProcess.Options(100_000, 20_000, loki.port(), s.durable(), s.fsync(), jvm);
          LoadRun.Result f2 = scenario("fixed-10k-small-heap", cliMetrics, 10_000.0, 256, small, s.maxWarmupFixed(), false, null);
          double rss2 = f2.gatewayRssMaxBytes() / 1048576.0;
          rows.put("rss-small", new Row("(info) RSS and CPU at 10,000 points/s with " + String.join(" ", s.smallHeapJvm()), "≤ 200 MiB, ≤ 5%",
              String.format("%.0f MiB, %.1f%%", rss2, f2.gatewayCpuPercent()), rss2 <= 200 && f2.gatewayCpuPercent() <= 5,
              rss2 > 200 ? miss(rss2, 200, false) : miss(f2.gatewayCpuPercent(), 5, false), "",
              String.format("same run with a bounded heap (a deployment setting, not the default); JIT %.1f%% of the CPU figure; p99 %.1f ms; errors: %s",
                  f2.gatewayJitCpuPercent(), f2.p99Millis(), f2.errorsText())));
        }

        LoadRun.Result p99 = half[0];
        rows.put("p99", new Row(String.format("p99 at half the max gRPC rate (%,.0f points/s offered, same warm gateway)", grpc.acceptedPerSecond() / 2), "≤ 5 ms",
            String.format("%.2f ms", p99.p99Millis()), p99.p99Millis() <= 5, miss(p99.p99Millis(), 5, false), "",
            String.format("p50 %.2f, p99.9 %.2f, max %.2f ms; %,.0f points/s accepted; CPU %.0f%% (JIT %.0f%%); errors: %s%s",
                p99.p50Millis(), p99.p999Millis(), p99.maxMillis(), p99.acceptedPerSecond(), p99.gatewayCpuPercent(), p99.gatewayJitCpuPercent(), p99.errorsText(),
                p99.backlogged() > 0 ? "; backlogged " + p99.backlogged() : "")));

        rows.put("render", renderRow(loki.port()));
      }

      // ---- overload (3x the max rate) and soak (0.5x for 10 minutes), each on a fresh gateway
      if (overload || soak) {
        if (!all) {
          details.append("## Scenarios\n\n");
        }
        double base;
        String baseFrom;
        if (st.maxRate() != null) {
          base = st.maxRate();
          baseFrom = "--max-rate";
        } else {
          LoadRun.Result r = st.protocol() == Workload.Protocol.GRPC ? grpc : http;
          if (r == null) {
            Workload w = st.protocol() == Workload.Protocol.GRPC ? grpcMetrics : httpMetrics;
            r = scenario("max-rate-" + (st.protocol() == Workload.Protocol.GRPC ? "grpc" : "http-protobuf"), w, null, s.concurrency(), o,
                s.maxWarmupMax(), false, null);
          }
          base = r.acceptedPerSecond();
          baseFrom = "the " + st.protocol().label + " max-rate row of this run";
        }
        log("stress scenarios: maximum rate %,.0f points/s (%s)", base, baseFrom);
        if (overload) {
          rows.put("overload", overloadRow(base, baseFrom, loki.port()));
        }
        if (soak) {
          rows.put("soak", soakRow(base, baseFrom, loki.port()));
        }
      }
    } finally {
      lokiJanitor.interrupt();
      loki.close();
    }
    pools.clear();
    retimed.clear();

    if (all) {
      rows.put("heap", heapRow());

      double[] r = ready.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = r[r.length / 2];
      rows.put("ready", new Row("Ready (process start → first successful export)", "≤ 1.5 s",
          String.format("%.2f s", median / 1000), median <= 1500, miss(median, 1500, false), "",
          String.format("median of %d starts on an idle machine: %s ms (gateway's own \"ready in\" log: %s ms); during the suite: %s ms",
              r.length, Arrays.toString(Arrays.stream(r).mapToLong(Math::round).toArray()), logged, scenarioReady)));
    }

    String report = markdown(rows, (System.nanoTime() - suiteStart) / 1e9);
    Files.writeString(s.workDir().resolve("results.md"), report + "\n" + details, StandardCharsets.UTF_8);
    return report;
  }

  // ------------------------------------------------------------------------------ overload, soak

  private static final String[] LIMITER_METRICS = {
    "gateway_inflight_bytes", "gateway_inflight_limit_bytes", "gateway_heap_after_gc_ratio", "gateway_overload_refusals_total",
    "gateway_overload_refusals", "gateway_prometheus_series", "gateway_durable_reader_lag_records"
  };

  private RetimedPool retimed(List<Workload.Payload> payloads) {
    return retimed.computeIfAbsent(payloads, p -> {
      RetimedPool r = new RetimedPool(p);
      log("re-timed pool: %,d requests, %s; each pass over it shifts times by %.1f ms", r.size(), r.names(), r.shiftNanos() / 1e6);
      return r;
    });
  }

  private Sender stressSender(GatewayProcess g, Workload.Protocol protocol) {
    return switch (protocol) {
      // Many calls at once: more channels than the throughput rows (HTTP: a connection per request in flight).
      case GRPC -> new GrpcSender(GatewayProcess.HOST, g.grpcPort, Workload.Signal.METRICS, Math.max(8, s.connections()), 30_000);
      case HTTP_PROTOBUF -> new HttpSender(GatewayProcess.HOST, g.httpPort, Workload.Signal.METRICS, false, 30_000);
      case HTTP_JSON -> throw new IllegalArgumentException("overload and soak send protobuf (re-timed in place): --overload-protocol grpc or http-protobuf");
    };
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /**
   * Waits until the gateway has applied everything it acknowledged: its durable log readers have
   * no lag and two scrapes a second apart show the same claude_code totals. Returns the last full
   * scrape (null when the gateway does not answer).
   */
  private GatewayScrape.Result drained(GatewayProcess g, GatewayScrape full, long timeoutMillis) throws InterruptedException {
    GatewayScrape lag = full.only("gateway_durable_reader_lag_records");
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    GatewayScrape.Result prev = null;
    while (g.alive()) {
      GatewayScrape.Result l = lag.scrape();
      if (l != null && l.get("gateway_durable_reader_lag_records") == 0) {
        GatewayScrape.Result r = full.scrape();
        if (r != null && prev != null && r.claudeSums().equals(prev.claudeSums())) {
          return r;
        }
        prev = r;
      }
      if (System.nanoTime() > deadline) {
        log("gateway %s: not drained after %d s (reader lag %s)", g.name, timeoutMillis / 1000, l == null ? "?" : String.format("%,.0f", l.get("gateway_durable_reader_lag_records")));
        return prev != null ? prev : full.scrape();
      }
      Thread.sleep(1000);
    }
    return null;
  }

  /** Samples the gateway while load runs: RSS every 200 ms, the limiter's gauges every second, and when it died. */
  private static final class GatewaySampler extends Thread {
    private final GatewayProcess g;
    private final GatewayScrape limiter;
    volatile long rssMax = -1;
    volatile double inflightMax = Double.NaN;
    volatile double inflightLimit = Double.NaN;
    volatile double heapRatioMax = Double.NaN;
    volatile long diedAtNanos = -1;
    final long startNanos = System.nanoTime();

    GatewaySampler(GatewayProcess g, GatewayScrape full) {
      super("gateway-sampler");
      setDaemon(true);
      this.g = g;
      this.limiter = full.only(LIMITER_METRICS);
    }

    @Override
    public void run() {
      long nextScrape = 0;
      while (!isInterrupted()) {
        if (!g.alive()) {
          diedAtNanos = System.nanoTime();
          return;
        }
        rssMax = Math.max(rssMax, ProcStats.rssBytes(g.pid()));
        if (System.nanoTime() >= nextScrape) {
          nextScrape = System.nanoTime() + 1_000_000_000L;
          GatewayScrape.Result r = limiter.scrape();
          if (r != null && r.has("gateway_inflight_bytes")) {
            inflightMax = Double.isNaN(inflightMax) ? r.get("gateway_inflight_bytes") : Math.max(inflightMax, r.get("gateway_inflight_bytes"));
            inflightLimit = r.get("gateway_inflight_limit_bytes");
          }
          if (r != null && r.has("gateway_heap_after_gc_ratio")) {
            heapRatioMax = Double.isNaN(heapRatioMax) ? r.get("gateway_heap_after_gc_ratio") : Math.max(heapRatioMax, r.get("gateway_heap_after_gc_ratio"));
          }
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void finish() throws InterruptedException {
      interrupt();
      join();
      if (g.alive()) {
        rssMax = Math.max(rssMax, ProcStats.rssBytes(g.pid()));
      }
    }
  }

  /**
   * Overload: a fresh gateway with a bounded heap; open loop at half the maximum rate for the
   * warm-up, then 3x the maximum rate, then half again (recovery). PASS/FAIL for: no OOM (alive at
   * the end, no OutOfMemoryError in its log), no acknowledged point lost (the claude_code totals on
   * /metrics after the drain equal the values of every acknowledged point, relative error ≤ 1e-9),
   * recovery (from 5 s into the recovery phase on, ≤ 1% of the answers not ok and every request of
   * that part sent).
   */
  private Row overloadRow(double base, String baseFrom, int lokiPort) throws Exception {
    Stress st = s.stress();
    Workload w = new Workload(st.protocol(), Workload.Signal.METRICS, s.batchPoints(), shape, 600_000);
    List<Workload.Payload> payloads = pool(w);
    RetimedPool rp = retimed(payloads);
    List<String> jvm = concat(s.gatewayJvm(), st.overloadJvm());
    // The same config as the other scenarios (logs to the Loki fixture, idle here): with no queued
    // exporter at all, the durable log has no reader and is never truncated.
    GatewayProcess.Options o = new GatewayProcess.Options(100_000, 20_000, lokiPort, s.durable(), s.fsync(), jvm, st.maxInflightBytes());
    double high = 3 * base;
    double low = 0.5 * base;
    double overSecs = st.overloadSeconds(s.quick());
    double recSecs = st.recoverySeconds();
    double settle = Math.min(5, recSecs / 4);
    String unit = "points";
    StringBuilder rep = new StringBuilder();
    rep.append(String.format("overload: %s, %d points/request, JVM %s, %s%s; max rate %,.0f points/s (%s)%n", st.protocol().label, s.batchPoints(),
        String.join(" ", jvm), s.durable() ? "durability on (fsync " + s.fsync() + ")" : "durability OFF",
        st.maxInflightBytes() == null ? "" : ", limits.max_inflight_bytes " + st.maxInflightBytes(), base, baseFrom));
    // No JFR recording here: its buffers would count in the RSS and heap figures.
    try (GatewayProcess g = start("overload", o, false)) {
      GatewayScrape full = new GatewayScrape(GatewayProcess.HOST, g.metricsPort);
      GatewayScrape.Result before = drained(g, full, 30_000);
      GatewaySampler sampler = new GatewaySampler(g, full);
      sampler.start();
      OpenLoop.Phase warm;
      OpenLoop.Phase over;
      String overCpu;
      OpenLoop.Phase rec;
      OpenLoop.Ledger ledger;
      boolean allAnswered;
      int inFlightBound;
      try (Sender sender = stressSender(g, st.protocol())) {
        OpenLoop loop = new OpenLoop(sender, rp, payloads, new AtomicLong(), st.inFlight());
        inFlightBound = loop.maxInFlight();
        log("overload: warm-up %,.0f points/s for %.0f s, then %,.0f points/s (3x) for %.0f s, then %,.0f points/s for %.0f s; at most %d requests in flight",
            low, s.warmup(), high, overSecs, low, recSecs, inFlightBound);
        warm = loop.phase("warm-up", low, s.warmup(), 0);
        long gw0 = ProcStats.cpuNanos(g.pid());
        long self0 = ProcStats.cpuNanos(ProcessHandle.current().pid());
        long m0 = ProcStats.machineBusyNanos();
        over = loop.phase("overload", high, overSecs, 0);
        double wall = over.wallSeconds() * 1e9;
        long gw1 = ProcStats.cpuNanos(g.pid());
        long self1 = ProcStats.cpuNanos(ProcessHandle.current().pid());
        long m1 = ProcStats.machineBusyNanos();
        overCpu = gw0 < 0 || gw1 < 0 || m0 < 0 || m1 < 0
            ? String.format("CPU in the 3x phase: load generator %.0f%% of one core (gateway not measurable: it ended)", 100 * (self1 - self0) / wall)
            : String.format("CPU in the 3x phase (%% of one core; %d cores): gateway %.0f%%, load generator %.0f%%, rest of the machine %.0f%%",
                cores, 100 * (gw1 - gw0) / wall, 100 * (self1 - self0) / wall, 100 * ((m1 - m0) - (gw1 - gw0) - (self1 - self0)) / wall);
        log("overload: 3x phase done: sent %,.0f points/s of %,.0f offered, accepted %,.0f/s, overloaded answers %,d, other %s; %d in flight; gateway %s",
            over.sentPerSecond(), over.offeredPerSecond(), over.acceptedPerSecond(), over.overloaded.sum(), over.otherText(), loop.inFlight(),
            g.alive() ? "alive" : "DEAD");
        rec = loop.phase("recovery", low, recSecs, settle);
        allAnswered = loop.awaitAnswers(45_000);
        ledger = loop.ledger();
      }
      sampler.finish();
      boolean alive = g.alive();
      List<String> oom = g.oomLines();
      GatewayScrape.Result after = alive ? drained(g, full, 120_000) : null;
      int exit = alive ? g.stop() : g.exitCode();
      if (!alive) {
        log("overload: the gateway DIED %.1f s into the run, exit code %d%s", (sampler.diedAtNanos - sampler.startNanos) / 1e9, exit,
            oom.isEmpty() ? "" : ": " + oom.get(0));
      }

      // ---- report
      for (OpenLoop.Phase ph : List.of(warm, over, rec)) {
        rep.append(ph.report(unit));
      }
      rep.append("  ").append(overCpu).append('\n');
      rep.append(String.format("  recovery  per second (ok/overloaded/other): %s%n", rec.timeline()));
      int recoveredAt = rec.recoveredAfter(0.01);
      rep.append(String.format("  recovery  %s%n", recoveredAt < 0 ? "errors above 1% until the end of the phase"
          : "every second from " + recoveredAt + " s on had ≤ 1% errors"));
      double settledErr = rec.settledAnswered.sum() == 0 ? 1 : (double) rec.settledErrors.sum() / rec.settledAnswered.sum();
      double settledP99 = rec.settledLatency.getValueAtPercentile(99) / 1000.0;
      rep.append(String.format("  recovery  from %.0f s on: %,d answered, %.2f%% not ok, p99 %.1f ms%n", settle, rec.settledAnswered.sum(), 100 * settledErr, settledP99));
      rep.append(String.format("  gateway   max RSS %.0f MiB; %s; peak gateway_inflight_bytes %s (limit %s); max gateway_heap_after_gc_ratio %s%n",
          sampler.rssMax / 1048576.0, alive ? "alive at the end, exit code after SIGTERM " + exit : "DIED, exit code " + exit + (oom.isEmpty() ? "" : " (" + oom.get(0).trim() + ")"),
          Double.isNaN(sampler.inflightMax) ? "not exposed" : String.format("%.1f MiB", sampler.inflightMax / 1048576.0),
          Double.isNaN(sampler.inflightLimit) ? "-" : sampler.inflightLimit < 0 ? "none" : String.format("%.1f MiB", sampler.inflightLimit / 1048576.0),
          Double.isNaN(sampler.heapRatioMax) ? "not exposed" : String.format("%.2f", sampler.heapRatioMax)));
      if (after != null) {
        rep.append(String.format("  gateway   gateway_requests_total{outcome=\"overloaded\"} %,.0f; gateway_overload_refusals_total %,.0f; duplicate points dropped %,.0f%n",
            after.get("gateway_requests_total", "outcome=\"overloaded\""), after.get("gateway_overload_refusals_total"),
            after.get("gateway_prometheus_duplicate_points_total")));
      }
      boolean noOom = alive && oom.isEmpty();
      boolean noLoss;
      String lossText;
      if (after == null || before == null) {
        noLoss = false;
        lossText = "no /metrics at the end (gateway " + (alive ? "not answering" : "dead") + ")";
      } else {
        List<OpenLoop.Ledger.Check> checks = ledger.compare(before.claudeSums(), after.claudeSums(), 1e-9);
        noLoss = ledger.partials.sum() == 0 && allAnswered && checks.stream().noneMatch(c -> c.lost() || c.excess());
        for (OpenLoop.Ledger.Check c : checks) {
          rep.append(String.format("  ledger    %-44s acked %,.6f, gateway %,.6f (relative %+.1e)%s%s%n", c.name(), c.expected(), c.observed(), c.relativeError(),
              c.unknownValue() > 0 ? String.format(", unknown fate %,.3f", c.unknownValue()) : "", c.lost() ? "  LOST" : c.excess() ? "  MORE THAN SENT" : ""));
        }
        long worst = checks.stream().filter(OpenLoop.Ledger.Check::lost).count();
        double maxRel = checks.stream().mapToDouble(c -> Math.abs(c.relativeError())).max().orElse(0);
        lossText = String.format("%,d points acknowledged in %s; %s", ledger.ackedItems.sum(), st.protocol().label,
            worst > 0 ? worst + " metric(s) short of the acknowledged values"
                : checks.stream().anyMatch(OpenLoop.Ledger.Check::excess) ? "the gateway holds more than was sent"
                : maxRel <= 1e-9 ? "totals match to 1e-9"
                : String.format("none short; the gateway holds up to %.2g%% more than acknowledged, within what the requests of unknown fate carried", 100 * maxRel))
            + (ledger.unknownItems.sum() > 0 ? String.format(" (%,d points of unknown fate: timeouts, I/O errors)", ledger.unknownItems.sum()) : "")
            + (ledger.partials.sum() > 0 ? String.format("; %,d partial successes (cannot be checked)", ledger.partials.sum()) : "")
            + (allAnswered ? "" : "; some requests never answered");
      }
      boolean recovers = alive && settledErr <= 0.01 && rec.skipped.sum() == 0 && rec.settledAnswered.sum() > 0;
      rep.append(String.format("  PASS/FAIL no OOM: %s; no acknowledged point lost: %s (%s); recovers: %s%n", pf(noOom), pf(noLoss), lossText, pf(recovers)));
      System.out.print(rep);
      details.append("### overload\n\n```\n").append(rep).append("```\n\n");
      return new Row(String.format("overload 3× for %.0f s: no OOM / no acked loss / recovers (%s, %s)", overSecs, st.protocol().label, String.join(" ", st.overloadJvm())),
          "no OOM, no acked loss, recovers",
          String.format("%s / %s / %s", pf(noOom), pf(noLoss), pf(recovers)), noOom && noLoss && recovers, "", "",
          String.format("offered %,.0f points/s (3× %,.0f), sent %,.0f/s, accepted %,.0f/s; answers ok %,d, overloaded %,d (retry hint %,d), other %s; max RSS %.0f MiB; peak in-flight %s; %s; recovery (%,.0f/s, from %.0f s on): %.2f%% errors, p99 %.1f ms",
              over.offeredPerSecond(), base, over.sentPerSecond(), over.acceptedPerSecond(), over.ok.sum(), over.overloaded.sum(), over.overloadedHinted.sum(),
              over.otherText(), sampler.rssMax / 1048576.0,
              Double.isNaN(sampler.inflightMax) ? "not exposed" : String.format("%.1f MiB", sampler.inflightMax / 1048576.0), lossText,
              low, settle, 100 * settledErr, settledP99)
              + (recoveredAt < 0 ? ", never below 1% errors" : String.format(", ≤ 1%% errors from second %d on", recoveredAt)));
    }
  }

  private static String pf(boolean pass) {
    return pass ? "PASS" : "FAIL";
  }

  /** One soak sample. Sizes in MiB; heapAfterGc = survivors + old gen (eden is empty right after a GC). */
  record SoakSample(double t, double rss, double heapAfterGc, double old, double oldCapacity, long youngGcs, long fullGcs, long concurrentGcs,
      double series, double acceptedPerSecond, long errors, double heapRatio) {}

  /**
   * Soak: a fresh gateway at half the maximum rate for {@code soakMinutes}; every 10 s RSS, {@code
   * jstat -gc} (heap after the last GC ≈ S0U + S1U + OU, old gen used OU), series and accepted/s.
   * Verdict "flat": from the end of the warm-up (2 min; 30 s with --quick) to the end, the floor of
   * the old gen (its lowest sample per minute, i.e. after the collections that cleaned it) grew by
   * less than 5% and neither it nor RSS trends upwards (least-squares slope over the window ×
   * window length < 5% of the value at the end of warm-up).
   */
  private Row soakRow(double base, String baseFrom, int lokiPort) throws Exception {
    Stress st = s.stress();
    Workload w = new Workload(st.protocol(), Workload.Signal.METRICS, s.batchPoints(), shape, 600_000);
    List<Workload.Payload> payloads = pool(w);
    RetimedPool rp = retimed(payloads);
    List<String> jvm = concat(s.gatewayJvm(), st.soakJvm());
    // The same config as the other scenarios (logs to the Loki fixture, idle here): with no queued
    // exporter at all, the durable log has no reader and is never truncated.
    GatewayProcess.Options o = new GatewayProcess.Options(100_000, 20_000, lokiPort, s.durable(), s.fsync(), jvm, st.maxInflightBytes());
    double rate = 0.5 * base;
    double total = st.soakSeconds(s.quick());
    double warm = Math.min(s.quick() ? 30 : 120, total / 2);
    double bucket = s.quick() ? 30 : 60;
    double every = 10;
    StringBuilder rep = new StringBuilder();
    rep.append(String.format("soak: %s, %d points/request, %,.0f points/s (half of %,.0f, %s) for %.1f min; JVM %s; %s%n", st.protocol().label, s.batchPoints(),
        rate, base, baseFrom, total / 60, String.join(" ", jvm), s.durable() ? "durability on (fsync " + s.fsync() + ")" : "durability OFF"));
    List<SoakSample> samples = new ArrayList<>();
    try (GatewayProcess g = start("soak", o, false)) {
      GatewayScrape full = new GatewayScrape(GatewayProcess.HOST, g.metricsPort);
      GatewayScrape small = full.only(LIMITER_METRICS);
      OpenLoop.Phase[] phase = new OpenLoop.Phase[1];
      try (Sender sender = stressSender(g, st.protocol())) {
        OpenLoop loop = new OpenLoop(sender, rp, payloads, new AtomicLong(), st.inFlight());
        Thread runner = new Thread(() -> phase[0] = loop.phase("soak", rate, total, warm), "soak-load");
        long t0 = System.nanoTime();
        runner.start();
        log("soak: %,.0f points/s for %.0f s on pid %d; sampling every %.0f s (warm-up until %.0f s)", rate, total, g.pid(), every, warm);
        long lastItems = 0;
        long lastErrors = 0;
        long lastT = t0;
        for (int i = 1; ; i++) {
          long due = t0 + (long) (i * every * 1e9);
          if (due > t0 + (long) (total * 1e9) + 500_000_000L) {
            break;
          }
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
          }
          if (!g.alive()) {
            log("soak: the gateway DIED (exit code %d)", g.exitCode());
            break;
          }
          long now = System.nanoTime();
          long items = loop.ledger().ackedItems.sum();
          OpenLoop.Phase cur = loop.current();
          long errors = cur == null ? 0 : cur.overloaded.sum() + cur.otherSum() + cur.skipped.sum();
          Map<String, Double> gc = g.jstatGc();
          GatewayScrape.Result m = small.scrape();
          SoakSample sm = new SoakSample((now - t0) / 1e9, ProcStats.rssBytes(g.pid()) / 1048576.0,
              (gc.getOrDefault("S0U", 0.0) + gc.getOrDefault("S1U", 0.0) + gc.getOrDefault("OU", Double.NaN)) / 1024,
              gc.getOrDefault("OU", Double.NaN) / 1024, gc.getOrDefault("OC", Double.NaN) / 1024,
              gc.getOrDefault("YGC", -1.0).longValue(), gc.getOrDefault("FGC", -1.0).longValue(), gc.getOrDefault("CGC", -1.0).longValue(),
              m == null ? Double.NaN : m.get("gateway_prometheus_series"), (items - lastItems) / ((now - lastT) / 1e9), errors - lastErrors,
              m != null && m.has("gateway_heap_after_gc_ratio") ? m.get("gateway_heap_after_gc_ratio") : Double.NaN);
          samples.add(sm);
          lastItems = items;
          lastErrors = errors;
          lastT = now;
          log("soak: t=%.0f s RSS %.0f MiB, heap after GC %.1f MiB, old gen %.1f MiB (of %.0f), GCs young %d full %d concurrent %d, series %,.0f, accepted %,.0f points/s, %d requests not ok or skipped",
              sm.t(), sm.rss(), sm.heapAfterGc(), sm.old(), sm.oldCapacity(), sm.youngGcs(), sm.fullGcs(), sm.concurrentGcs(), sm.series(), sm.acceptedPerSecond(), sm.errors());
        }
        runner.join();
        loop.awaitAnswers(45_000);
      }
      boolean alive = g.alive();
      List<String> oom = g.oomLines();
      // Informational: the live heap at the end (a full GC, after the last sample).
      double liveEnd = Double.NaN;
      if (alive && g.fullGc()) {
        Map<String, Double> gc = g.jstatGc();
        liveEnd = (gc.getOrDefault("S0U", 0.0) + gc.getOrDefault("S1U", 0.0) + gc.getOrDefault("OU", Double.NaN) + gc.getOrDefault("EU", 0.0)) / 1024;
      }
      int exit = alive ? g.stop() : g.exitCode();
      OpenLoop.Phase ph = phase[0];
      if (ph != null) {
        rep.append(ph.report("points"));
      }
      rep.append("     t s   RSS MiB  heap after GC MiB  old gen MiB (capacity)  young/full/conc GCs    series  accepted/s  not ok\n");
      for (SoakSample sm : samples) {
        rep.append(String.format("  %6.0f %9.0f %18.1f %12.1f (%5.0f) %12s %,9.0f %,11.0f %7d%s%n", sm.t(), sm.rss(), sm.heapAfterGc(), sm.old(), sm.oldCapacity(),
            sm.youngGcs() + "/" + sm.fullGcs() + "/" + sm.concurrentGcs(), sm.series(), sm.acceptedPerSecond(), sm.errors(),
            Double.isNaN(sm.heapRatio()) ? "" : String.format("  heap after GC %.0f%% of max", 100 * sm.heapRatio())));
      }
      // ---- verdict
      List<SoakSample> post = samples.stream().filter(x -> x.t() >= warm - 0.5).toList();
      boolean flat;
      String verdict;
      if (!alive || post.size() < 3) {
        flat = false;
        verdict = !alive ? "the gateway died (exit code " + exit + (oom.isEmpty() ? "" : ", " + oom.get(0).trim()) + ")" : "too few samples after the warm-up";
      } else {
        SoakSample first = post.get(0);
        SoakSample last = post.get(post.size() - 1);
        double minutes = (last.t() - first.t()) / 60;
        double rssGrowth = last.rss() - first.rss();
        double rssSlope = slope(post, SoakSample::rss);
        double heapGrowth = last.heapAfterGc() - first.heapAfterGc();
        double heapSlope = slope(post, SoakSample::heapAfterGc);
        // Floors of the old gen per bucket: its value after the collections that cleaned it.
        List<SoakSample> floors = new ArrayList<>();
        for (double from = first.t(); from < last.t() + 0.5; from += bucket) {
          double lo = from;
          post.stream().filter(x -> x.t() >= lo - 0.5 && x.t() < lo + bucket - 0.5).min(java.util.Comparator.comparingDouble(SoakSample::old)).ifPresent(floors::add);
        }
        double floorFirst = floors.get(0).old();
        double floorLast = floors.get(floors.size() - 1).old();
        double floorGrowthPct = 100 * (floorLast - floorFirst) / floorFirst;
        double floorSlope = floors.size() >= 2 ? slope(floors, SoakSample::old) : 0;
        boolean oldFlat = floorGrowthPct < 5;
        boolean oldTrend = floorSlope * minutes >= 0.05 * floorFirst;
        boolean rssTrend = rssSlope * minutes >= 0.05 * first.rss();
        flat = oldFlat && !oldTrend && !rssTrend;
        // Informational, not part of the verdict: RSS over the second half of the run (a capped heap
        // touches its pages once while it first fills, then RSS stays put).
        double half = samples.get(samples.size() - 1).t() / 2;
        SoakSample mid = samples.stream().filter(x -> x.t() >= half - 0.5).findFirst().orElse(last);
        verdict = String.format("from %.0f s to %.0f s: RSS %+.1f MiB (%+.2f MiB/min, %s), heap after GC %+.1f MiB (%+.2f MiB/min), old-gen floor %.1f -> %.1f MiB (%+.1f%%, %+.2f MiB/min over %d floors, %s)%s; RSS over the second half (%.0f s on) %+.1f MiB",
            first.t(), last.t(), rssGrowth, rssSlope, rssTrend ? "UPWARD" : "no upward trend", heapGrowth, heapSlope, floorFirst, floorLast, floorGrowthPct, floorSlope,
            floors.size(), oldTrend ? "UPWARD" : "no upward trend",
            Double.isNaN(liveEnd) ? "" : String.format("; live heap at the end (after a full GC) %.1f MiB", liveEnd),
            mid.t(), last.rss() - mid.rss());
      }
      double acceptedShare = post.isEmpty() ? 0 : post.stream().mapToDouble(SoakSample::acceptedPerSecond).average().orElse(0) / rate;
      boolean held = acceptedShare >= 0.95;
      rep.append("  verdict   ").append(flat ? "FLAT" : "NOT FLAT").append(": ").append(verdict).append('\n');
      rep.append(String.format("  load      after the warm-up the gateway accepted %.1f%% of the offered rate%s%n", 100 * acceptedShare,
          held ? "" : ": the load was NOT held, so the memory figures do not show the soak asked for"));
      System.out.print(rep);
      details.append("### soak\n\n```\n").append(rep).append("```\n\n");
      double rssMax = samples.stream().mapToDouble(SoakSample::rss).max().orElse(Double.NaN);
      return new Row(String.format("memory flat over %.0f min (%,.0f points/s = ½ max, %s)", total / 60, rate, String.join(" ", st.soakJvm())),
          "no growth after warm-up", (flat ? "flat" : "not flat") + (held ? "" : String.format(" (load not held: %.0f%% accepted)", 100 * acceptedShare)),
          flat && held, "", "",
          verdict + String.format("; max RSS %.0f MiB; accepted %,.0f points/s; errors: %s", rssMax, ph == null ? Double.NaN : ph.acceptedPerSecond(),
              ph == null ? "?" : ph.overloaded.sum() + ph.otherSum() == 0 ? "none"
                  : "overloaded " + ph.overloaded.sum() + (ph.otherSum() == 0 ? "" : ", " + ph.otherText())));
    }
  }

  /** Least-squares slope per minute of {@code f} over the samples' times. */
  private static double slope(List<SoakSample> xs, java.util.function.ToDoubleFunction<SoakSample> f) {
    int n = xs.size();
    double mt = xs.stream().mapToDouble(x -> x.t() / 60).average().orElse(0);
    double mv = xs.stream().mapToDouble(f).average().orElse(0);
    double num = 0;
    double den = 0;
    for (SoakSample x : xs) {
      double dt = x.t() / 60 - mt;
      num += dt * (f.applyAsDouble(x) - mv);
      den += dt * dt;
    }
    return n < 2 || den == 0 ? 0 : num / den;
  }

  /** Counts what the Loki fixture stored, and forgets it every second (it keeps every entry otherwise). */
  private static final class LokiStats {
    final AtomicLong entries = new AtomicLong();
    final AtomicLong pushes = new AtomicLong();
    final AtomicLong busyNanos = new AtomicLong();
    private volatile LokiFixture fixture;

    void snapshot(long[] out) {
      drain();
      out[0] = entries.get();
      out[1] = pushes.get();
      out[2] = busyNanos.get();
    }

    private void drain() {
      LokiFixture f = fixture;
      if (f == null) {
        return;
      }
      List<LokiFixture.Request> reqs;
      // The fixture's methods lock the fixture: reading and forgetting together lose nothing.
      synchronized (f) {
        reqs = f.requests();
        f.reset();
      }
      for (LokiFixture.Request r : reqs) {
        entries.addAndGet(r.accepted());
        pushes.incrementAndGet();
        busyNanos.addAndGet(Math.max(0, r.answeredNanos() - r.receivedNanos()));
      }
    }

    Thread janitor(LokiFixture loki) {
      fixture = loki;
      Thread t = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          try {
            Thread.sleep(1000);
          } catch (InterruptedException e) {
            return;
          }
          synchronized (this) {
            drain();
          }
        }
      }, "loki-janitor");
      t.setDaemon(true);
      t.start();
      return t;
    }
  }

  private Row renderRow(int lokiPort) throws Exception {
    GatewayProcess.Options o = new GatewayProcess.Options(200_000, 200_000, lokiPort, s.durable(), s.fsync(), s.gatewayJvm());
    try (GatewayProcess g = start("render-100k", o)) {
      int perUser = 7 * 4 + 6;
      int users = (100_000 + perUser - 1) / perUser;
      ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(new ClaudeCodeTraffic.Shape(users, 100, 4, users, 7));
      List<Workload.Payload> fill = new ArrayList<>();
      for (int u = 0; u < users; u += 10) {
        var req = io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.newBuilder();
        for (int v = u; v < Math.min(users, u + 10); v++) {
          req.addAllResourceMetrics(traffic.allSeriesOfUser(v).getResourceMetricsList());
        }
        var built = req.build();
        fill.add(new Workload.Payload(built.toByteArray(), ClaudeCodeTraffic.points(built)));
      }
      long refused = 0;
      int failed = 0;
      try (Sender sender = new GrpcSender(GatewayProcess.HOST, g.grpcPort, Workload.Signal.METRICS, 1, 60_000)) {
        for (Workload.Payload p : fill) {
          Sender.Outcome out = sender.send(p).get(60, TimeUnit.SECONDS);
          refused += out.rejected();
          failed += out.ok() ? 0 : 1;
        }
      }
      GatewayScrape scrape = new GatewayScrape(GatewayProcess.HOST, g.metricsPort);
      scrape.scrape(); // warm-up
      List<Double> ms = new ArrayList<>();
      long samples = 0;
      long bytes = 0;
      for (int i = 0; i < 5; i++) {
        GatewayScrape.Result r = scrape.scrape();
        ms.add(r.nanos() / 1e6);
        samples = r.claudeSamples();
        bytes = r.bytes();
      }
      g.stop();
      double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = sorted[sorted.length / 2];
      String line = String.format("%,d claude_code_* samples, %.1f MB text; GET /metrics times %s ms (5 scrapes, no gzip)%s",
          samples, bytes / 1e6, Arrays.toString(Arrays.stream(sorted).mapToLong(Math::round).toArray()),
          refused + failed > 0 ? String.format("; fill: %,d points refused, %d requests failed", refused, failed) : "");
      log("render: %s", line);
      details.append("/metrics with 100,000 series: ").append(line).append("\n\n");
      return new Row("GET /metrics with 100,000 series (over HTTP)", "≤ 250 ms", String.format("%.0f ms", median), median <= 250,
          miss(median, 250, false), "", line + "; the JMH ScrapeBenchmark times the rendering in-process");
    }
  }

  private Row heapRow() throws Exception {
    Path jar = Path.of(LoadGen.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> cmd = List.of(GatewayProcess.javaBin(), "-Xmx4g", "-cp", jar.toString(), LoadGen.class.getName(), "heap", "--series", Integer.toString(s.heapSeries()));
    log("heap: %s", String.join(" ", cmd));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.MINUTES);
    System.out.print(out);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("HEAP series=(\\d+) bytes=(\\d+) remembered=(\\d+) fill=([0-9.]+)").matcher(out);
    if (!m.find()) {
      return new Row(String.format("Heap with %,d series", s.heapSeries()), "≤ 1 GiB", "failed", false, "", "", out.trim());
    }
    double gib = Long.parseLong(m.group(2)) / (double) (1L << 30);
    return new Row(String.format("Heap with %,d series (after full GC)", Long.parseLong(m.group(1))), "≤ 1 GiB",
        String.format("%.2f GiB", gib), gib <= 1, miss(gib, 1, false), "",
        String.format("includes %,d remembered points (retry detection, kept 1 h); exporter filled in %s s in-process",
            Long.parseLong(m.group(3)), m.group(4)));
  }

  private Row throughputRow(String what, String target, double goal, LoadRun.Result r, Ceiling.Result decode, Ceiling.Result decodeApply) {
    double v = r.acceptedPerSecond();
    return new Row(
        what + ", " + r.workload().itemsPerRequest() + " points/request, " + s.concurrency() + " in flight",
        target,
        String.format("%,.0f points/s", v),
        v >= goal,
        miss(v, goal, true),
        String.format("%.0f%% of %,.0f (decode); %.0f%% of %,.0f (decode+apply)", 100 * v / decode.itemsPerSecond(), decode.itemsPerSecond(),
            100 * v / decodeApply.itemsPerSecond(), decodeApply.itemsPerSecond()),
        String.format("p50 %.1f / p99 %.1f / p99.9 %.1f ms; gateway CPU %.0f%% (JIT %.0f%%), loadgen %.0f%%, rest of machine %.0f%%; RSS %.0f MiB; series %,.0f; errors: %s",
            r.p50Millis(), r.p99Millis(), r.p999Millis(), r.gatewayCpuPercent(), r.gatewayJitCpuPercent(), r.loadgenCpuPercent(), r.othersCpuPercent(),
            r.gatewayRssMaxBytes() / 1048576.0,
            r.scrapeAfter() == null ? Double.NaN : r.scrapeAfter().get("gateway_prometheus_series"), r.errorsText()));
  }

  private Row eventsRow(LoadRun.Result r, Ceiling.Result decode) {
    double delivered = r.delta("gateway_loki_sent_entries_total") / r.seconds();
    double accepted = r.acceptedPerSecond();
    double v = Double.isNaN(delivered) ? accepted : Math.min(accepted, delivered);
    return new Row(
        "Events to Loki (HTTP protobuf, " + r.workload().itemsPerRequest() + " records/request, ~820 B each as the CLI's)",
        "≥ 100,000 records/s",
        String.format("%,.0f records/s", v),
        v >= 100_000,
        miss(v, 100_000, true),
        String.format("%.0f%% of %,.0f (decode)", 100 * v / decode.itemsPerSecond(), decode.itemsPerSecond()),
        String.format("accepted %,.0f/s, delivered to the Loki fixture %,.0f/s (the lower is shown); p99 %.1f ms; gateway CPU %.0f%% (JIT %.0f%%), loadgen + fixture %.0f%%, rest %.0f%%; errors: %s",
            accepted, delivered, r.p99Millis(), r.gatewayCpuPercent(), r.gatewayJitCpuPercent(), r.loadgenCpuPercent(), r.othersCpuPercent(), r.errorsText()));
  }

  /** "−23%" when a target is missed: how far off, relative to the target. */
  private static String miss(double value, double goal, boolean higherIsBetter) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    boolean met = higherIsBetter ? value >= goal : value <= goal;
    if (met) {
      return "";
    }
    double pct = higherIsBetter ? 100 * (goal - value) / goal : 100 * (value - goal) / goal;
    return String.format(higherIsBetter ? "%.0f%% short" : "%.0f%% over", pct);
  }

  record Row(String what, String target, String measured, boolean met, String miss, String ceiling, String notes) {}

  private String markdown(Map<String, Row> rows, double seconds) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("# gateway-bench suite (%s), %s%n%n", s.quick() ? "quick" : "full", Instant.now()));
    sb.append(String.format("Machine: %d cores shared by the gateway, the load generator and the Loki fixture (loopback); other builds may run at the same time, so figures are noisy. "
        + "Every scenario: fresh gateway (`java %s-jar gateway.jar`), %s, Prometheus exporter without state file; at least %.0f s warm-up (longer while the gateway's JIT compiler threads use over 10%% of a core, up to %.0f s; %.0f s for fixed rates), then %.0f s measured. Suite took %.0f s.%n%n",
        cores, s.gatewayJvm().isEmpty() ? "" : String.join(" ", s.gatewayJvm()) + " ", s.durable() ? "durability on (fsync " + s.fsync() + ")" : "durability OFF",
        s.warmup(), s.maxWarmupMax(), s.maxWarmupFixed(), s.duration(), seconds));
    sb.append("| figure | target | measured | met | fraction of the in-process ceiling | notes |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (Row r : rows.values()) {
      sb.append(String.format("| %s | %s | **%s** | %s | %s | %s |%n", r.what(), r.target(), r.measured(),
          r.met() ? "yes" : "no" + (r.miss().isEmpty() ? "" : " (" + r.miss() + ")"), r.ceiling().isEmpty() ? "–" : r.ceiling(), r.notes()));
    }
    return sb.toString();
  }
}

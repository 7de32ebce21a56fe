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
 * Nothing here optimises or changes the gateway; it measures it.
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
      int heapSeries) {
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

  private final Settings s;
  private final List<String> scenarioReady = new ArrayList<>();
  private final LokiStats lokiStats = new LokiStats();
  private String jfrSettings = "profile";
  private static final String JFR_RECORDING = "bench";
  private final Map<String, List<Workload.Payload>> pools = new LinkedHashMap<>();
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
    List<String> jfr = s.jfr() ? List.of(GatewayProcess.jfrOption(JFR_RECORDING, jfrSettings)) : List.of();
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

    // ---- readiness, first, on an idle machine (no pools in memory, no other gateway)
    List<Double> ready = new ArrayList<>();
    List<Long> logged = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
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

    LokiFixture loki = LokiFixture.start().unorderedWrites(true);
    Thread lokiJanitor = lokiStats.janitor(loki);
    try {
      GatewayProcess.Options o = options(loki.port());
      // gRPC at max rate, then on the same warm gateway half that rate for the latency figure.
      LoadRun.Result[] half = new LoadRun.Result[1];
      LoadRun.Result grpc = scenario("grpc-metrics", grpcMetrics, null, s.concurrency(), o, s.maxWarmupMax(), true,
          (g, cursor, first) -> half[0] = measure(g, "grpc-half-rate", grpcMetrics, Math.max(1000, first.acceptedPerSecond() / 2), 256, cursor,
              s.warmup(), false));
      rows.put("grpc", throughputRow("gRPC metrics (max)", "≥ 250,000 points/s", 250_000, grpc, cProto, cProtoApply));

      LoadRun.Result http = scenario("http-protobuf-metrics", httpMetrics, null, s.concurrency(), o, s.maxWarmupMax(), false, null);
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
    } finally {
      lokiJanitor.interrupt();
      loki.close();
    }
    pools.clear();

    rows.put("heap", heapRow());

    double[] r = ready.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double median = r[r.length / 2];
    rows.put("ready", new Row("Ready (process start → first successful export)", "≤ 1.5 s",
        String.format("%.2f s", median / 1000), median <= 1500, miss(median, 1500, false), "",
        String.format("median of %d starts on an idle machine: %s ms (gateway's own \"ready in\" log: %s ms); during the suite: %s ms",
            r.length, Arrays.toString(Arrays.stream(r).mapToLong(Math::round).toArray()), logged, scenarioReady)));

    String report = markdown(rows, (System.nanoTime() - suiteStart) / 1e9);
    Files.writeString(s.workDir().resolve("results.md"), report + "\n" + details, StandardCharsets.UTF_8);
    return report;
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

package io.ccotel.gateway.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load generator: Claude-Code-shaped OTLP traffic against a running gateway on this machine
 * (127.0.0.1 only), and the suite that starts the gateway jar and measures every figure of issue 6.
 *
 * <pre>
 * java -cp gateway-bench/target/benchmarks.jar io.ccotel.gateway.bench.LoadGen load --protocol grpc --signal metrics --concurrency 16 --duration 15
 * java -cp gateway-bench/target/benchmarks.jar io.ccotel.gateway.bench.LoadGen load --protocol http-protobuf --rate 10000 --points-per-request 20
 * java -cp gateway-bench/target/benchmarks.jar io.ccotel.gateway.bench.LoadGen suite --jar gateway-app/target/gateway.jar [--quick]
 * </pre>
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    description = "Claude-Code-shaped OTLP load against a gateway on 127.0.0.1, and the benchmark suite.",
    subcommands = {LoadGen.Load.class, LoadGen.SuiteCommand.class, LoadGen.Heap.class, LoadGen.Jfr.class})
public final class LoadGen implements Runnable {
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost");

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadGen()).execute(args));
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  @Command(name = "load", mixinStandardHelpOptions = true,
      description = "Drive a running gateway for a fixed time (fixed rate, or as fast as N in-flight requests allow), then report.")
  static final class Load implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "gateway address; loopback only (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--grpc-port", defaultValue = "4317")
    int grpcPort;

    @Option(names = "--http-port", defaultValue = "4318")
    int httpPort;

    @Option(names = "--metrics-port", defaultValue = "9464", description = "the gateway's /metrics port (series count, own counters); 0 = do not scrape")
    int metricsPort;

    @Option(names = "--protocol", defaultValue = "grpc", description = "grpc, http-protobuf or http-json (default ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--signal", defaultValue = "metrics", description = "metrics or logs (default ${DEFAULT-VALUE})")
    String signal;

    @Option(names = "--rate", description = "offered items (points or records) per second; without it: as fast as possible")
    Double rate;

    @Option(names = "--concurrency", defaultValue = "16", description = "requests in flight (max mode), or the bound on them (rate mode)")
    int concurrency;

    @Option(names = "--connections", defaultValue = "2", description = "gRPC channels (HTTP opens one connection per request in flight)")
    int connections;

    @Option(names = {"--items-per-request", "--points-per-request", "--records-per-request"}, defaultValue = "500")
    int itemsPerRequest;

    @Option(names = "--duration", defaultValue = "15", description = "measured seconds (default ${DEFAULT-VALUE})")
    double duration;

    @Option(names = "--warmup", defaultValue = "5", description = "seconds sent before measuring (default ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--jit-warmup", defaultValue = "0",
        description = "warm up longer, up to this many seconds in all, while the gateway's JIT compiler threads are busy (needs the pid)")
    double jitWarmup;

    @Option(names = "--users", defaultValue = "1000")
    int users;

    @Option(names = "--teams", defaultValue = "25")
    int teams;

    @Option(names = "--models", defaultValue = "4")
    int models;

    @Option(names = "--sessions", defaultValue = "5000")
    int sessions;

    @Option(names = "--pool-items", defaultValue = "600000",
        description = "distinct items pre-encoded and cycled through; keep above the exporter's retry memory (5 x max_series points) so no point is a repeat")
    int poolItems;

    @Option(names = "--pid", description = "the gateway's pid (CPU, RSS); default: the process running gateway.jar that listens on the port")
    Long pid;

    @Option(names = "--ceiling", defaultValue = "true", fallbackValue = "true", negatable = true, description = "also decode the same bodies in-process (default ${DEFAULT-VALUE})")
    boolean ceiling;

    @Override
    public Integer call() throws Exception {
      checkLoopback(host);
      host = "127.0.0.1";
      Workload.Protocol proto = Workload.Protocol.parse(protocol);
      Workload.Signal sig = Workload.Signal.valueOf(signal.toUpperCase(java.util.Locale.ROOT));
      ClaudeCodeTraffic.Shape shape = new ClaudeCodeTraffic.Shape(users, teams, models, sessions, 42);
      Workload w = new Workload(proto, sig, itemsPerRequest, shape, sig == Workload.Signal.LOGS ? Math.min(poolItems, 100_000) : poolItems);
      if (sig == Workload.Signal.METRICS && shape.maxSeries() > 100_000) {
        System.err.printf("note: this population can create %,d series, more than the default max_series (100,000)%n", shape.maxSeries());
      }
      System.out.printf("building %s pool of %,d %s...%n", w.describe(), w.poolItems(), sig.unit);
      List<Workload.Payload> pool = w.pool();
      int port = proto == Workload.Protocol.GRPC ? grpcPort : httpPort;
      long gatewayPid = pid != null ? pid : ProcStats.findGateway(port);
      if (gatewayPid <= 0) {
        System.err.println("note: gateway process not found (pass --pid): no CPU/RSS figures");
      }
      // The ceiling first, while the gateway is idle: the same bodies decoded in this process.
      Ceiling.Result decodeCeiling = null;
      Ceiling.Result applyCeiling = null;
      int cores = Runtime.getRuntime().availableProcessors();
      if (ceiling) {
        decodeCeiling = Ceiling.decode(w, pool, cores, 1, 3);
        if (sig == Workload.Signal.METRICS) {
          applyCeiling = Ceiling.decodeAndApply(w, pool, cores, 1, 3);
        }
      }
      GatewayScrape scrape = metricsPort > 0 ? new GatewayScrape(host, metricsPort) : null;
      LoadRun.Result r;
      try (Sender sender =
          proto == Workload.Protocol.GRPC
              ? new GrpcSender(host, grpcPort, sig, connections, 30_000)
              : new HttpSender(host, httpPort, sig, proto == Workload.Protocol.HTTP_JSON, 30_000)) {
        LoadRun run = new LoadRun(sender, w, pool, gatewayPid, scrape).warmUntilJitSettles(jitWarmup);
        r = rate == null ? run.max(concurrency, warmup, duration) : run.rate(rate, concurrency, warmup, duration);
      }
      System.out.print(LoadRun.report(r));
      if (decodeCeiling != null) {
        System.out.printf("  ceiling    in-process decode of the same bodies on %d threads: %,.0f %s/s; this run reached %.0f%% of it%n",
            cores, decodeCeiling.itemsPerSecond(), sig.unit, 100 * r.acceptedPerSecond() / decodeCeiling.itemsPerSecond());
      }
      if (applyCeiling != null) {
        System.out.printf("             decode + Prometheus apply (fresh exporter): %,.0f %s/s (%.0f%%)%n",
            applyCeiling.itemsPerSecond(), sig.unit, 100 * r.acceptedPerSecond() / applyCeiling.itemsPerSecond());
      }
      return r.errors().isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "suite", mixinStandardHelpOptions = true,
      description = "Start the gateway jar per scenario, run every scenario of issue 6, print one Markdown table (also in WORKDIR/results.md).")
  static final class SuiteCommand implements Callable<Integer> {
    @Option(names = "--jar", defaultValue = "gateway-app/target/gateway.jar")
    Path jar;

    @Option(names = "--work-dir", description = "configs, logs, durable logs, JFR, results (default: a new temp dir)")
    Path workDir;

    @Option(names = "--quick", description = "about 3 minutes: warm-up 3 to 12 s + 6 s measured per scenario (default: 8 to 45 s + 15 s)")
    boolean quick;

    @Option(names = "--batch-points", defaultValue = "500", description = "points per request in the throughput runs (default ${DEFAULT-VALUE})")
    int batchPoints;

    @Option(names = "--cli-points", defaultValue = "20", description = "points per request at 10,000 points/s (a CLI export; default ${DEFAULT-VALUE})")
    int cliPoints;

    @Option(names = "--events-per-request", defaultValue = "100")
    int eventsPerRequest;

    @Option(names = "--concurrency", defaultValue = "16")
    int concurrency;

    @Option(names = "--connections", defaultValue = "2")
    int connections;

    @Option(names = "--gateway-jvm", split = " ", description = "JVM options of the gateway (default: the Docker image's, -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:MaxRAMPercentage=75)")
    List<String> gatewayJvm = new ArrayList<>(List.of("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=75"));

    @Option(names = "--fsync", defaultValue = "always", description = "durability.fsync of the gateway (default ${DEFAULT-VALUE})")
    String fsync;

    @Option(names = "--durability", defaultValue = "true", fallbackValue = "true", negatable = true, description = "durability.enabled (default ${DEFAULT-VALUE}; --no-durability to compare)")
    boolean durability;

    @Option(names = "--small-heap-jvm", split = " ", description = "extra JVM options of an informational 10,000 points/s rerun (default: -Xmx256m; \"\" to skip)")
    List<String> smallHeapJvm = new ArrayList<>(List.of("-Xmx256m"));

    @Option(names = "--jfr", defaultValue = "true", fallbackValue = "true", negatable = true, description = "JFR recording of the gateway during the gRPC run")
    boolean jfr;

    @Option(names = "--heap-series", defaultValue = "1000000")
    int heapSeries;

    @Option(names = "--only", split = ",", paramLabel = "SCENARIO",
        description = "run only these scenarios: overload, soak (comma-separated); without --max-rate the max-rate row of --overload-protocol runs first")
    List<String> only = new ArrayList<>();

    @Option(names = {"--max-rate", "--rate"}, paramLabel = "POINTS_PER_S",
        description = "the maximum rate the overload (3x) and soak (0.5x) scenarios are based on (default: the accepted rate of this run's max-rate row)")
    Double maxRate;

    @Option(names = "--overload-protocol", defaultValue = "http-protobuf", description = "http-protobuf or grpc (default ${DEFAULT-VALUE})")
    String overloadProtocol;

    @Option(names = "--overload-seconds", description = "length of the 3x phase (default 60; 15 with --quick)")
    Double overloadSeconds;

    @Option(names = "--recovery-seconds", defaultValue = "20", description = "length of the 0.5x phase after it (default ${DEFAULT-VALUE})")
    double recoverySeconds;

    @Option(names = "--overload-jvm", split = " ",
        description = "JVM options added to --gateway-jvm for the overload run (default: -Xmx256m, so that an OOM is reachable; \"\" for none)")
    List<String> overloadJvm = new ArrayList<>(List.of("-Xmx256m"));

    @Option(names = "--overload-in-flight", defaultValue = "900",
        description = "requests in flight at most in overload and soak; a request due beyond it is skipped and counted (default ${DEFAULT-VALUE}: "
            + "under the gateway's default max_connections of 1000, as HTTP/1.1 takes a connection per request in flight)")
    int overloadInFlight;

    @Option(names = "--soak", description = "also run the soak (half the max rate for --soak-minutes; not part of the suite by default)")
    boolean soak;

    @Option(names = "--soak-minutes", description = "soak length (default 10; 2 with --quick)")
    Double soakMinutes;

    @Option(names = "--soak-jvm", split = " ", description = "JVM options added to --gateway-jvm for the soak (default: -Xmx256m; \"\" for none)")
    List<String> soakJvm = new ArrayList<>(List.of("-Xmx256m"));

    @Option(names = "--max-inflight-bytes", description = "limits.max_inflight_bytes of the overload and soak gateways, e.g. 64MiB or auto (default: no limits section)")
    String maxInflightBytes;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(jar)) {
        System.err.println("no gateway jar at " + jar.toAbsolutePath() + " (build it: ./mvnw -q -DskipTests package)");
        return 2;
      }
      Path dir = workDir != null ? workDir : Files.createTempDirectory("gateway-bench-");
      gatewayJvm.removeIf(String::isBlank);
      smallHeapJvm.removeIf(String::isBlank);
      overloadJvm.removeIf(String::isBlank);
      soakJvm.removeIf(String::isBlank);
      java.util.Set<String> scenarios = new java.util.LinkedHashSet<>();
      for (String o : only) {
        String n = o.trim().toLowerCase(java.util.Locale.ROOT);
        if (!n.equals("overload") && !n.equals("soak")) {
          System.err.println("--only: overload or soak, not " + o);
          return 2;
        }
        scenarios.add(n);
      }
      Workload.Protocol protocol = Workload.Protocol.parse(overloadProtocol);
      if (protocol == Workload.Protocol.HTTP_JSON) {
        System.err.println("--overload-protocol: http-protobuf or grpc (the bodies are re-timed in place, protobuf only)");
        return 2;
      }
      Suite.Stress stress = new Suite.Stress(Set.copyOf(scenarios), maxRate, protocol, overloadSeconds, recoverySeconds, List.copyOf(overloadJvm),
          overloadInFlight, soak, soakMinutes, List.copyOf(soakJvm), maxInflightBytes);
      Suite suite = new Suite(new Suite.Settings(jar, dir, quick, batchPoints, cliPoints, eventsPerRequest, concurrency, connections,
          List.copyOf(gatewayJvm), List.copyOf(smallHeapJvm), durability, fsync, jfr, heapSeries, stress));
      String table = suite.run();
      System.out.println();
      System.out.println(table);
      System.out.println("Details (per-scenario reports, JFR hot spots): " + dir.resolve("results.md"));
      return 0;
    }
  }

  @Command(name = "heap", mixinStandardHelpOptions = true,
      description = "Heap used by a Prometheus exporter holding N series (after full GC); run in a JVM of its own.")
  static final class Heap implements Callable<Integer> {
    @Option(names = "--series", defaultValue = "1000000")
    int series;

    @Override
    public Integer call() {
      SeriesHeap.Result r = SeriesHeap.measure(series);
      System.out.printf("%,d series: %.1f MiB of heap after full GC (baseline %.1f MiB excluded), %,d remembered points, filled in %.1f s (max heap %d MiB)%n",
          r.series(), r.heapBytes() / 1048576.0, r.baselineBytes() / 1048576.0, r.remembered(), r.fillSeconds(), Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf("HEAP series=%d bytes=%d remembered=%d fill=%.1f%n", r.series(), r.heapBytes(), r.remembered(), r.fillSeconds());
      return 0;
    }
  }

  @Command(name = "jfr-summary", mixinStandardHelpOptions = true, description = "Top frames of a JFR recording's execution samples.")
  static final class Jfr implements Callable<Integer> {
    @CommandLine.Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = "--top", defaultValue = "25")
    int top;

    @Override
    public Integer call() throws Exception {
      System.out.print(JfrSummary.summarize(file, top));
      return 0;
    }
  }

  static void checkLoopback(String host) {
    if (!LOOPBACK.contains(host)) {
      throw new CommandLine.ParameterException(new CommandLine(new LoadGen()), "only loopback targets (127.0.0.1): " + host);
    }
  }
}

package io.ccotel.gateway.bench;

import io.ccotel.gateway.app.ConfigLoader;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway jar started as its own process ({@code java [opts] -jar gateway.jar run --config
 * FILE}) on free loopback ports, with a config written for the run, its output in {@code
 * <name>.log}. Readiness is the time from starting the process to the first successful OTLP
 * export (HTTP protobuf {@code /v1/metrics}, one point), polled every 5 ms.
 */
final class GatewayProcess implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  private static final Pattern READY_LOG = Pattern.compile("Gateway ready in (\\d+) ms");

  final String name;
  final int grpcPort;
  final int httpPort;
  final int metricsPort;
  final Path dir;
  final Path log;
  private final Process process;
  final double readyMillis;

  /** What varies between runs of the suite. */
  record Options(int maxSeries, int maxSeriesPerMetric, int lokiPort, boolean durable, String fsync, List<String> jvmOptions,
      String maxInflightBytes) {
    /** Without a {@code limits:} section (the gateway's defaults). */
    Options(int maxSeries, int maxSeriesPerMetric, int lokiPort, boolean durable, String fsync, List<String> jvmOptions) {
      this(maxSeries, maxSeriesPerMetric, lokiPort, durable, fsync, jvmOptions, null);
    }

    Options withJvm(List<String> jvm) {
      return new Options(maxSeries, maxSeriesPerMetric, lokiPort, durable, fsync, jvm, maxInflightBytes);
    }
  }

  private GatewayProcess(String name, int grpcPort, int httpPort, int metricsPort, Path dir, Path log, Process process, double readyMillis) {
    this.name = name;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.metricsPort = metricsPort;
    this.dir = dir;
    this.log = log;
    this.process = process;
    this.readyMillis = readyMillis;
  }

  long pid() {
    return process.pid();
  }

  static String config(int grpc, int http, int metrics, Path durableDir, Options o) {
    return String.join(
        "\n",
        "# Written by gateway-bench for one run; no state file.",
        "receivers:",
        "  otlp_grpc: {endpoint: \"" + HOST + ":" + grpc + "\"}",
        "  otlp_http: {endpoint: \"" + HOST + ":" + http + "\"}",
        "exporters:",
        "  prometheus:",
        "    endpoint: \"" + HOST + ":" + metrics + "\"",
        "    state_file: \"\"",
        "    max_series: " + o.maxSeries(),
        "    max_series_per_metric: " + o.maxSeriesPerMetric(),
        o.lokiPort() > 0 ? "  loki: {endpoint: \"http://" + HOST + ":" + o.lokiPort() + "\"}" : "",
        "pipelines:",
        "  metrics: {exporters: [prometheus]}",
        "  logs: {exporters: [" + (o.lokiPort() > 0 ? "loki" : "") + "]}",
        "durability:",
        "  enabled: " + o.durable(),
        "  dir: \"" + durableDir + "\"",
        "  fsync: " + o.fsync(),
        o.maxInflightBytes() == null ? "" : "limits:\n  max_inflight_bytes: " + o.maxInflightBytes(),
        "");
  }

  /**
   * Starts the jar and waits until it answers an export (or fails after {@code timeout}).
   *
   * @param extraJvm options for this run only (e.g. JFR)
   */
  static GatewayProcess start(Path jar, Path workDir, String name, Options o, List<String> extraJvm, Duration timeout) throws IOException, InterruptedException {
    Path dir = Files.createDirectories(workDir.resolve(name));
    int grpc = freePort();
    int http = freePort();
    int metrics = freePort();
    String yaml = config(grpc, http, metrics, dir.resolve("log").toAbsolutePath(), o);
    // A bad config shows here with the gateway's own message (the jar's ConfigLoader may be newer
    // than the one built into this jar, so only warn: the process will say it too if it refuses).
    try {
      new ConfigLoader(Map.of()).loadText(yaml);
    } catch (RuntimeException e) {
      System.err.println("warning: config for " + name + " does not load here: " + e.getMessage());
    }
    Path configFile = dir.resolve("gateway.yaml");
    Files.writeString(configFile, yaml);
    Path log = workDir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(o.jvmOptions());
    cmd.addAll(extraJvm);
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    cmd.add("run");
    cmd.add("--config");
    cmd.add(configFile.toAbsolutePath().toString());
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofMillis(200)).build();
    byte[] probe = probeBody();
    URI uri = URI.create("http://" + HOST + ":" + http + "/v1/metrics");
    // Load the client's classes before the clock starts: a refused connection to the port.
    post(client, uri, probe);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    long deadline = t0 + timeout.toNanos();
    while (true) {
      if (post(client, uri, probe) == 200) {
        break;
      }
      if (!p.isAlive()) {
        throw new IOException("gateway " + name + " exited with " + p.exitValue() + " before it was ready; see " + log + ":\n" + tail(log));
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException("gateway " + name + " not ready after " + timeout.toMillis() + " ms; see " + log + ":\n" + tail(log));
      }
      Thread.sleep(5);
    }
    double ready = (System.nanoTime() - t0) / 1e6;
    return new GatewayProcess(name, grpc, http, metrics, dir, log, p, ready);
  }

  /** The gateway's own "Gateway ready in N ms" (from start() to receivers bound), or -1. */
  long loggedReadyMillis() {
    try {
      Matcher m = READY_LOG.matcher(Files.readString(log, StandardCharsets.UTF_8));
      return m.find() ? Long.parseLong(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static int post(HttpClient client, URI uri, byte[] body) {
    try {
      return client
          .send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).header("Content-Type", "application/x-protobuf")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static byte[] probeBody() {
    ExportMetricsServiceRequest req = new ClaudeCodeTraffic(new ClaudeCodeTraffic.Shape(1, 1, 1, 1, 99), 5).metrics(1);
    return req.toByteArray();
  }

  /**
   * The JVM option that records the gateway with JFR from its start (so the JDK classes that JFR
   * instruments are rewritten before the JIT compiles the hot paths, not in the middle of a
   * measurement); {@link #jfrDump} writes a time range of it.
   */
  static String jfrOption(String recording, String settings) {
    return "-XX:StartFlightRecording=name=" + recording + ",settings=" + settings;
  }

  /** Writes the recording's data of [begin, end] (whole chunks: filter events again) to {@code file}. */
  boolean jfrDump(String recording, Path file, java.time.Instant begin, java.time.Instant end) {
    return jcmd("JFR.dump", "name=" + recording, "filename=" + file.toAbsolutePath(), "begin=" + begin, "end=" + end) && Files.exists(file);
  }

  /**
   * JFR's {@code profile} settings with a 1 ms threshold for park, monitor, fsync and file-write
   * events, so that waiting (e.g. for the durable log's fsync) shows up, and per-thread CPU every
   * second, written to {@code dir}.
   * Returns the file, or "profile" when the JDK's file is not found.
   */
  static String jfrSettings(Path dir) {
    Path profile = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
    try {
      String xml = Files.readString(profile, StandardCharsets.UTF_8);
      for (String event : List.of("jdk.ThreadPark", "jdk.JavaMonitorEnter", "jdk.JavaMonitorWait", "jdk.FileForce", "jdk.FileWrite")) {
        xml = xml.replaceFirst(
            "(?s)(?<head><event name=\"" + Pattern.quote(event) + "\">(?:(?!</event>).)*?<setting name=\"threshold\"[^>]*>)[^<]*(?<tail></setting>)",
            "${head}1 ms${tail}");
      }
      // Per-thread CPU every second (JIT compiler and GC threads included), not every 10 s.
      xml = xml.replaceFirst(
          "(?s)(?<head><event name=\"jdk.ThreadCPULoad\">(?:(?!</event>).)*?<setting name=\"period\"[^>]*>)[^<]*(?<tail></setting>)",
          "${head}1 s${tail}");
      Path out = dir.resolve("bench-profile.jfc");
      Files.writeString(out, xml, StandardCharsets.UTF_8);
      return out.toAbsolutePath().toString();
    } catch (IOException e) {
      return "profile";
    }
  }

  /** Writes the recording to {@code file} and stops it; false when jcmd failed. */
  boolean jfrStop(String recording, Path file) {
    return jcmd("JFR.stop", "name=" + recording, "filename=" + file.toAbsolutePath()) && Files.exists(file);
  }

  private boolean jcmd(String... args) {
    List<String> cmd = new ArrayList<>(List.of(jcmdBin(), Long.toString(pid())));
    cmd.addAll(List.of(args));
    try {
      Process j = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!j.waitFor(60, TimeUnit.SECONDS) || j.exitValue() != 0) {
        System.err.println("jcmd " + String.join(" ", args) + " failed: " + out.trim());
        return false;
      }
      return true;
    } catch (IOException e) {
      System.err.println("jcmd failed: " + e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The exit code once the process has ended (else -1). */
  int exitCode() {
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** Lines of the gateway's log that mention an OutOfMemoryError (at most 3). */
  List<String> oomLines() {
    try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains("OutOfMemoryError")).limit(3).toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }

  /** SIGTERM (the gateway flushes and exits 0), then SIGKILL after 20 s. Returns the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
      return -9;
    }
    return process.exitValue();
  }

  /** Kills the process if still running and deletes its durable log (configs and logs stay). */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Path durable = dir.resolve("log");
    if (Files.exists(durable)) {
      try (var files = Files.walk(durable)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        System.err.println("could not delete " + durable + ": " + e);
      }
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  static String javaBin() {
    return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * {@code jstat -gc <pid>} (the JDK running this process): column name to value, sizes in KiB
   * (S0U, S1U, EU, OU, OC, ...), counts (YGC, FGC, CGC); empty when it failed.
   */
  Map<String, Double> jstatGc() {
    Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
    try {
      Process j = new ProcessBuilder(Files.isExecutable(jstat) ? jstat.toString() : "jstat", "-gc", Long.toString(pid()))
          .redirectErrorStream(true).start();
      String out = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!j.waitFor(30, TimeUnit.SECONDS) || j.exitValue() != 0) {
        return Map.of();
      }
      String[] lines = out.trim().split("\\R");
      if (lines.length < 2) {
        return Map.of();
      }
      String[] head = lines[0].trim().split("\\s+");
      String[] vals = lines[lines.length - 1].trim().split("\\s+");
      Map<String, Double> m = new java.util.LinkedHashMap<>();
      for (int i = 0; i < Math.min(head.length, vals.length); i++) {
        try {
          m.put(head[i], Double.parseDouble(vals[i]));
        } catch (NumberFormatException e) {
          // "-" for a column the collector does not have
        }
      }
      return m;
    } catch (IOException e) {
      return Map.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    }
  }

  /** A full GC now ({@code jcmd <pid> GC.run}); false when jcmd failed. */
  boolean fullGc() {
    return jcmd("GC.run");
  }

  static String jcmdBin() {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    return Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
  }
}

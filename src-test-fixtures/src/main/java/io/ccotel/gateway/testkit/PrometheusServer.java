package io.ccotel.gateway.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Prometheus server (the {@code prometheus} binary of the Debian package {@code
 * prometheus}) in its own process, scraping one target every second, for tests that check what
 * Prometheus itself makes of the gateway's exposition.
 *
 * <p>Without the binary the calling test is skipped with a message saying how to install it,
 * except under {@code CI=true}, where a missing binary is a failure (the same policy as {@link
 * Promtool#binary()}).
 *
 * <p>Everything lives in a temporary directory (configuration, TSDB, the server's log), removed by
 * {@link #close()}. Failure messages carry the tail of the log, the scrape target's health and the
 * target's exposition as Prometheus would fetch it.
 */
public final class PrometheusServer implements AutoCloseable {
  /** One element of an instant-vector result (or the single value of a scalar result). */
  public record Sample(Map<String, String> labels, double value) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final int START_ATTEMPTS = 3;

  private final Process process;
  private final Path dir;
  private final Path log;
  private final URI base;
  private final URI target;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Thread reaper;

  private PrometheusServer(Process process, Path dir, Path log, URI base, URI target) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.base = base;
    this.target = target;
    // A test that dies without close() must not leave a Prometheus behind.
    this.reaper = new Thread(process::destroyForcibly, "prometheus-reaper");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** The {@code prometheus} binary on PATH; skips the test (fails under CI=true) when missing. */
  public static String binary() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(d, "prometheus");
      if (f.isFile() && f.canExecute()) {
        return f.getPath();
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(
          "prometheus is not installed, and CI=true: .ci/run must install it (apt-get install -y prometheus)");
    }
    Assumptions.abort("prometheus not found: install it with 'apt-get install -y prometheus' to run this test");
    return null;
  }

  /**
   * Starts Prometheus scraping {@code http://<hostPort><metricsPath>} every second ({@code
   * honor_labels: true}, job {@code gateway}), waits until it answers {@code /-/ready} and until it
   * has scraped the target once (a few seconds: Prometheus starts new targets' scrape loops in
   * 5-second steps).
   *
   * @param hostPort the target, e.g. {@code 127.0.0.1:40123}
   * @param metricsPath e.g. {@code /metrics}
   */
  public static PrometheusServer scraping(String hostPort, String metricsPath) throws IOException, InterruptedException {
    String bin = binary();
    Path dir = Files.createTempDirectory("prometheus-it-");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: gateway
            honor_labels: true
            metrics_path: "%s"
            static_configs:
              - targets: ["%s"]
        """
            .formatted(metricsPath, hostPort));
    URI target = URI.create("http://" + hostPort + metricsPath);
    String lastFailure = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      int port = freePort();
      Path log = dir.resolve("prometheus-" + attempt + ".log");
      Path data = dir.resolve("data-" + attempt);
      Process p =
          new ProcessBuilder(
                  bin,
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + data,
                  "--web.listen-address=127.0.0.1:" + port,
                  "--log.level=info")
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      PrometheusServer server = new PrometheusServer(p, dir, log, URI.create("http://127.0.0.1:" + port), target);
      String failure = server.awaitReady();
      if (failure == null) {
        failure = server.awaitFirstScrape();
      }
      if (failure == null) {
        return server;
      }
      lastFailure = failure;
      server.stopProcess();
      // Another process took the port between freePort() and the bind: try another one.
      if (!failure.contains("address already in use")) {
        break;
      }
    }
    deleteRecursively(dir);
    throw new AssertionError(lastFailure);
  }

  /** Null when ready, else why not (with the log tail). */
  private String awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        return "prometheus exited with code " + process.exitValue() + " before it was ready; log tail:\n" + logTail(40);
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(base.resolve("/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return null;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    return "prometheus not ready within " + READY_TIMEOUT.toSeconds() + " s at " + base + "; log tail:\n" + logTail(40);
  }

  /**
   * Null once Prometheus has scraped the target at least once (healthy or not), else why not.
   * Prometheus hands new targets to the scrape loop only every 5 s, so this takes up to ~6 s; after
   * it, a change at the target shows in queries within about a scrape interval.
   */
  private String awaitFirstScrape() throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        return "prometheus exited with code " + process.exitValue() + "; log tail:\n" + logTail(40);
      }
      try {
        JsonNode t = activeTarget();
        if (t != null && !"unknown".equals(t.path("health").asText("unknown"))) {
          return null;
        }
      } catch (IOException e) {
        // retry until the deadline
      }
      Thread.sleep(100);
    }
    return "prometheus did not scrape " + target + " within " + READY_TIMEOUT.toSeconds() + " s" + diagnostics();
  }

  /** The server's HTTP API base, e.g. {@code http://127.0.0.1:40200}. */
  public URI baseUri() {
    return base;
  }

  /** The URL Prometheus scrapes. */
  public URI targetUri() {
    return target;
  }

  /**
   * Evaluates {@code promql} now ({@code GET /api/v1/query}) and returns its instant-vector result
   * (a scalar result as one sample without labels). An invalid query fails at once.
   */
  public List<Sample> query(String promql) throws IOException, InterruptedException {
    URI uri = base.resolve("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body;
    try {
      body = JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("Prometheus answered " + r.statusCode() + " with a non-JSON body to " + promql + ": " + r.body());
    }
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new AssertionError(
          "Prometheus rejected the query " + promql + " (" + r.statusCode() + "): "
              + body.path("errorType").asText() + ": " + body.path("error").asText());
    }
    JsonNode data = body.path("data");
    String type = data.path("resultType").asText();
    List<Sample> out = new ArrayList<>();
    switch (type) {
      case "vector" -> {
        for (JsonNode e : data.path("result")) {
          Map<String, String> labels = new TreeMap<>();
          e.path("metric").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
          out.add(new Sample(Map.copyOf(labels), parseValue(e.path("value").path(1).asText())));
        }
      }
      case "scalar" -> out.add(new Sample(Map.of(), parseValue(data.path("result").path(1).asText())));
      default -> throw new AssertionError("expected an instant vector or a scalar from " + promql + ", got " + type);
    }
    return out;
  }

  private static double parseValue(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  /**
   * Polls until {@code promql} yields exactly one sample (or a scalar) whose value equals {@code
   * expected} exactly; returns it. Fails after {@code timeout} with the last value seen.
   */
  public double awaitValue(String promql, double expected, Duration timeout) throws IOException, InterruptedException {
    return awaitValue(promql, expected, 0, timeout);
  }

  /**
   * Like {@link #awaitValue(String, double, Duration)}, equal within {@code relativeTolerance}
   * (|actual - expected| <= relativeTolerance * |expected|).
   */
  public double awaitValue(String promql, double expected, double relativeTolerance, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Sample> last;
    while (true) {
      last = query(promql);
      if (last.size() == 1 && close(last.get(0).value(), expected, relativeTolerance)) {
        return last.get(0).value();
      }
      if (System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "after " + timeout.toSeconds() + " s, " + promql + " is " + describe(last) + ", expected " + expected
            + (relativeTolerance > 0 ? " (relative tolerance " + relativeTolerance + ")" : " exactly")
            + diagnostics());
  }

  /**
   * Polls until the instant vector of {@code promql} has exactly the label sets of {@code expected},
   * each with its value within {@code relativeTolerance} (0 = exactly); returns the result.
   */
  public List<Sample> awaitVector(
      String promql, Map<Map<String, String>, Double> expected, double relativeTolerance, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Sample> last;
    while (true) {
      last = query(promql);
      if (matches(last, expected, relativeTolerance)) {
        return last;
      }
      if (System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "after " + timeout.toSeconds() + " s, " + promql + " is " + describe(last) + ", expected " + expected
            + (relativeTolerance > 0 ? " (relative tolerance " + relativeTolerance + ")" : " exactly")
            + diagnostics());
  }

  private static boolean matches(List<Sample> got, Map<Map<String, String>, Double> expected, double tol) {
    if (got.size() != expected.size()) {
      return false;
    }
    for (Sample s : got) {
      Double e = expected.get(s.labels());
      if (e == null || !close(s.value(), e, tol)) {
        return false;
      }
    }
    return true;
  }

  private static boolean close(double actual, double expected, double relativeTolerance) {
    if (relativeTolerance == 0) {
      return Double.compare(actual, expected) == 0;
    }
    return Math.abs(actual - expected) <= relativeTolerance * Math.abs(expected);
  }

  private static String describe(List<Sample> samples) {
    if (samples.isEmpty()) {
      return "empty";
    }
    StringBuilder b = new StringBuilder("[");
    for (Sample s : samples) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(s.labels()).append(" = ").append(s.value());
    }
    return b.append(']').toString();
  }

  /**
   * Waits until Prometheus has completed a scrape of the target that started after this call, and
   * that scrape was healthy; so the next query sees what the target exposes now.
   */
  public void awaitFreshScrape(Duration timeout) throws IOException, InterruptedException {
    double since = System.currentTimeMillis() / 1000.0;
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode t = null;
    while (System.nanoTime() < deadline) {
      t = activeTarget();
      if (t != null) {
        double last =
            OffsetDateTime.parse(t.path("lastScrape").asText("1970-01-01T00:00:00Z")).toInstant().toEpochMilli() / 1000.0;
        if (last > since && "up".equals(t.path("health").asText())) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no healthy scrape of " + target + " within " + timeout.toSeconds() + " s" + diagnostics());
  }

  /** The gateway target as {@code /api/v1/targets} reports it (health, lastError, lastScrape), or null. */
  public JsonNode activeTarget() throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("/api/v1/targets?state=active")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    for (JsonNode t : JSON.readTree(r.body()).path("data").path("activeTargets")) {
      if (target.toString().equals(t.path("scrapeUrl").asText())) {
        return t;
      }
    }
    return null;
  }

  /** What the target serves now (Prometheus text format), or why it could not be fetched. */
  public String targetExposition() {
    try {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "HTTP " + r.statusCode() + ": " + r.body();
    } catch (IOException e) {
      return "cannot fetch " + target + ": " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while fetching " + target;
    }
  }

  /** Target health, the Prometheus log tail and the target's exposition, for failure messages. */
  public String diagnostics() {
    StringBuilder b = new StringBuilder();
    try {
      JsonNode t = activeTarget();
      b.append("\n--- scrape target ").append(target).append(": ");
      b.append(t == null ? "not among Prometheus' active targets"
          : "health=" + t.path("health").asText() + ", lastScrape=" + t.path("lastScrape").asText()
              + ", lastError=\"" + t.path("lastError").asText() + "\"");
    } catch (IOException | RuntimeException e) {
      b.append("\n--- cannot read Prometheus' targets: ").append(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    b.append("\n--- prometheus log (tail):\n").append(logTail(30));
    String exposition = targetExposition();
    if (exposition.length() > 40_000) {
      exposition = exposition.substring(0, 40_000) + "\n... (" + exposition.length() + " chars in all)";
    }
    b.append("\n--- exposition of ").append(target).append(":\n").append(exposition);
    return b.toString();
  }

  /** The last {@code lines} lines of the server's stdout and stderr. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private void stopProcess() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  @Override
  public void close() {
    stopProcess();
    deleteRecursively(dir);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "Prometheus at " + base + " scraping " + target;
  }
}

package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import io.ccotel.gateway.testkit.PromText;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as an operator runs it ({@code java -jar gateway.jar run --config ...}), in its
 * own process: it starts, takes the captured CLI payloads, shows them on /metrics, on SIGTERM
 * stops cleanly with exit code 0, and a second start restores the totals. Runs in the integration-test phase, after the jar is built.
 */
class GatewayJarIT {
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A running gateway process with its output. */
  private record Running(Process process, List<String> stdout, List<String> stderr, Thread outPump, Thread errPump) {}

  private static Running startJar(Path config) throws Exception {
    Path jar = Paths.get("target/gateway.jar");
    assertThat(jar).exists();
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-jar", jar.toString(), "run", "--config", config.toString()).start();
    List<String> stderr = new CopyOnWriteArrayList<>();
    List<String> stdout = new CopyOnWriteArrayList<>();
    Running r = new Running(p, stdout, stderr, pump(p.getInputStream(), stdout), pump(p.getErrorStream(), stderr));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stderr.stream().noneMatch(l -> l.contains("Gateway ready"))) {
      assertThat(p.isAlive()).as("gateway exited early: %s", stderr).isTrue();
      assertThat(System.nanoTime()).as("gateway not ready in 30 s: %s", stderr).isLessThan(deadline);
      Thread.sleep(50);
    }
    return r;
  }

  /** SIGTERM, then the exit code must be 0 and the log must say the gateway stopped. */
  private static void stopJar(Running r) throws Exception {
    // SIGTERM through the handle: Process.destroy() would also close our ends of the pipes,
    // and the last log lines would be lost.
    r.process().toHandle().destroy();
    assertThat(r.process().waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
    r.errPump().join(5000);
    r.outPump().join(5000);
    assertThat(r.process().exitValue()).as("exit code; log: %s", r.stderr()).isZero();
    assertThat(r.stderr()).anyMatch(l -> l.contains("Gateway stopped"));
  }

  private final HttpClient client = HttpClient.newHttpClient();

  private void post(int port, CapturedRequest r) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + r.path()))
            .header("Content-Type", r.contentType())
            .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
    if (!r.header("content-encoding").isEmpty()) {
      b.header("Content-Encoding", r.header("content-encoding"));
    }
    assertThat(client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode()).as(r.name()).isEqualTo(200);
  }

  private double inputTokens(int prom) throws Exception {
    String text =
        client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prom + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return PromText.sum(PromText.parse(text), "claude_code_token_usage_tokens_total", Map.of("type", "input"));
  }

  @Test
  void theJarRunsServesMetricsStopsCleanlyOnSigtermAndKeepsItsTotalsAcrossARestart(@TempDir Path dir) throws Exception {
    int grpc = freePort();
    int http = freePort();
    int prom = freePort();
    Path config = dir.resolve("gateway.yaml");
    Path state = dir.resolve("state/prometheus.state");
    Files.writeString(
        config,
        """
        receivers:
          otlp_grpc: {endpoint: "127.0.0.1:%d"}
          otlp_http: {endpoint: "127.0.0.1:%d"}
        exporters:
          prometheus: {endpoint: "127.0.0.1:%d", state_file: "%s"}
          console: {}
        pipelines:
          metrics: {exporters: [prometheus]}
          logs: {exporters: [console]}
        """.formatted(grpc, http, prom, state));
    List<CapturedRequest> basic = Fixtures.run("http-protobuf/basic");
    CapturedRequest basicMetrics = basic.stream().filter(r -> r.path().equals("/v1/metrics")).findFirst().orElseThrow();

    Running first = startJar(config);
    try {
      for (CapturedRequest r : basic) {
        post(http, r);
      }
      // The Prometheus exporter is applied before the answer: no waiting needed.
      assertThat(inputTokens(prom)).isEqualTo(1008.0);
      stopJar(first);
      // The console exporter printed the run's events on stdout, one line each: 7 API requests.
      assertThat(first.stdout().stream().filter(l -> l.contains(" api_request ")).count()).isEqualTo(7);
      assertThat(state).exists();
    } finally {
      first.process().destroyForcibly();
    }

    Running second = startJar(config);
    try {
      assertThat(second.stderr()).anyMatch(l -> l.contains("restored") && l.contains(state.toString()));
      assertThat(inputTokens(prom)).as("totals restored after a restart").isEqualTo(1008.0);
      post(http, basicMetrics); // a client retry of a request from before the restart
      assertThat(inputTokens(prom)).as("the retry is not counted twice").isEqualTo(1008.0);
      for (CapturedRequest r : Fixtures.run("http-protobuf/gzip")) {
        post(http, r);
      }
      assertThat(inputTokens(prom)).isEqualTo(2016.0);
      stopJar(second);
    } finally {
      second.process().destroyForcibly();
    }
  }

  private static Thread pump(java.io.InputStream in, List<String> into) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  into.add(line);
                }
              } catch (IOException ignored) {
                // process ended
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }
}

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
 * own process: it starts, takes the captured CLI payloads, shows them on /metrics, and on SIGTERM
 * stops cleanly with exit code 0. Runs in the integration-test phase, after the jar is built.
 */
class GatewayJarIT {
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void theJarRunsServesMetricsAndStopsCleanlyOnSigterm(@TempDir Path dir) throws Exception {
    Path jar = Paths.get("target/gateway.jar");
    assertThat(jar).exists();
    int grpc = freePort();
    int http = freePort();
    int prom = freePort();
    Path config = dir.resolve("gateway.yaml");
    Files.writeString(
        config,
        """
        receivers:
          otlp_grpc: {endpoint: "127.0.0.1:%d"}
          otlp_http: {endpoint: "127.0.0.1:%d"}
        exporters:
          prometheus: {endpoint: "127.0.0.1:%d"}
          console: {}
        pipelines:
          metrics: {exporters: [prometheus]}
          logs: {exporters: [console]}
        """.formatted(grpc, http, prom));
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-jar", jar.toString(), "run", "--config", config.toString()).start();
    List<String> stderr = new CopyOnWriteArrayList<>();
    List<String> stdout = new CopyOnWriteArrayList<>();
    Thread errReader = pump(p.getErrorStream(), stderr);
    Thread outReader = pump(p.getInputStream(), stdout);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (stderr.stream().noneMatch(l -> l.contains("Gateway ready"))) {
        assertThat(p.isAlive()).as("gateway exited early: %s", stderr).isTrue();
        assertThat(System.nanoTime()).as("gateway not ready in 30 s: %s", stderr).isLessThan(deadline);
        Thread.sleep(50);
      }
      HttpClient client = HttpClient.newHttpClient();
      for (CapturedRequest r : Fixtures.run("http-protobuf/basic")) {
        HttpResponse<byte[]> resp =
            client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + r.path()))
                    .header("Content-Type", r.contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(r.body()))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resp.statusCode()).isEqualTo(200);
      }
      double input = 0;
      for (int i = 0; i < 100 && input == 0; i++) {
        String text =
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prom + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        input = PromText.sum(PromText.parse(text), "claude_code_token_usage_tokens_total", Map.of("type", "input"));
        Thread.sleep(50);
      }
      assertThat(input).isEqualTo(1008.0);

      // SIGTERM through the handle: Process.destroy() would also close our ends of the pipes,
      // and the last log lines would be lost.
      p.toHandle().destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
      errReader.join(5000);
      outReader.join(5000);
      assertThat(p.exitValue()).as("exit code; log: %s", stderr).isZero();
      assertThat(stderr).anyMatch(l -> l.contains("Gateway stopped"));
      // The console exporter printed the 30 events of the run on stdout, one line each.
      assertThat(stdout.stream().filter(l -> l.contains("api_request")).count()).isEqualTo(7);
    } finally {
      p.destroyForcibly();
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

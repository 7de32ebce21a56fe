package io.ccotel.gateway.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the gateway's {@code /metrics}: its own counters ({@code gateway_*}) and the number of
 * {@code claude_code_*} samples it exposes.
 */
final class GatewayScrape {
  /** One scrape: the sum of each {@code gateway_*} metric over its label sets, and counts. */
  record Result(Map<String, Double> sums, long claudeSamples, long bytes, long nanos) {
    double get(String name) {
      return sums.getOrDefault(name, 0.0);
    }
  }

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  GatewayScrape(String host, int port) {
    this.uri = URI.create("http://" + host + ":" + port + "/metrics");
  }

  /** Scrapes once (Prometheus text format, uncompressed); null when the gateway does not answer. */
  Result scrape() {
    long t0 = System.nanoTime();
    HttpResponse<String> resp;
    try {
      resp =
          client.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Accept", "text/plain; version=0.0.4").GET().build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    long nanos = System.nanoTime() - t0;
    if (resp.statusCode() != 200) {
      return null;
    }
    String body = resp.body();
    Map<String, Double> sums = new HashMap<>();
    long claude = 0;
    int pos = 0;
    int len = body.length();
    while (pos < len) {
      int end = body.indexOf('\n', pos);
      if (end < 0) {
        end = len;
      }
      if (body.startsWith("claude_code_", pos)) {
        claude++;
      } else if (body.startsWith("gateway_", pos)) {
        String line = body.substring(pos, end);
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
        try {
          sums.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
        } catch (NumberFormatException e) {
          // not a sample
        }
      }
      pos = end + 1;
    }
    return new Result(sums, claude, body.length(), nanos);
  }
}

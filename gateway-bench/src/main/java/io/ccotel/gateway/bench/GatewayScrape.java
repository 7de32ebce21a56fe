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
  /**
   * One scrape: the sum of each {@code gateway_*} metric over its label sets, the same for each
   * {@code claude_code_*} sample name ({@code claudeSums}), and counts.
   */
  record Result(Map<String, Double> sums, Map<String, Double> claudeSums, Map<String, Double> gatewaySeries, long claudeSamples, long bytes, long nanos) {
    double get(String name) {
      return sums.getOrDefault(name, 0.0);
    }

    /** Sum of the {@code name} series whose label set contains {@code labelFragment} (e.g. {@code outcome="overloaded"}). */
    double get(String name, String labelFragment) {
      double sum = 0;
      for (Map.Entry<String, Double> e : gatewaySeries.entrySet()) {
        String k = e.getKey();
        if (k.startsWith(name + "{") && k.contains(labelFragment)) {
          sum += e.getValue();
        }
      }
      return sum;
    }

    /** Whether the gateway exposes this metric at all (new metrics are missing in older jars). */
    boolean has(String name) {
      return sums.containsKey(name);
    }
  }

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final URI uri;

  GatewayScrape(String host, int port) {
    this(URI.create("http://" + host + ":" + port + "/metrics"));
  }

  private GatewayScrape(URI uri) {
    this.uri = uri;
  }

  /**
   * A scrape of only these metric names (client_java's {@code name[]} filter; give a counter's name
   * with and without {@code _total} to be safe): cheap enough to poll while the gateway holds many
   * series. A gateway that ignores the filter still answers everything.
   */
  GatewayScrape only(String... names) {
    StringBuilder q = new StringBuilder();
    for (String n : names) {
      q.append(q.length() == 0 ? '?' : '&').append("name%5B%5D=").append(n);
    }
    String base = uri.toString();
    int at = base.indexOf('?');
    return new GatewayScrape(URI.create((at < 0 ? base : base.substring(0, at)) + q));
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
    Map<String, Double> claudeSums = new HashMap<>();
    Map<String, Double> gatewaySeries = new HashMap<>();
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
        int space = body.lastIndexOf(' ', end - 1);
        int brace = body.indexOf('{', pos);
        int nameEnd = brace >= 0 && brace < end ? brace : body.indexOf(' ', pos);
        if (space > pos && nameEnd > pos) {
          try {
            claudeSums.merge(body.substring(pos, nameEnd), Double.parseDouble(body.substring(space + 1, end).trim()), Double::sum);
          } catch (NumberFormatException e) {
            // not a sample
          }
        }
      } else if (body.startsWith("gateway_", pos)) {
        String line = body.substring(pos, end);
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
        try {
          double v = Double.parseDouble(line.substring(space + 1));
          sums.merge(name, v, Double::sum);
          gatewaySeries.put(line.substring(0, space), v);
        } catch (NumberFormatException e) {
          // not a sample
        }
      }
      pos = end + 1;
    }
    return new Result(sums, claudeSums, gatewaySeries, claude, body.length(), nanos);
  }
}

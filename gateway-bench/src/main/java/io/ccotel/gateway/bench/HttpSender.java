package io.ccotel.gateway.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OTLP/HTTP with {@link HttpClient} (HTTP/1.1 keep-alive, like the CLI; one connection per
 * request in flight), protobuf ({@code application/x-protobuf}) or JSON ({@code application/json}).
 */
final class HttpSender implements Sender {
  private static final Pattern REJECTED = Pattern.compile("\"rejected(?:DataPoints|LogRecords|_data_points|_log_records)\"\\s*:\\s*\"?(\\d+)");

  private final HttpClient client;
  private final ExecutorService executor;
  private final URI uri;
  private final boolean json;
  private final Workload.Signal signal;
  private final Duration timeout;

  HttpSender(String host, int port, Workload.Signal signal, boolean json, long timeoutMillis) {
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "http-sender");
      t.setDaemon(true);
      return t;
    });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(executor)
            .build();
    this.uri = URI.create("http://" + host + ":" + port + (signal == Workload.Signal.METRICS ? "/v1/metrics" : "/v1/logs"));
    this.json = json;
    this.signal = signal;
    this.timeout = Duration.ofMillis(timeoutMillis);
  }

  @Override
  public CompletableFuture<Outcome> send(Workload.Payload payload) {
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", json ? "application/json" : "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(payload.body()))
            .build();
    return client
        .sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
        .handle(
            (resp, err) -> {
              if (err != null) {
                return new Outcome(Sender.ioKind(err), 0);
              }
              if (resp.statusCode() != 200) {
                // The retry hint (Retry-After) and the gateway's message go in the outcome's
                // message: the overload scenario counts them.
                String text = errorText(resp.body());
                return new Outcome("http_" + resp.statusCode(), 0,
                    resp.headers().firstValue("Retry-After").map(v -> Sender.RETRY_HINT + "Retry-After " + v + (text.isEmpty() ? "" : ": " + text))
                        .orElse(text));
              }
              return answer(resp.body());
            });
  }

  /** The message of an error answer (google.rpc.Status in protobuf, or JSON), at most 160 characters. */
  private String errorText(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    String text;
    if (json) {
      text = new String(body, StandardCharsets.UTF_8);
    } else {
      try {
        text = com.google.rpc.Status.parseFrom(body).getMessage();
      } catch (InvalidProtocolBufferException e) {
        text = new String(body, StandardCharsets.UTF_8);
      }
    }
    text = text.replaceAll("\\s+", " ").trim();
    return text.length() > 160 ? text.substring(0, 160) + "..." : text;
  }

  private Outcome answer(byte[] body) {
    if (body == null || body.length == 0) {
      return Outcome.OK;
    }
    if (json) {
      String text = new String(body, StandardCharsets.UTF_8);
      Matcher m = REJECTED.matcher(text);
      return m.find() ? new Outcome("", Long.parseLong(m.group(1)), text) : Outcome.OK;
    }
    try {
      if (signal == Workload.Signal.METRICS) {
        var ps = ExportMetricsServiceResponse.parseFrom(body).getPartialSuccess();
        return new Outcome("", ps.getRejectedDataPoints(), ps.getErrorMessage());
      }
      var ps = ExportLogsServiceResponse.parseFrom(body).getPartialSuccess();
      return new Outcome("", ps.getRejectedLogRecords(), ps.getErrorMessage());
    } catch (InvalidProtocolBufferException e) {
      return Outcome.OK;
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}

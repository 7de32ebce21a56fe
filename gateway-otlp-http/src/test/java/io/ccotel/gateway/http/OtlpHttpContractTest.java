package io.ccotel.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.Receiver;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import io.ccotel.gateway.testkit.Answer;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.ClaudeCodeRuns;
import io.ccotel.gateway.testkit.ClaudeCodeRuns.Run;
import io.ccotel.gateway.testkit.ReceiverContract;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The shared receiver contract (src-test-fixtures) over OTLP/HTTP: the captured http/protobuf and
 * http/json CLI requests, byte for byte with their headers, through this receiver, the real
 * pipeline and the Prometheus exporter; and the answers every receiver must give.
 */
class OtlpHttpContractTest extends ReceiverContract {
  private final HttpClient client = HttpClient.newHttpClient();

  @Override
  protected Receiver createReceiver(BatchConsumer next, long maxBytes) {
    return OtlpHttpReceiver.create(
        new ReceiverSettings(GatewayMetrics.noop(), Clock.systemUTC()),
        OtlpHttpReceiverConfig.defaults().withEndpoint(HostPort.of("127.0.0.1", 0)).withBodyLimits(maxBytes, maxBytes),
        next);
  }

  @Override
  protected Answer replay(Receiver receiver, CapturedRequest request) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(receiver, request.path())).header("Content-Type", request.contentType());
    String encoding = request.header("content-encoding");
    if (!encoding.isEmpty()) {
      b.header("Content-Encoding", encoding);
    }
    String authorization = request.header("authorization");
    if (!authorization.isEmpty()) {
      b.header("Authorization", authorization);
    }
    return answer(request.signal(), client.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(request.body())).build(),
        HttpResponse.BodyHandlers.ofByteArray()));
  }

  @Override
  protected Answer sendProtobuf(Receiver receiver, Signal signal, byte[] body) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(uri(receiver, "/v1/" + signal.id()))
            .header("Content-Type", "application/x-protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return answer(signal, client.send(req, HttpResponse.BodyHandlers.ofByteArray()));
  }

  @Override
  protected List<Run> runs() {
    return ClaudeCodeRuns.runs("http-protobuf", "http-json");
  }

  private static URI uri(Receiver receiver, String path) {
    return URI.create("http://127.0.0.1:" + receiver.boundAddress().getPort() + path);
  }

  private static Answer answer(Signal signal, HttpResponse<byte[]> r) throws InvalidProtocolBufferException {
    String raw = Integer.toString(r.statusCode());
    boolean json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
    byte[] body = r.body();
    if (r.statusCode() == 200) {
      long rejected;
      String message;
      if (json) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        var m = java.util.regex.Pattern.compile("\"rejected\\w+\":\"?(\\d+)\"?").matcher(text);
        rejected = m.find() ? Long.parseLong(m.group(1)) : 0;
        var msg = java.util.regex.Pattern.compile("\"errorMessage\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(text);
        message = msg.find() ? msg.group(1) : "";
      } else {
        switch (signal) {
          case METRICS -> {
            var p = ExportMetricsServiceResponse.parseFrom(body).getPartialSuccess();
            rejected = p.getRejectedDataPoints();
            message = p.getErrorMessage();
          }
          case LOGS -> {
            var p = ExportLogsServiceResponse.parseFrom(body).getPartialSuccess();
            rejected = p.getRejectedLogRecords();
            message = p.getErrorMessage();
          }
          default -> {
            var p = ExportTraceServiceResponse.parseFrom(body).getPartialSuccess();
            rejected = p.getRejectedSpans();
            message = p.getErrorMessage();
          }
        }
      }
      boolean partial = rejected > 0 || !message.isEmpty();
      return new Answer(partial ? Answer.Kind.PARTIAL : Answer.Kind.OK, rejected, message, Duration.ZERO, raw);
    }
    String message;
    if (json) {
      var msg = java.util.regex.Pattern.compile("\"message\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(new String(body, java.nio.charset.StandardCharsets.UTF_8));
      message = msg.find() ? msg.group(1) : "";
    } else {
      message = com.google.rpc.Status.parseFrom(body).getMessage();
    }
    Duration retryAfter = r.headers().firstValue("Retry-After").map(s -> Duration.ofSeconds(Long.parseLong(s))).orElse(Duration.ZERO);
    Answer.Kind kind =
        switch (r.statusCode()) {
          case 400 -> Answer.Kind.INVALID;
          case 413 -> Answer.Kind.TOO_LARGE;
          case 429, 503 -> Answer.Kind.RETRYABLE;
          case 401 -> Answer.Kind.UNAUTHENTICATED;
          case 415 -> Answer.Kind.UNSUPPORTED;
          default -> Answer.Kind.OTHER;
        };
    return new Answer(kind, 0, message, retryAfter, raw);
  }
}

package io.ccotel.gateway.http;

import static io.ccotel.gateway.http.TestSupport.fixture;
import static io.ccotel.gateway.http.TestSupport.gzip;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.ccotel.gateway.http.HttpTestChannel.Request;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class OtlpHttpHandlerTest {
  private static final String PROTOBUF = "application/x-protobuf";
  private static final String JSON = "application/json";
  private static final int MIB = 1024 * 1024;

  private final TestSupport.Metrics metrics = new TestSupport.Metrics();
  private final TestSupport.RecordingConsumer consumer = new TestSupport.RecordingConsumer();
  private HttpTestChannel channel;

  private HttpTestChannel channel(OtlpHttpReceiverConfig config) {
    channel = new HttpTestChannel(config, metrics, consumer);
    return channel;
  }

  private HttpTestChannel channel() {
    return channel(OtlpHttpReceiverConfig.defaults());
  }

  @AfterEach
  void close() {
    if (channel != null) {
      channel.close();
    }
  }

  // ---------------------------------------------------------------- accepted

  @Nested
  class Accepted {
    @Test
    void protobufMetricsAnswer200WithAnEmptyProtobufBody() {
      byte[] body = TestSupport.tokenUsage(1008, 393, 98252, 16828).toByteArray();

      FullHttpResponse res = channel().exchange(Request.post("/v1/metrics", PROTOBUF, body).bytes());

      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(PROTOBUF);
      assertThat(res.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isZero();
      assertThat(res.content().readableBytes()).isZero();
      assertThat(TestSupport.sumBy(consumer.only(MetricsBatch.class), "claude_code.token.usage", "type"))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("input", 1008.0, "output", 393.0, "cacheRead", 98252.0, "cacheCreation", 16828.0));
      assertThat(metrics.requests("metrics", "ok")).isEqualTo(1);
      assertThat(metrics.received("metrics")).isEqualTo(4);
      assertThat(metrics.accepted("metrics")).isEqualTo(4);
      assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void jsonMetricsAnswer200WithEmptyJsonObject() {
      FullHttpResponse res = channel().exchange(
          Request.post("/v1/metrics", JSON, fixture("http-json/basic/0002-http-metrics.bin")).bytes());

      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(JSON);
      assertThat(text(res)).isEqualTo("{}");
      assertThat(consumer.only(MetricsBatch.class).metrics()).hasSize(8);
      assertThat(metrics.received("metrics")).isEqualTo(13);
    }

    @Test
    void jsonWithCharsetAndProtobufAliasAreAccepted() {
      channel();
      assertThat(channel.exchange(Request.post("/v1/logs", "application/json; charset=utf-8",
          fixture("http-json/basic/0001-http-logs.bin")).bytes()).status().code()).isEqualTo(200);
      assertThat(channel.exchange(Request.post("/v1/logs", "Application/JSON;Charset=\"UTF-8\"",
          fixture("http-json/basic/0001-http-logs.bin")).bytes()).status().code()).isEqualTo(200);
      FullHttpResponse res = channel.exchange(Request.post("/v1/logs", "application/protobuf",
          TestSupport.events("user_prompt").toByteArray()).bytes());
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(PROTOBUF);
      assertThat(consumer.batches).hasSize(3);
      assertThat(metrics.received("logs")).isEqualTo(61);
    }

    @Test
    void pathsIgnoreQueryStringAndTrailingSlash() {
      channel();
      byte[] body = TestSupport.events("user_prompt").toByteArray();
      for (String uri : List.of("/v1/logs?x=1", "/v1/logs/", "/v1/logs/?a=b#f", "http://gw:4318/v1/logs")) {
        assertThat(channel.exchange(Request.post(uri, PROTOBUF, body).bytes()).status().code()).as(uri).isEqualTo(200);
      }
      assertThat(consumer.batches).hasSize(4);
    }

    @Test
    void tracesJsonFixture() {
      FullHttpResponse res = channel().exchange(
          Request.post("/v1/traces", JSON, fixture("http-json/traces/0001-http-traces.bin")).bytes());
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(text(res)).isEqualTo("{}");
      TracesBatch batch = consumer.only(TracesBatch.class);
      assertThat(batch.spans()).hasSize(25);
      assertThat(batch.spans().get(0).traceId()).isEqualTo("387f3f921ed89d5c9b29cf304bda9604");
      assertThat(metrics.accepted("traces")).isEqualTo(25);
    }

    @Test
    void emptyBodyIsAnEmptyRequest() {
      channel();
      FullHttpResponse pb = channel.exchange(Request.post("/v1/metrics", PROTOBUF, new byte[0]).bytes());
      assertThat(pb.status().code()).isEqualTo(200);
      assertThat(pb.content().readableBytes()).isZero();
      FullHttpResponse js = channel.exchange(Request.post("/v1/logs", JSON, new byte[0]).bytes());
      assertThat(js.status().code()).isEqualTo(200);
      assertThat(text(js)).isEqualTo("{}");
      FullHttpResponse gz = channel.exchange(
          Request.post("/v1/logs", JSON, new byte[0]).header("Content-Encoding", "gzip").bytes());
      assertThat(gz.status().code()).isEqualTo(200);
      // Nothing to lose: the pipeline is not bothered with empty batches.
      assertThat(consumer.batches).isEmpty();
      assertThat(metrics.requests("metrics", "ok")).isEqualTo(1);
      assertThat(metrics.requests("logs", "ok")).isEqualTo(2);
    }

    @Test
    void gzipAndDeflateBodies() throws Exception {
      channel();
      FullHttpResponse res = channel.exchange(Request.post("/v1/metrics", PROTOBUF,
          fixture("http-protobuf/gzip/0002-http-metrics.bin")).header("Content-Encoding", "gzip").bytes());
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(TestSupport.sumBy(consumer.only(MetricsBatch.class), "claude_code.token.usage", "type"))
          .containsEntry("input", 1008.0);

      byte[] json = fixture("http-json/basic/0001-http-logs.bin");
      for (boolean raw : new boolean[] {false, true}) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
          z.write(json);
        }
        FullHttpResponse d = channel.exchange(Request.post("/v1/logs", JSON, out.toByteArray())
            .header("Content-Encoding", "deflate").bytes());
        assertThat(d.status().code()).as("raw=" + raw).isEqualTo(200);
      }
      assertThat(channel.exchange(Request.post("/v1/logs", JSON, json)
          .header("Content-Encoding", "identity").bytes()).status().code()).isEqualTo(200);
      assertThat(consumer.batches).hasSize(4);
      assertThat(consumer.batches.get(1)).isInstanceOf(LogsBatch.class);
      assertThat(consumer.batches.get(1).itemCount()).isEqualTo(30);
    }
  }

  // ---------------------------------------------------------------- partial success

  @Nested
  class PartialSuccess {
    @Test
    void protobufBodyCarriesTheRejectedCountAndMessage() throws Exception {
      consumer.answering(ConsumeResult.partial(2, "2 data points had no value"));
      FullHttpResponse res = channel().exchange(
          Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1, 2, 3).toByteArray()).bytes());

      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(PROTOBUF);
      ExportMetricsServiceResponse body = ExportMetricsServiceResponse.parseFrom(bytes(res));
      assertThat(body.getPartialSuccess().getRejectedDataPoints()).isEqualTo(2);
      assertThat(body.getPartialSuccess().getErrorMessage()).isEqualTo("2 data points had no value");
      assertThat(metrics.requests("metrics", "partial")).isEqualTo(1);
      assertThat(metrics.received("metrics")).isEqualTo(3);
      assertThat(metrics.accepted("metrics")).isEqualTo(1);
      assertThat(metrics.rejected("metrics", "pipeline")).isEqualTo(2);
    }

    @Test
    void jsonBodyUsesLowerCamelCaseAndInt64AsString() throws Exception {
      consumer.answering(ConsumeResult.partial(2, "dropped \"2\""));
      channel();
      FullHttpResponse m = channel.exchange(
          Request.post("/v1/metrics", JSON, fixture("http-json/basic/0002-http-metrics.bin")).bytes());
      assertThat(text(m)).isEqualTo("{\"partialSuccess\":{\"rejectedDataPoints\":\"2\",\"errorMessage\":\"dropped \\\"2\\\"\"}}");
      assertThat(m.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(JSON);

      FullHttpResponse l = channel.exchange(
          Request.post("/v1/logs", JSON, fixture("http-json/basic/0001-http-logs.bin")).bytes());
      assertThat(text(l)).isEqualTo("{\"partialSuccess\":{\"rejectedLogRecords\":\"2\",\"errorMessage\":\"dropped \\\"2\\\"\"}}");

      FullHttpResponse t = channel.exchange(
          Request.post("/v1/traces", JSON, fixture("http-json/traces/0001-http-traces.bin")).bytes());
      assertThat(text(t)).isEqualTo("{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"dropped \\\"2\\\"\"}}");

      FullHttpResponse pbLogs = channel.exchange(
          Request.post("/v1/logs", PROTOBUF, TestSupport.events("a", "b", "c").toByteArray()).bytes());
      assertThat(ExportLogsServiceResponse.parseFrom(bytes(pbLogs)).getPartialSuccess().getRejectedLogRecords()).isEqualTo(2);
      assertThat(metrics.accepted("logs")).isEqualTo(28 + 1);
      assertThat(metrics.rejected("logs", "pipeline")).isEqualTo(4);
    }
  }

  // ---------------------------------------------------------------- errors

  @Nested
  class Errors {
    @Test
    void undecodableProtobufIs400WithAStatus() throws Exception {
      FullHttpResponse res = channel().exchange(
          Request.post("/v1/metrics", PROTOBUF, new byte[] {0x0a, 0x7f, 0x01}).bytes());

      assertThat(res.status().code()).isEqualTo(400);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(PROTOBUF);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(3);
      assertThat(status.getMessage()).startsWith("the body is not a valid protobuf ExportMetricsServiceRequest: ");
      assertThat(consumer.batches).isEmpty();
      assertThat(metrics.requests("metrics", "invalid")).isEqualTo(1);
      assertThat(metrics.received("metrics")).isZero();
      assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void wrongJsonTypeIs400WithAJsonStatusNamingThePath() {
      String json = "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"a\"},{\"name\":\"b\"},"
          + "{\"name\":\"c\",\"sum\":{\"dataPoints\":[{\"asDouble\":\"abc\"}]}}]}]}]}";
      FullHttpResponse res = channel().exchange(Request.post("/v1/metrics", JSON, json.getBytes(UTF_8)).bytes());

      assertThat(res.status().code()).isEqualTo(400);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(JSON);
      assertThat(text(res)).isEqualTo("{\"code\":3,\"message\":\"resourceMetrics[0].scopeMetrics[0].metrics[2].sum"
          + ".dataPoints[0].asDouble: expected a number, got \\\"abc\\\"\"}");
    }

    @Test
    void invalidResultIs400() throws Exception {
      consumer.answering(ConsumeResult.invalid("every data point is older than 24h"));
      FullHttpResponse res = channel().exchange(
          Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1, 2).toByteArray()).bytes());

      assertThat(res.status().code()).isEqualTo(400);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(3);
      assertThat(status.getMessage()).isEqualTo("every data point is older than 24h");
      assertThat(metrics.requests("metrics", "invalid")).isEqualTo(1);
      assertThat(metrics.rejected("metrics", "invalid")).isEqualTo(2);
      assertThat(metrics.accepted("metrics")).isZero();
    }

    @Test
    void retryableIs503WithRetryAfter() throws Exception {
      consumer.answering(ConsumeResult.retryable("exporter queue loki is full", Duration.ofMillis(1500)));
      channel();
      FullHttpResponse res = channel.exchange(
          Request.post("/v1/logs", PROTOBUF, TestSupport.events("a", "b").toByteArray()).bytes());

      assertThat(res.status().code()).isEqualTo(503);
      assertThat(res.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("2");
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(14);
      assertThat(status.getMessage()).isEqualTo("exporter queue loki is full");
      assertThat(metrics.requests("logs", "retryable")).isEqualTo(1);
      assertThat(metrics.rejected("logs", "retryable")).isEqualTo(2);
      assertThat(channel.isOpen()).isTrue();

      consumer.answering(ConsumeResult.retryable("", Duration.ZERO));
      FullHttpResponse json = channel.exchange(
          Request.post("/v1/logs", JSON, fixture("http-json/basic/0001-http-logs.bin")).bytes());
      assertThat(json.status().code()).isEqualTo(503);
      assertThat(json.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("1");
      assertThat(text(json)).isEqualTo(
          "{\"code\":14,\"message\":\"the gateway cannot take more log records right now; retry later\"}");
    }

    @Test
    void wrongMethodIs405WithAllow() throws Exception {
      channel();
      FullHttpResponse res = channel.exchange(Request.of("GET", "/v1/metrics", "HTTP/1.1").bytes());

      assertThat(res.status().code()).isEqualTo(405);
      assertThat(res.headers().get(HttpHeaderNames.ALLOW)).isEqualTo("POST");
      // No OTLP content type (a browser, curl): the reason in plain text.
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/plain; charset=utf-8");
      assertThat(text(res)).isEqualTo("method GET is not allowed on /v1/metrics; send POST\n");

      FullHttpResponse protobufGet = channel.exchange(
          Request.of("GET", "/v1/metrics", "HTTP/1.1").header("Content-Type", PROTOBUF).bytes());
      assertThat(protobufGet.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(PROTOBUF);
      Status status = Status.parseFrom(bytes(protobufGet));
      assertThat(status.getCode()).isEqualTo(12);
      assertThat(status.getMessage()).isEqualTo("method GET is not allowed on /v1/metrics; send POST");
      assertThat(metrics.requests("metrics", "method_not_allowed")).isEqualTo(2);

      FullHttpResponse put = channel.exchange(
          Request.of("PUT", "/v1/logs", "HTTP/1.1").header("Content-Type", JSON).bytes());
      assertThat(put.status().code()).isEqualTo(405);
      assertThat(text(put)).isEqualTo("{\"code\":12,\"message\":\"method PUT is not allowed on /v1/logs; send POST\"}");
      assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void unknownPathIs404ListingThePathsAndIsNotCounted() throws Exception {
      channel();
      FullHttpResponse res = channel.exchange(Request.post("/v1/metric", PROTOBUF, new byte[0]).bytes());

      assertThat(res.status().code()).isEqualTo(404);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(5);
      assertThat(status.getMessage()).isEqualTo(
          "no such path \"/v1/metric\"; OTLP/HTTP paths are /v1/metrics, /v1/logs and /v1/traces (POST)");
      FullHttpResponse json = channel.exchange(Request.post("/", JSON, new byte[0]).bytes());
      assertThat(json.status().code()).isEqualTo(404);
      assertThat(text(json)).startsWith("{\"code\":5,\"message\":\"no such path \\\"/\\\"; OTLP/HTTP paths are");
      assertThat(metrics.totalRequests()).isZero();
    }

    @Test
    void unsupportedContentTypeIs415() throws Exception {
      channel();
      FullHttpResponse text = channel.exchange(Request.post("/v1/metrics", "text/plain", new byte[] {1}).bytes());
      assertThat(text.status().code()).isEqualTo(415);
      assertThat(text.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/plain; charset=utf-8");
      assertThat(text(text)).isEqualTo("unsupported Content-Type \"text/plain\"; accepted are"
          + " application/x-protobuf (or application/protobuf) and application/json (UTF-8)\n");

      FullHttpResponse missing = channel.exchange(Request.post("/v1/metrics", null, new byte[] {1}).bytes());
      assertThat(missing.status().code()).isEqualTo(415);
      assertThat(text(missing)).startsWith("missing Content-Type; accepted are");

      FullHttpResponse latin1 = channel.exchange(
          Request.post("/v1/metrics", "application/json; charset=iso-8859-1", new byte[] {1}).bytes());
      assertThat(latin1.status().code()).isEqualTo(415);
      assertThat(latin1.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(JSON);
      assertThat(text(latin1)).startsWith("{\"code\":3,\"message\":\"unsupported Content-Type");
      assertThat(metrics.requests("metrics", "unsupported_media_type")).isEqualTo(3);
      assertThat(consumer.batches).isEmpty();
    }

    @Test
    void unsupportedContentEncodingIs415() throws Exception {
      channel();
      FullHttpResponse br = channel.exchange(
          Request.post("/v1/metrics", PROTOBUF, new byte[] {1}).header("Content-Encoding", "br").bytes());
      assertThat(br.status().code()).isEqualTo(415);
      assertThat(Status.parseFrom(bytes(br)).getMessage())
          .isEqualTo("unsupported Content-Encoding \"br\"; accepted are gzip, deflate and identity");
      FullHttpResponse stacked = channel.exchange(
          Request.post("/v1/metrics", PROTOBUF, new byte[] {1}).header("Content-Encoding", "gzip, deflate").bytes());
      assertThat(stacked.status().code()).isEqualTo(415);
      assertThat(metrics.requests("metrics", "unsupported_media_type")).isEqualTo(2);
    }

    @Test
    void invalidOrTruncatedGzipIs400() throws Exception {
      channel();
      FullHttpResponse garbage = channel.exchange(Request.post("/v1/metrics", PROTOBUF, "not gzip".getBytes(UTF_8))
          .header("Content-Encoding", "gzip").bytes());
      assertThat(garbage.status().code()).isEqualTo(400);
      Status status = Status.parseFrom(bytes(garbage));
      assertThat(status.getCode()).isEqualTo(3);
      assertThat(status.getMessage()).isEqualTo("the body is not valid gzip (Content-Encoding: gzip): Not in GZIP format");

      byte[] gz = fixture("http-protobuf/gzip/0002-http-metrics.bin");
      byte[] truncated = java.util.Arrays.copyOf(gz, gz.length / 2);
      FullHttpResponse cut = channel.exchange(Request.post("/v1/metrics", JSON, truncated)
          .header("Content-Encoding", "gzip").bytes());
      assertThat(cut.status().code()).isEqualTo(400);
      assertThat(text(cut)).isEqualTo("{\"code\":3,\"message\":\"the gzip body ends too early (truncated)\"}");
      assertThat(metrics.requests("metrics", "invalid")).isEqualTo(2);
      assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void unexpectedExceptionIs500AndTheConnectionStaysUsable() throws Exception {
      consumer.answer = b -> {
        throw new IllegalStateException("bug");
      };
      channel();
      FullHttpResponse res = channel.exchange(
          Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray()).bytes());

      assertThat(res.status().code()).isEqualTo(500);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(13);
      assertThat(status.getMessage())
          .isEqualTo("internal error in the gateway (IllegalStateException); the gateway log has the details");
      assertThat(metrics.requests("metrics", "error")).isEqualTo(1);
      assertThat(channel.isOpen()).isTrue();

      consumer.answering(ConsumeResult.ok());
      assertThat(channel.exchange(Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray())
          .bytes()).status().code()).isEqualTo(200);
    }

    @Test
    void oversizedHeadersAre431AndClose() throws Exception {
      channel();
      FullHttpResponse res = channel.exchange(Request.post("/v1/metrics", PROTOBUF, new byte[0])
          .header("X-Big", "x".repeat(20_000)).bytes());
      assertThat(res.status().code()).isEqualTo(431);
      assertThat(text(res)).contains("receivers.otlp_http.max_header_bytes");
      assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
      assertThat(channel.isOpen()).isFalse();
    }
  }

  // ---------------------------------------------------------------- body limits

  @Nested
  class TooLarge {
    @Test
    void compressedBodyOverTheLimitIs413BeforeTheBodyIsRead() throws Exception {
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(4 * MIB, MIB));
      byte[] body = new byte[MIB + 1];
      Request req = Request.post("/v1/metrics", PROTOBUF, body).header("Content-Encoding", "gzip");

      List<FullHttpResponse> got = channel.write(req.head());
      assertThat(got).hasSize(1);
      FullHttpResponse res = got.get(0);
      assertThat(res.status().code()).isEqualTo(413);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(8);
      assertThat(status.getMessage()).isEqualTo("the compressed request body of 1048577 bytes is larger than the"
          + " limit of 1048576 bytes; raise receivers.otlp_http.max_compressed_body_bytes to accept it");
      assertThat(metrics.requests("metrics", "too_large")).isEqualTo(1);

      // Keep-alive: the body that follows is read and dropped, then the connection is usable again.
      assertThat(channel.isOpen()).isTrue();
      assertThat(channel.write(body)).isEmpty();
      assertThat(channel.exchange(Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(7).toByteArray())
          .bytes()).status().code()).isEqualTo(200);
      assertThat(consumer.batches).hasSize(1);
    }

    @Test
    void uncompressedBodyIsCheckedAgainstMaxBodyBytes() throws Exception {
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(MIB, 4 * MIB));
      FullHttpResponse res = channel.exchange(Request.post("/v1/logs", JSON, new byte[MIB + 10])
          .header("Connection", "close").bytes());
      assertThat(res.status().code()).isEqualTo(413);
      assertThat(res.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(JSON);
      assertThat(text(res)).isEqualTo("{\"code\":8,\"message\":\"the request body of 1048586 bytes is larger than"
          + " the limit of 1048576 bytes; raise receivers.otlp_http.max_body_bytes to accept it\"}");
      assertThat(channel.isOpen()).isFalse(); // the client asked for Connection: close
      assertThat(metrics.requests("logs", "too_large")).isEqualTo(1);
    }

    @Test
    void gzipBombIs413AfterAtMostTheCap() throws Exception {
      byte[] bomb = gzip(new byte[10 * MIB]);
      assertThat(bomb.length).isLessThan(20_000);
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(MIB, MIB));

      FullHttpResponse res = channel.exchange(
          Request.post("/v1/metrics", PROTOBUF, bomb).header("Content-Encoding", "gzip").bytes());

      assertThat(res.status().code()).isEqualTo(413);
      Status status = Status.parseFrom(bytes(res));
      assertThat(status.getCode()).isEqualTo(8);
      assertThat(status.getMessage()).isEqualTo("the request body is larger than the limit of 1048576 bytes after"
          + " gzip decompression; raise receivers.otlp_http.max_body_bytes to accept it");
      assertThat(metrics.requests("metrics", "too_large")).isEqualTo(1);
      assertThat(consumer.batches).isEmpty();
      assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void bodyOfExactlyTheCapIsAccepted() throws Exception {
      byte[] body = TestSupport.tokenUsage(1, 2, 3).toByteArray();
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(body.length, body.length));
      assertThat(channel.exchange(Request.post("/v1/metrics", PROTOBUF, body).bytes()).status().code()).isEqualTo(200);
      byte[] gz = gzip(body);
      channel.close();
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(body.length, gz.length));
      assertThat(channel.exchange(Request.post("/v1/metrics", PROTOBUF, gz).header("Content-Encoding", "gzip")
          .bytes()).status().code()).isEqualTo(200);
    }

    @Test
    void chunkedBodyThatGrowsTooLargeIs413AndCloses() throws Exception {
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(MIB, MIB));
      List<FullHttpResponse> got = channel.write(
          Request.post("/v1/metrics", PROTOBUF, new byte[MIB + 100_000]).noContentLength().chunked(64 * 1024));

      assertThat(got).hasSize(1);
      assertThat(got.get(0).status().code()).isEqualTo(413);
      assertThat(Status.parseFrom(bytes(got.get(0))).getMessage()).isEqualTo("the request body is larger than the"
          + " limit of 1048576 bytes; raise receivers.otlp_http.max_body_bytes and"
          + " receivers.otlp_http.max_compressed_body_bytes to accept it");
      assertThat(got.get(0).headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
      assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void chunkedBodyWithinTheLimitIsAccepted() {
      channel();
      FullHttpResponse res = channel.exchange(Request.post("/v1/logs", JSON, fixture("http-json/basic/0001-http-logs.bin"))
          .noContentLength().chunked(1000));
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(consumer.only(LogsBatch.class).records()).hasSize(30);
    }

    @Test
    void expectContinueWithTooLargeContentLengthIs413Immediately() throws Exception {
      channel(OtlpHttpReceiverConfig.defaults().withBodyLimits(MIB, MIB));
      List<FullHttpResponse> got = channel.write(Request.post("/v1/metrics", PROTOBUF, new byte[2 * MIB])
          .header("Expect", "100-continue").head());

      assertThat(got).hasSize(1);
      assertThat(got.get(0).status().code()).isEqualTo(413);
      assertThat(Status.parseFrom(bytes(got.get(0))).getCode()).isEqualTo(8);
      assertThat(metrics.requests("metrics", "too_large")).isEqualTo(1);
      // The client does not send the body; the next request works.
      assertThat(channel.exchange(Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray())
          .bytes()).status().code()).isEqualTo(200);
    }
  }

  // ---------------------------------------------------------------- connections

  @Nested
  class Connections {
    @Test
    void keepAliveServesManyRequestsOnOneConnection() {
      channel();
      for (int i = 0; i < 3; i++) {
        FullHttpResponse res = channel.exchange(
            Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(i).toByteArray()).header("Connection", "keep-alive").bytes());
        assertThat(res.status().code()).isEqualTo(200);
        assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isNull();
      }
      assertThat(channel.isOpen()).isTrue();
      assertThat(consumer.batches).hasSize(3);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
      channel();
      byte[] a = Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray()).bytes();
      byte[] b = Request.of("GET", "/v1/metrics", "HTTP/1.1").bytes();
      byte[] both = new byte[a.length + b.length];
      System.arraycopy(a, 0, both, 0, a.length);
      System.arraycopy(b, 0, both, a.length, b.length);
      assertThat(channel.write(both)).extracting(r -> r.status().code()).containsExactly(200, 405);
    }

    @Test
    void connectionCloseIsHonoured() {
      channel();
      FullHttpResponse res = channel.exchange(Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray())
          .header("Connection", "close").bytes());
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
      assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void http10ClosesUnlessKeepAliveIsAsked() {
      channel();
      FullHttpResponse keep = channel.exchange(Request.of("POST", "/v1/metrics", "HTTP/1.0")
          .header("Content-Type", PROTOBUF).header("Connection", "keep-alive")
          .body(TestSupport.tokenUsage(1).toByteArray()).bytes());
      assertThat(keep.headers().get(HttpHeaderNames.CONNECTION)).isEqualToIgnoringCase("keep-alive");
      assertThat(channel.isOpen()).isTrue();
      channel.exchange(Request.of("POST", "/v1/metrics", "HTTP/1.0").header("Content-Type", PROTOBUF)
          .body(TestSupport.tokenUsage(1).toByteArray()).bytes());
      assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void expectContinueGets100ThenTheAnswer() {
      channel();
      Request req = Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(5).toByteArray())
          .header("Expect", "100-continue");
      List<FullHttpResponse> first = channel.write(req.head());
      assertThat(first).extracting(r -> r.status().code()).containsExactly(100);
      List<FullHttpResponse> second = channel.write(TestSupport.tokenUsage(5).toByteArray());
      assertThat(second).extracting(r -> r.status().code()).containsExactly(200);
      assertThat(consumer.batches).hasSize(1);
    }

    @Test
    void whileDrainingAnswersCloseTheConnection() {
      channel();
      channel.draining.set(true);
      FullHttpResponse res = channel.exchange(
          Request.post("/v1/metrics", PROTOBUF, TestSupport.tokenUsage(1).toByteArray()).bytes());
      assertThat(res.status().code()).isEqualTo(200);
      assertThat(res.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
      assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void malformedRequestIs400AndCloses() throws Exception {
      channel();
      FullHttpResponse res = channel.exchange(("POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
          .getBytes(UTF_8));
      assertThat(res.status().code()).isEqualTo(400);
      assertThat(text(res)).startsWith("malformed HTTP request: ");
      assertThat(channel.isOpen()).isFalse();
    }
  }

  private static byte[] bytes(FullHttpResponse res) {
    return ByteBufUtil.getBytes(res.content());
  }

  private static String text(FullHttpResponse res) {
    return res.content().toString(UTF_8);
  }
}

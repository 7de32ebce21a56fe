package io.ccotel.gateway.testkit.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

/** The fixture on its own: raw pushes, Loki's answers. */
class LokiFixtureTest {
  private static final Instant NOW = Instant.parse("2026-11-25T13:00:00Z");
  private static final long NOW_NS = NOW.getEpochSecond() * 1_000_000_000L;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private LokiFixture loki;

  @BeforeEach
  void start() throws IOException {
    loki = LokiFixture.start().clock(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    loki.close();
  }

  private HttpResponse<String> post(String contentType, byte[] body, String... headers) throws Exception {
    return post(loki.pushUri(), contentType, body, headers);
  }

  private HttpResponse<String> post(URI uri, String contentType, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> json(String body, String... headers) throws Exception {
    return post("application/json", body.getBytes(StandardCharsets.UTF_8), headers);
  }

  private static String stream(String labels, String values) {
    return "{\"streams\":[{\"stream\":" + labels + ",\"values\":[" + values + "]}]}";
  }

  private static String value(long ns, String line) {
    return "[\"" + ns + "\",\"" + line + "\"]";
  }

  /** A protobuf PushRequest with an unknown field everywhere and StreamAdapter.hash set. */
  static byte[] protobuf(String labels, long ns, String line, Map<String, String> metadata) throws IOException {
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    CodedOutputStream e = CodedOutputStream.newInstance(entry);
    ByteArrayOutputStream ts = new ByteArrayOutputStream();
    CodedOutputStream t = CodedOutputStream.newInstance(ts);
    t.writeInt64(1, Math.floorDiv(ns, 1_000_000_000L));
    t.writeInt32(2, (int) Math.floorMod(ns, 1_000_000_000L));
    t.flush();
    e.writeByteArray(1, ts.toByteArray());
    e.writeString(2, line);
    for (Map.Entry<String, String> m : metadata.entrySet()) {
      ByteArrayOutputStream pair = new ByteArrayOutputStream();
      CodedOutputStream p = CodedOutputStream.newInstance(pair);
      p.writeString(1, m.getKey());
      p.writeString(2, m.getValue());
      p.flush();
      e.writeByteArray(3, pair.toByteArray());
    }
    e.writeString(99, "unknown");
    e.flush();
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    CodedOutputStream s = CodedOutputStream.newInstance(stream);
    s.writeString(1, labels);
    s.writeByteArray(2, entry.toByteArray());
    s.writeUInt64(3, 12345L);
    s.flush();
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    CodedOutputStream r = CodedOutputStream.newInstance(req);
    r.writeByteArray(1, stream.toByteArray());
    r.writeString(2, "loki");
    r.flush();
    return Snappy.compress(req.toByteArray());
  }

  @Test
  void protobufWithUnknownFieldsIsDecoded() throws Exception {
    HttpResponse<String> r =
        post("application/x-protobuf", protobuf("{service_name=\"s\",event_name=\"e\"}", NOW_NS - 1, "hello", Map.of("session_id", "abc")));

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(loki.entries())
        .containsExactly(new LokiFixture.Entry("fake", "{event_name=\"e\", service_name=\"s\"}", NOW_NS - 1, "hello", Map.of("session_id", "abc")));
    assertThat(loki.requests().get(0).entries()).isEqualTo(1);
    assertThat(post(null, protobuf("{a=\"b\"}", NOW_NS, "no content type", Map.of())).statusCode()).isEqualTo(204);
  }

  @Test
  void undecodableBodiesAre400() throws Exception {
    HttpResponse<String> snappy = post("application/x-protobuf", "not snappy".getBytes(StandardCharsets.UTF_8));
    assertThat(snappy.statusCode()).isEqualTo(400);
    assertThat(snappy.body()).startsWith("snappy: corrupt input");
    HttpResponse<String> json = json("{\"streams\": [{\"stream\": {\"a\": 1}, \"values\": []}]}");
    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(json.body()).startsWith("loghttp: label values must be strings");
    assertThat(json("{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[1, \"x\"]]}]}").statusCode()).isEqualTo(400);
    assertThat(json("not json").statusCode()).isEqualTo(400);
    assertThat(loki.entries()).isEmpty();
  }

  @Test
  void sixteenLabelsAreTooMany() throws Exception {
    StringBuilder labels = new StringBuilder("{");
    for (int i = 1; i <= 16; i++) {
      labels.append(i > 1 ? "," : "").append("\"l").append(String.format("%02d", i)).append("\":\"v\"");
    }
    labels.append('}');

    HttpResponse<String> r = json(stream(labels.toString(), value(NOW_NS, "x")));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .startsWith("entry for stream '{l01=\"v\", l02=\"v\", l03=\"v\", l04=\"v\", l05=\"v\", l06=\"v\", l07=\"v\", l08=\"v\","
            + " l09=\"v\", l10=\"v\", l11=\"v\", l12=\"v\", l13=\"v\", l14=\"v\", l15=\"v\", l16=\"v\"}' has 16 label names; limit 15\n")
        .endsWith("user 'fake', total ignored: 1 out of 1\n");
    String fifteen = labels.toString().replace(",\"l16\":\"v\"", "");
    assertThat(json(stream(fifteen, value(NOW_NS, "x"))).statusCode()).isEqualTo(204);
    assertThat(loki.streams()).hasSize(1);
  }

  @Test
  void labelSetsMustParse() throws Exception {
    assertThat(post("application/x-protobuf", protobuf("{9a=\"x\"}", NOW_NS, "l", Map.of())).body())
        .startsWith("error parsing labels '{9a=\"x\"}' with error: parse error at line 1, col 2");
    assertThat(post("application/x-protobuf", protobuf("{}", NOW_NS, "l", Map.of())).body())
        .startsWith("error at least one label pair is required per stream");
    assertThat(post("application/x-protobuf", protobuf("{a=\"x\", a=\"y\"}", NOW_NS, "l", Map.of())).body())
        .startsWith("stream '{a=\"x\", a=\"y\"}' has duplicate label name: 'a'");
    assertThat(post("application/x-protobuf", protobuf("{a=~\"x\"}", NOW_NS, "l", Map.of())).statusCode()).isEqualTo(400);
    assertThat(json(stream("{\"bad-name\":\"v\"}", value(NOW_NS, "x"))).statusCode()).isEqualTo(400);

    HttpResponse<String> escaped = post("application/x-protobuf", protobuf("{ b = \"q\\\"\\\\\\n\\u00e9\" , a=\"1\" }", NOW_NS, "l", Map.of()));
    assertThat(escaped.statusCode()).isEqualTo(204);
    assertThat(loki.entries().get(0).labels()).isEqualTo("{a=\"1\", b=\"q\\\"\\\\\\né\"}");
  }

  @Test
  void linesOver256KiBAreRefused() throws Exception {
    String ok = "x".repeat(256 * 1024);
    assertThat(json(stream("{\"a\":\"b\"}", value(NOW_NS, ok))).statusCode()).isEqualTo(204);
    HttpResponse<String> r = json(stream("{\"a\":\"b\"}", value(NOW_NS + 1, ok + "x")));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).startsWith("max entry size '262144' bytes exceeded for stream '{a=\"b\"}' while adding an entry with length '262145' bytes");
  }

  @Test
  void timestampsTooOldOrTooNewAreRefusedTheRestIsKept() throws Exception {
    long week = Duration.ofHours(168).toNanos();
    HttpResponse<String> r =
        json(stream("{\"a\":\"b\"}", String.join(",",
            value(NOW_NS - week - 1, "too old"), value(NOW_NS - week, "oldest"), value(NOW_NS + Duration.ofMinutes(11).toNanos(), "too new"))));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .isEqualTo("entry for stream '{a=\"b\"}' has timestamp too old: 2026-11-18T12:59:59.999999999Z, oldest acceptable timestamp is:"
            + " 2026-11-18T13:00:00Z\n"
            + "entry for stream '{a=\"b\"}' has timestamp too new: 2026-11-25T13:11:00Z\n"
            + "user 'fake', total ignored: 2 out of 3\n");
    assertThat(loki.entries()).extracting(LokiFixture.Entry::line).containsExactly("oldest");
    assertThat(loki.requests().get(0).accepted()).isEqualTo(1);

    loki.rejectOldSamples(null);
    assertThat(json(stream("{\"a\":\"c\"}", value(1, "1970"))).statusCode()).isEqualTo(204);
  }

  @Test
  void outOfOrderEntriesAreRefusedUnlessUnorderedWrites() throws Exception {
    assertThat(json(stream("{\"a\":\"b\"}", value(NOW_NS - 2000, "two"))).statusCode()).isEqualTo(204);
    HttpResponse<String> late = json(stream("{\"a\":\"b\"}", value(NOW_NS - 3000, "one")));
    assertThat(late.statusCode()).isEqualTo(400);
    assertThat(late.body()).startsWith("entry with timestamp 2026-11-25T12:59:59.999997Z ignored, reason: 'entry out of order' for stream: {a=\"b\"}");
    assertThat(json(stream("{\"a\":\"b\"}", value(NOW_NS - 2000, "same time, other line"))).statusCode()).isEqualTo(204);
    assertThat(json(stream("{\"a\":\"other\"}", value(NOW_NS - 3000, "other stream"))).statusCode()).isEqualTo(204);

    loki.unorderedWrites(true);
    assertThat(json(stream("{\"a\":\"b\"}", value(NOW_NS - 3000, "one"))).statusCode()).isEqualTo(204);
    HttpResponse<String> behind = json(stream("{\"a\":\"b\"}", value(NOW_NS - Duration.ofHours(2).toNanos(), "old")));
    assertThat(behind.statusCode()).isEqualTo(400);
    assertThat(behind.body()).contains("reason: 'entry too far behind");
    assertThat(loki.entries()).extracting(LokiFixture.Entry::line).containsExactly("two", "same time, other line", "other stream", "one");
  }

  @Test
  void exactRepeatsAreIgnoredSilently() throws Exception {
    String body = stream("{\"a\":\"b\"}", value(NOW_NS, "x"));
    assertThat(json(body).statusCode()).isEqualTo(204);
    assertThat(json(body).statusCode()).isEqualTo(204);
    assertThat(loki.entries()).hasSize(1);
  }

  @Test
  void gzipStructuredMetadataAndTenants() throws Exception {
    String body = "{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"" + NOW_NS + "\",\"x\",{\"trace_id\":\"t1\"}]]}]}";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(body.getBytes(StandardCharsets.UTF_8));
    }
    loki.requireTenant(true);
    assertThat(post("application/json", gz.toByteArray(), "Content-Encoding", "gzip").body()).isEqualTo("no org id\n");

    HttpResponse<String> r = post("application/json; charset=utf-8", gz.toByteArray(), "Content-Encoding", "gzip", "X-Scope-OrgID", "team-a");

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(loki.streams("team-a")).containsOnlyKeys("{a=\"b\"}");
    assertThat(loki.entries().get(0).structuredMetadata()).containsExactly(Map.entry("trace_id", "t1"));
    assertThat(loki.requests().get(1).tenant()).isEqualTo("team-a");
    assertThat(loki.requests().get(1).contentEncoding()).isEqualTo("gzip");

    loki.allowStructuredMetadata(false);
    HttpResponse<String> refused = post("application/json", gz.toByteArray(), "Content-Encoding", "gzip", "X-Scope-OrgID", "team-b");
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("includes structured metadata, but this feature is disallowed");
    assertThat(post("application/json", gz.toByteArray(), "Content-Encoding", "br", "X-Scope-OrgID", "t").statusCode()).isEqualTo(415);
  }

  @Test
  void pathsAndMethods() throws Exception {
    assertThat(post(loki.endpoint().resolve("/api/prom/push"), "application/json", new byte[0]).statusCode()).isEqualTo(404);
    HttpResponse<String> get =
        HTTP.send(HttpRequest.newBuilder(loki.pushUri()).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    HttpResponse<String> ready =
        HTTP.send(HttpRequest.newBuilder(loki.endpoint().resolve("/ready")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(loki.endpoint().getHost()).isEqualTo("127.0.0.1");
    assertThat(loki.requests()).extracting(LokiFixture.Request::method).containsExactly("POST", "GET", "GET");
  }

  @Test
  void modes() throws Exception {
    String body = stream("{\"a\":\"b\"}", value(NOW_NS, "x"));
    loki.answer429(Duration.ofMillis(1500));
    HttpResponse<String> tooMany = json(body);
    assertThat(tooMany.statusCode()).isEqualTo(429);
    assertThat(tooMany.headers().firstValue("Retry-After")).contains("2");

    loki.answer500();
    assertThat(json(body).statusCode()).isEqualTo(500);
    loki.normal().failNext(2, 503);
    assertThat(json(body).statusCode()).isEqualTo(503);
    assertThat(json(body).statusCode()).isEqualTo(503);
    assertThat(loki.entries()).isEmpty();

    int port = loki.port();
    loki.down();
    assertThat(loki.mode()).isEqualTo(LokiFixture.Mode.DOWN);
    assertThatThrownBy(() -> json(body)).isInstanceOf(ConnectException.class);
    loki.up();
    assertThat(loki.port()).isEqualTo(port);
    assertThat(json(body).statusCode()).isEqualTo(204);

    loki.hang();
    HttpRequest hung = HttpRequest.newBuilder(loki.pushUri()).timeout(Duration.ofMillis(300))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    assertThatThrownBy(() -> HTTP.send(hung, HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.net.http.HttpTimeoutException.class);
    loki.normal();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> loki.requests().size() == 6);
    assertThat(loki.awaitEntries(1, Duration.ofSeconds(1))).isTrue();
    assertThat(loki.entries()).hasSize(1); // the hung push was never stored
    List<Integer> statuses = loki.requests().stream().map(LokiFixture.Request::status).toList();
    assertThat(statuses).containsExactly(429, 500, 503, 503, 204, 0);
  }
}

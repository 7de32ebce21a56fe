package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

class LokiPushEncoderTest {
  /** What a decoder sees of one entry. */
  record Decoded(String labels, long seconds, int nanos, String line, List<String> metadata) {}

  private static LokiBatch batch() {
    LokiBatch b = new LokiBatch("", 0);
    TreeMap<String, String> api = new TreeMap<>(Map.of("service_name", "claude-code", "event_name", "api_request"));
    TreeMap<String, String> tool = new TreeMap<>(Map.of("service_name", "claude-code", "event_name", "tool_result"));
    b.add(api, LokiLabels.format(api), entry(1_795_610_462_515_000_000L, "{\"n\":2}", List.of()));
    b.add(tool, LokiLabels.format(tool), entry(1_795_610_462_600_000_001L, "{\"é\":\"\\\"\"}", List.of(Map.entry("session_id", "s-1"))));
    b.add(api, LokiLabels.format(api), entry(1_795_610_462_000_000_000L, "{\"n\":1}", List.of()));
    return b;
  }

  private static LokiBatch.Entry entry(long ts, String line, List<Map.Entry<String, String>> metadata) {
    return LokiBatch.Entry.of(ts, new LokiRecordFormat.Formatted(line, LokiRecordFormat.utf8Length(line), false, metadata));
  }

  @Test
  void protobufFollowsLokisPushProto() throws IOException {
    LokiBatch b = batch();
    byte[] raw = LokiPushEncoder.protobuf(b.sortedStreams());

    List<Decoded> decoded = decode(raw);

    assertThat(decoded)
        .containsExactly(
            new Decoded("{event_name=\"api_request\", service_name=\"claude-code\"}", 1_795_610_462L, 0, "{\"n\":1}", List.of()),
            new Decoded("{event_name=\"api_request\", service_name=\"claude-code\"}", 1_795_610_462L, 515_000_000, "{\"n\":2}", List.of()),
            new Decoded("{event_name=\"tool_result\", service_name=\"claude-code\"}", 1_795_610_462L, 600_000_001, "{\"é\":\"\\\"\"}",
                List.of("session_id=s-1")));
    assertThat(Snappy.uncompress(LokiPushEncoder.snappy(raw))).isEqualTo(raw);
    assertThat(b.entries()).isEqualTo(3);
    assertThat(b.bytes())
        .isEqualTo(7 + 7 + "{\"é\":\"\\\"\"}".getBytes(StandardCharsets.UTF_8).length + "session_id".length() + 3
            + "{event_name=\"api_request\", service_name=\"claude-code\"}".length()
            + "{event_name=\"tool_result\", service_name=\"claude-code\"}".length());
  }

  @Test
  void jsonFollowsLokisPushApi() throws IOException {
    byte[] body = LokiPushEncoder.json(batch().sortedStreams());

    assertThat(new String(body, StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"streams\":["
                + "{\"stream\":{\"event_name\":\"api_request\",\"service_name\":\"claude-code\"},"
                + "\"values\":[[\"1795610462000000000\",\"{\\\"n\\\":1}\"],[\"1795610462515000000\",\"{\\\"n\\\":2}\"]]},"
                + "{\"stream\":{\"event_name\":\"tool_result\",\"service_name\":\"claude-code\"},"
                + "\"values\":[[\"1795610462600000001\",\"{\\\"é\\\":\\\"\\\\\\\"\\\"}\",{\"session_id\":\"s-1\"}]]}]}");
    byte[] gz = LokiPushEncoder.gzip(body);
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      assertThat(in.readAllBytes()).isEqualTo(body);
    }
  }

  @Test
  void timestampsBeforeTheEpochAndEmptyBatches() throws IOException {
    LokiBatch b = new LokiBatch("t", 0);
    TreeMap<String, String> l = new TreeMap<>(Map.of("a", "b"));
    b.add(l, LokiLabels.format(l), entry(-1, "", List.of()));
    b.add(l, LokiLabels.format(l), entry(0, "zero", List.of()));

    assertThat(decode(LokiPushEncoder.protobuf(b.sortedStreams())))
        .containsExactly(new Decoded("{a=\"b\"}", -1, 999_999_999, "", List.of()), new Decoded("{a=\"b\"}", 0, 0, "zero", List.of()));
    assertThat(LokiPushEncoder.protobuf(List.of())).isEmpty();
  }

  private static final int LEN1 = (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int LEN2 = (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** A hand decoder, independent of the encoder's code. */
  static List<Decoded> decode(byte[] raw) throws IOException {
    List<Decoded> out = new ArrayList<>();
    CodedInputStream req = CodedInputStream.newInstance(raw);
    for (int tag; (tag = req.readTag()) != 0; ) {
      assertThat(tag).isEqualTo(LEN1);
      CodedInputStream stream = CodedInputStream.newInstance(req.readByteArray());
      String labels = null;
      for (int t; (t = stream.readTag()) != 0; ) {
        if (t == LEN1) {
          labels = stream.readString();
          continue;
        }
        assertThat(t).isEqualTo(LEN2);
        CodedInputStream entry = CodedInputStream.newInstance(stream.readByteArray());
        long seconds = 0;
        int nanos = 0;
        String line = "";
        List<String> metadata = new ArrayList<>();
        for (int e; (e = entry.readTag()) != 0; ) {
          switch (WireFormat.getTagFieldNumber(e)) {
            case 1 -> {
              CodedInputStream ts = CodedInputStream.newInstance(entry.readByteArray());
              for (int x; (x = ts.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(x) == 1) {
                  seconds = ts.readInt64();
                } else {
                  nanos = ts.readInt32();
                }
              }
            }
            case 2 -> line = entry.readString();
            case 3 -> {
              CodedInputStream pair = CodedInputStream.newInstance(entry.readByteArray());
              String name = "";
              String value = "";
              for (int x; (x = pair.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(x) == 1) {
                  name = pair.readString();
                } else {
                  value = pair.readString();
                }
              }
              metadata.add(name + "=" + value);
            }
            default -> throw new AssertionError("unexpected field " + e);
          }
        }
        out.add(new Decoded(labels, seconds, nanos, line, metadata));
      }
    }
    return out;
  }
}

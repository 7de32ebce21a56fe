package io.ccotel.gateway.exporters.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.xerial.snappy.Snappy;

/**
 * Push request bodies, both of Loki's encodings.
 *
 * <p>Protobuf: {@code logproto.PushRequest} written by hand (no generated classes of Loki's
 * {@code push.proto} are published for Java), field numbers as in Loki's {@code pkg/push/push.proto}:
 *
 * <pre>
 * PushRequest      { repeated StreamAdapter streams = 1; }
 * StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; }
 * EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                    repeated LabelPairAdapter structuredMetadata = 3; }
 * LabelPairAdapter { string name = 1; string value = 2; }
 * Timestamp        { int64 seconds = 1; int32 nanos = 2; }
 * </pre>
 *
 * then compressed with snappy's block format (not the framed one), as Loki decodes it.
 *
 * <p>JSON: {@code {"streams":[{"stream":{"event_name":"api_request",...},"values":[["<ns>",
 * "<line>"],["<ns>","<line>",{"session_id":"..."}]]}]}}, timestamps as decimal strings of Unix
 * nanoseconds, the structured metadata object only on entries that have some.
 *
 * <p>Thread-safe (stateless).
 */
final class LokiPushEncoder {
  private static final JsonFactory JSON = JsonFactory.builder().build();

  private LokiPushEncoder() {}

  /** The uncompressed protobuf PushRequest. */
  static byte[] protobuf(Collection<LokiBatch.Stream> streams) {
    int total = 0;
    int[] streamSizes = new int[streams.size()];
    int i = 0;
    for (LokiBatch.Stream s : streams) {
      int size = CodedOutputStream.computeStringSize(1, s.labelsText);
      for (LokiBatch.Entry e : s.entries) {
        int entrySize = entrySize(e);
        size += CodedOutputStream.computeTagSize(2) + CodedOutputStream.computeUInt32SizeNoTag(entrySize) + entrySize;
      }
      streamSizes[i++] = size;
      total += CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
    byte[] out = new byte[total];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      i = 0;
      for (LokiBatch.Stream s : streams) {
        o.writeTag(1, 2);
        o.writeUInt32NoTag(streamSizes[i++]);
        o.writeString(1, s.labelsText);
        for (LokiBatch.Entry e : s.entries) {
          o.writeTag(2, 2);
          o.writeUInt32NoTag(entrySize(e));
          int tsSize = timestampSize(e.timestampNanos());
          o.writeTag(1, 2);
          o.writeUInt32NoTag(tsSize);
          long seconds = Math.floorDiv(e.timestampNanos(), 1_000_000_000L);
          int nanos = (int) Math.floorMod(e.timestampNanos(), 1_000_000_000L);
          if (seconds != 0) {
            o.writeInt64(1, seconds);
          }
          if (nanos != 0) {
            o.writeInt32(2, nanos);
          }
          o.writeString(2, e.line());
          for (Map.Entry<String, String> m : e.metadata()) {
            o.writeTag(3, 2);
            o.writeUInt32NoTag(pairSize(m));
            o.writeString(1, m.getKey());
            o.writeString(2, m.getValue());
          }
        }
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("protobuf size computed wrongly", e);
    }
    return out;
  }

  private static int entrySize(LokiBatch.Entry e) {
    int ts = timestampSize(e.timestampNanos());
    int size = CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(ts) + ts;
    size += CodedOutputStream.computeStringSize(2, e.line());
    for (Map.Entry<String, String> m : e.metadata()) {
      int pair = pairSize(m);
      size += CodedOutputStream.computeTagSize(3) + CodedOutputStream.computeUInt32SizeNoTag(pair) + pair;
    }
    return size;
  }

  private static int timestampSize(long nanosSinceEpoch) {
    long seconds = Math.floorDiv(nanosSinceEpoch, 1_000_000_000L);
    int nanos = (int) Math.floorMod(nanosSinceEpoch, 1_000_000_000L);
    return (seconds != 0 ? CodedOutputStream.computeInt64Size(1, seconds) : 0)
        + (nanos != 0 ? CodedOutputStream.computeInt32Size(2, nanos) : 0);
  }

  private static int pairSize(Map.Entry<String, String> m) {
    return CodedOutputStream.computeStringSize(1, m.getKey()) + CodedOutputStream.computeStringSize(2, m.getValue());
  }

  /** Snappy block format, what Loki's push handler expects for protobuf bodies. */
  static byte[] snappy(byte[] raw) {
    try {
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON push body. */
  static byte[] json(Collection<LokiBatch.Stream> streams) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("streams");
      for (LokiBatch.Stream s : streams) {
        g.writeStartObject();
        g.writeObjectFieldStart("stream");
        for (Map.Entry<String, String> l : s.labels.entrySet()) {
          g.writeStringField(l.getKey(), l.getValue());
        }
        g.writeEndObject();
        g.writeArrayFieldStart("values");
        for (LokiBatch.Entry e : s.entries) {
          g.writeStartArray();
          g.writeString(Long.toString(e.timestampNanos()));
          g.writeString(e.line());
          if (!e.metadata().isEmpty()) {
            g.writeStartObject();
            for (Map.Entry<String, String> m : e.metadata()) {
              g.writeStringField(m.getKey(), m.getValue());
            }
            g.writeEndObject();
          }
          g.writeEndArray();
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}

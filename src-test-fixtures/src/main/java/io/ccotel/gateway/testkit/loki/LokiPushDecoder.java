package io.ccotel.gateway.testkit.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Decodes Loki push bodies as Loki's push handler does, independently of the gateway's encoder:
 * snappy (block format) + {@code logproto.PushRequest} read field by field with {@link
 * CodedInputStream} (unknown fields skipped), or the JSON push format.
 */
final class LokiPushDecoder {
  /** Loki's default {@code server.grpc_server_max_recv_msg_size}, also its limit for HTTP pushes. */
  static final int MAX_DECOMPRESSED_BYTES = 100 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private LokiPushDecoder() {}

  /** A stream as sent: labels text (protobuf) or label map (JSON, given as text), entries. */
  record Stream(String labels, List<RawEntry> entries) {}

  /** An entry as sent. */
  record RawEntry(long timestampNanos, String line, Map<String, String> metadata) {}

  /** A body Loki cannot decode: answered 400 with this message. */
  static final class BadBody extends Exception {
    BadBody(String message) {
      super(message);
    }
  }

  static List<Stream> protobuf(byte[] snappy) throws BadBody {
    byte[] raw;
    try {
      int length = Snappy.uncompressedLength(snappy);
      if (length < 0 || length > MAX_DECOMPRESSED_BYTES) {
        throw new BadBody("message size too large than max (" + length + " vs " + MAX_DECOMPRESSED_BYTES + ")");
      }
      raw = Snappy.uncompress(snappy);
    } catch (IOException | RuntimeException e) {
      throw new BadBody("snappy: corrupt input (" + e.getMessage() + ")");
    }
    try {
      List<Stream> streams = new ArrayList<>();
      CodedInputStream in = CodedInputStream.newInstance(raw);
      for (int tag; (tag = in.readTag()) != 0; ) {
        if (WireFormat.getTagFieldNumber(tag) == 1) {
          expectLength(tag);
          streams.add(stream(CodedInputStream.newInstance(in.readByteArray())));
        } else {
          in.skipField(tag);
        }
      }
      return streams;
    } catch (InvalidProtocolBufferException e) {
      throw new BadBody("proto: " + e.getMessage());
    } catch (IOException e) {
      throw new BadBody("proto: " + e.getMessage());
    }
  }

  private static Stream stream(CodedInputStream in) throws IOException {
    String labels = "";
    List<RawEntry> entries = new ArrayList<>();
    for (int tag; (tag = in.readTag()) != 0; ) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> {
          expectLength(tag);
          labels = in.readString();
        }
        case 2 -> {
          expectLength(tag);
          entries.add(entry(CodedInputStream.newInstance(in.readByteArray())));
        }
        default -> in.skipField(tag); // 3: hash, and whatever newer Lokis add
      }
    }
    return new Stream(labels, entries);
  }

  private static RawEntry entry(CodedInputStream in) throws IOException {
    long seconds = 0;
    int nanos = 0;
    String line = "";
    Map<String, String> metadata = new LinkedHashMap<>();
    for (int tag; (tag = in.readTag()) != 0; ) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> {
          expectLength(tag);
          CodedInputStream ts = CodedInputStream.newInstance(in.readByteArray());
          for (int t; (t = ts.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(t)) {
              case 1 -> seconds = ts.readInt64();
              case 2 -> nanos = ts.readInt32();
              default -> ts.skipField(t);
            }
          }
        }
        case 2 -> {
          expectLength(tag);
          line = in.readString();
        }
        case 3 -> {
          expectLength(tag);
          CodedInputStream pair = CodedInputStream.newInstance(in.readByteArray());
          String name = "";
          String value = "";
          for (int t; (t = pair.readTag()) != 0; ) {
            switch (WireFormat.getTagFieldNumber(t)) {
              case 1 -> name = pair.readString();
              case 2 -> value = pair.readString();
              default -> pair.skipField(t);
            }
          }
          metadata.put(name, value);
        }
        default -> in.skipField(tag);
      }
    }
    if (nanos < 0 || nanos > 999_999_999) {
      throw new InvalidProtocolBufferException("timestamp nanos out of range: " + nanos);
    }
    return new RawEntry(Math.addExact(Math.multiplyExact(seconds, 1_000_000_000L), nanos), line, metadata);
  }

  private static void expectLength(int tag) throws InvalidProtocolBufferException {
    if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      throw new InvalidProtocolBufferException("wrong wire type " + WireFormat.getTagWireType(tag)
          + " for field " + WireFormat.getTagFieldNumber(tag));
    }
  }

  /** {@code {"streams":[{"stream":{...},"values":[["<ns>","<line>"(,{metadata})]]}]}}. */
  static List<Stream> json(byte[] body) throws BadBody {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new BadBody("loghttp: invalid JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject() || !root.path("streams").isArray()) {
      throw new BadBody("loghttp: expected {\"streams\": [...]}");
    }
    List<Stream> streams = new ArrayList<>();
    for (JsonNode s : root.get("streams")) {
      JsonNode labels = s.path("stream");
      if (!labels.isObject()) {
        throw new BadBody("loghttp: each stream needs a \"stream\" object of labels");
      }
      StringBuilder text = new StringBuilder("{");
      for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> l = it.next();
        if (!l.getValue().isTextual()) {
          throw new BadBody("loghttp: label values must be strings, got " + l.getValue().getNodeType() + " for " + l.getKey());
        }
        if (text.length() > 1) {
          text.append(", ");
        }
        text.append(l.getKey()).append("=\"");
        LokiLabelParser.escape(text, l.getValue().textValue());
        text.append('"');
      }
      text.append('}');
      List<RawEntry> entries = new ArrayList<>();
      for (JsonNode v : s.path("values")) {
        if (!v.isArray() || v.size() < 2 || v.size() > 3 || !v.get(0).isTextual() || !v.get(1).isTextual()) {
          throw new BadBody("loghttp: each value must be [\"<unix ns>\", \"<line>\"(, {structured metadata})]");
        }
        long ts;
        try {
          ts = Long.parseLong(v.get(0).textValue());
        } catch (NumberFormatException e) {
          throw new BadBody("loghttp: invalid timestamp \"" + v.get(0).textValue() + "\"");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        if (v.size() == 3) {
          if (!v.get(2).isObject()) {
            throw new BadBody("loghttp: structured metadata must be an object of strings");
          }
          for (Iterator<Map.Entry<String, JsonNode>> it = v.get(2).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
              throw new BadBody("loghttp: structured metadata values must be strings");
            }
            metadata.put(m.getKey(), m.getValue().textValue());
          }
        }
        entries.add(new RawEntry(ts, v.get(1).textValue(), metadata));
      }
      streams.add(new Stream(text.toString(), entries));
    }
    return streams;
  }
}

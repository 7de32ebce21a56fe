package io.ccotel.gateway.core.otlp;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an {@code ExportLogsServiceRequest} straight into the internal model, without building the
 * protobuf message objects: the result equals {@code OtlpProtoMapper.logs(
 * ExportLogsServiceRequest.parseFrom(bytes))}. The durable log's drains read every record this way.
 *
 * <p>It follows the generated parser: fields are matched by number and wire type, anything else is
 * skipped as an unknown field, the last of a repeated scalar wins. What it does not reproduce
 * (a singular message field given twice, which protobuf merges; more than one value in an
 * AnyValue; nesting deeper than protobuf's limit) and bytes that are not valid protobuf throw
 * {@link NotDirect}: the caller then takes the message path, which gives the exact result or the
 * exact error.
 *
 * <p>Stateless and thread-safe.
 */
public final class OtlpDirectDecoder {
  private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int FIXED64 = WireFormat.WIRETYPE_FIXED64;
  private static final int FIXED32 = WireFormat.WIRETYPE_FIXED32;
  private static final int VARINT = WireFormat.WIRETYPE_VARINT;
  /** Below protobuf-java's default recursion limit (100), which counts the enclosing messages too. */
  private static final int MAX_DEPTH = 90;
  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  /** The bytes hold something this reader does not handle alike; use the message path. */
  public static final class NotDirect extends Exception {
    NotDirect(String message) {
      super(message, null, false, false);
    }
  }

  private static final NotDirect MERGE = new NotDirect("a singular message field repeats (protobuf merges)");
  private static final NotDirect END_GROUP = new NotDirect("an end-group tag where a message should end");
  private static final NotDirect DEEP = new NotDirect("nested deeper than protobuf's recursion limit");

  private OtlpDirectDecoder() {}

  private static NotDirect invalid(InvalidProtocolBufferException e) {
    return new NotDirect("not valid protobuf: " + e.getMessage());
  }

  private static int tag(int field, int wireType) {
    return (field << 3) | wireType;
  }

  /** The logs of these bytes ({@code bytes[offset .. offset+length)}), as OtlpProtoMapper would map them. */
  public static LogsBatch logs(byte[] bytes, int offset, int length) throws NotDirect {
    try {
      List<LogRecord> out = new ArrayList<>();
      CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        if (tag == tag(1, LEN)) {
          int len = in.readRawVarint32();
          int at = offset + in.getTotalBytesRead();
          in.skipRawBytes(len);
          resourceLogs(bytes, at, len, out);
        } else if (!in.skipField(tag)) {
          throw END_GROUP;
        }
      }
      return new LogsBatch(out);
    } catch (InvalidProtocolBufferException e) {
      throw invalid(e);
    } catch (IOException e) {
      throw new NotDirect(e.toString());
    }
  }

  private static void resourceLogs(byte[] bytes, int offset, int length, List<LogRecord> out)
      throws IOException, NotDirect {
    // First the resource and schema url (they may follow the scope logs), then the scope logs.
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    Attributes resourceAttributes = Attributes.empty();
    boolean resourceSeen = false;
    String schemaUrl = "";
    boolean anyScope = false;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, LEN)) {
        if (resourceSeen) {
          throw MERGE;
        }
        resourceSeen = true;
        int limit = in.pushLimit(in.readRawVarint32());
        resourceAttributes = attributesMessage(in, 1, 1);
        in.popLimit(limit);
      } else if (tag == tag(3, LEN)) {
        schemaUrl = in.readStringRequireUtf8();
      } else if (tag == tag(2, LEN)) {
        anyScope = true;
        in.skipRawBytes(in.readRawVarint32());
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    if (!anyScope) {
      return;
    }
    Resource resource = new Resource(resourceAttributes, schemaUrl);
    in = CodedInputStream.newInstance(bytes, offset, length);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(2, LEN)) {
        int len = in.readRawVarint32();
        int at = offset + in.getTotalBytesRead();
        in.skipRawBytes(len);
        scopeLogs(bytes, at, len, resource, out);
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
  }

  private static void scopeLogs(byte[] bytes, int offset, int length, Resource resource, List<LogRecord> out)
      throws IOException, NotDirect {
    CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
    Scope scope = null;
    boolean anyRecord = false;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, LEN)) {
        if (scope != null) {
          throw MERGE;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        scope = scope(in);
        in.popLimit(limit);
      } else if (tag == tag(2, LEN)) {
        anyRecord = true;
        in.skipRawBytes(in.readRawVarint32());
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    if (!anyRecord) {
      return;
    }
    if (scope == null) {
      scope = new Scope("", "", Attributes.empty());
    }
    in = CodedInputStream.newInstance(bytes, offset, length);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(2, LEN)) {
        int limit = in.pushLimit(in.readRawVarint32());
        out.add(logRecord(in, resource, scope));
        in.popLimit(limit);
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
  }

  private static Scope scope(CodedInputStream in) throws IOException, NotDirect {
    String name = "";
    String version = "";
    Attributes.Builder attributes = null;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, LEN)) {
        name = in.readStringRequireUtf8();
      } else if (tag == tag(2, LEN)) {
        version = in.readStringRequireUtf8();
      } else if (tag == tag(3, LEN)) {
        if (attributes == null) {
          attributes = Attributes.builder();
        }
        keyValue(in, attributes, 2);
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    return new Scope(name, version, attributes == null ? Attributes.empty() : attributes.build());
  }

  private static LogRecord logRecord(CodedInputStream in, Resource resource, Scope scope)
      throws IOException, NotDirect {
    long time = 0;
    long observed = 0;
    int severity = 0;
    String severityText = "";
    Object body = null;
    boolean bodySeen = false;
    Attributes.Builder attributes = null;
    int dropped = 0;
    int flags = 0;
    String traceId = "";
    String spanId = "";
    String eventName = "";
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (tag) {
        case (1 << 3) | FIXED64 -> time = in.readFixed64();
        case (2 << 3) | VARINT -> severity = in.readEnum();
        case (3 << 3) | LEN -> severityText = in.readStringRequireUtf8();
        case (5 << 3) | LEN -> {
          if (bodySeen) {
            throw MERGE;
          }
          bodySeen = true;
          body = anyValueMessage(in, 2);
        }
        case (6 << 3) | LEN -> {
          if (attributes == null) {
            attributes = Attributes.builder(16);
          }
          keyValue(in, attributes, 2);
        }
        case (7 << 3) | VARINT -> dropped = in.readUInt32();
        case (8 << 3) | FIXED32 -> flags = in.readFixed32();
        case (9 << 3) | LEN -> traceId = hex(in);
        case (10 << 3) | LEN -> spanId = hex(in);
        case (11 << 3) | FIXED64 -> observed = in.readFixed64();
        case (12 << 3) | LEN -> eventName = in.readStringRequireUtf8();
        default -> {
          if (!in.skipField(tag)) {
            throw END_GROUP;
          }
        }
      }
    }
    return record(resource, scope, time, observed, severity, severityText, body, attributes, eventName, traceId,
        spanId, flags, dropped);
  }

  private static LogRecord record(Resource resource, Scope scope, long time, long observed, int severity,
      String severityText, Object body, Attributes.Builder attributes, String eventName, String traceId,
      String spanId, int flags, int dropped) {
    return new LogRecord(resource, scope, time, observed, severity, severityText, body,
        attributes == null ? Attributes.empty() : attributes.build(), eventName, traceId, spanId, flags, dropped);
  }

  private static String hex(CodedInputStream in) throws IOException {
    int len = in.readRawVarint32();
    if (len == 0) {
      return "";
    }
    byte[] b = in.readRawBytes(len);
    char[] out = new char[b.length * 2];
    for (int i = 0; i < b.length; i++) {
      out[2 * i] = HEX_DIGITS[(b[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX_DIGITS[b[i] & 0xf];
    }
    return new String(out);
  }

  /** A message whose repeated KeyValue field {@code field} holds the attributes (Resource, KeyValueList). */
  private static Attributes attributesMessage(CodedInputStream in, int field, int depth)
      throws IOException, NotDirect {
    if (depth > MAX_DEPTH) {
      throw DEEP;
    }
    Attributes.Builder b = null;
    int kvTag = tag(field, LEN);
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == kvTag) {
        if (b == null) {
          b = Attributes.builder();
        }
        keyValue(in, b, depth + 1);
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    return b == null ? Attributes.empty() : b.build();
  }

  /** One length-delimited KeyValue; the pair is added when it has a value, as OtlpProtoMapper does. */
  private static void keyValue(CodedInputStream in, Attributes.Builder out, int depth) throws IOException, NotDirect {
    if (depth > MAX_DEPTH) {
      throw DEEP;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    String key = "";
    Object value = null;
    boolean valueSeen = false;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, LEN)) {
        key = in.readStringRequireUtf8();
      } else if (tag == tag(2, LEN)) {
        if (valueSeen) {
          throw MERGE;
        }
        valueSeen = true;
        value = anyValueMessage(in, depth + 1);
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    in.popLimit(limit);
    if (value != null) {
      out.add(key, value);
    }
  }

  /** One length-delimited AnyValue as a plain Java value; null when it holds none. */
  private static Object anyValueMessage(CodedInputStream in, int depth) throws IOException, NotDirect {
    if (depth > MAX_DEPTH) {
      throw DEEP;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    Object value = null;
    boolean seen = false;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      int field = WireFormat.getTagFieldNumber(tag);
      boolean known = switch (tag) {
        case (1 << 3) | LEN, (2 << 3) | VARINT, (3 << 3) | VARINT, (4 << 3) | FIXED64, (5 << 3) | LEN,
            (6 << 3) | LEN, (7 << 3) | LEN, (8 << 3) | VARINT -> true;
        default -> false;
      };
      if (!known) {
        if (!in.skipField(tag)) {
          throw END_GROUP;
        }
        continue;
      }
      if (seen) {
        // Another member of the oneof (or the same one again, which protobuf may merge).
        throw MERGE;
      }
      seen = true;
      switch (field) {
        case 1 -> value = in.readStringRequireUtf8();
        case 2 -> value = in.readBool();
        case 3 -> value = in.readInt64();
        case 4 -> value = in.readDouble();
        case 5 -> value = arrayValue(in, depth + 1);
        case 6 -> {
          int l = in.pushLimit(in.readRawVarint32());
          value = attributesMessage(in, 1, depth + 1);
          in.popLimit(l);
        }
        case 7 -> value = ByteBuffer.wrap(in.readByteArray()).asReadOnlyBuffer();
        default -> {
          in.readInt32(); // string_value_strindex: OtlpProtoMapper has no value for it
          value = null;
        }
      }
    }
    in.popLimit(limit);
    return value;
  }

  private static List<Object> arrayValue(CodedInputStream in, int depth) throws IOException, NotDirect {
    if (depth > MAX_DEPTH) {
      throw DEEP;
    }
    int limit = in.pushLimit(in.readRawVarint32());
    List<Object> list = new ArrayList<>();
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      if (tag == tag(1, LEN)) {
        Object o = anyValueMessage(in, depth + 1);
        if (o != null) {
          list.add(o);
        }
      } else if (!in.skipField(tag)) {
        throw END_GROUP;
      }
    }
    in.popLimit(limit);
    return List.copyOf(list);
  }
}

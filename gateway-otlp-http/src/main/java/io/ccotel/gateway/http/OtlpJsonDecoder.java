package io.ccotel.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.UnsafeByteOperations;
import io.ccotel.gateway.core.model.Attributes;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Decodes OTLP/JSON into the generated protobuf messages of opentelemetry-proto, which {@link
 * io.ccotel.gateway.core.otlp.OtlpProtoMapper} then maps to the internal model, exactly as for a
 * protobuf body. Generic over all OTLP messages: a Jackson streaming parser walks the body once,
 * guided by the protobuf descriptors; no intermediate tree is built.
 *
 * <p>The OTLP/JSON rules it follows (they differ from protobuf's own JSON mapping, which is why
 * {@code JsonFormat} is not used: it would read the ids as base64):
 *
 * <ul>
 *   <li>field names in lowerCamelCase ({@code json_name}); the original snake_case names are
 *       accepted too;
 *   <li>{@code trace_id}, {@code span_id} and {@code parent_span_id} (wherever they occur: log
 *       records, spans, span links, exemplars) are hex strings of 32 or 16 digits, in any case; an
 *       empty string is an empty id. Any other bytes field is base64 (standard or URL-safe, padding
 *       optional);
 *   <li>enums are integers; their names ({@code "AGGREGATION_TEMPORALITY_DELTA"}) are accepted
 *       too;
 *   <li>64-bit integers accept a JSON string or a JSON number (Claude Code sends {@code intValue}
 *       as a number and times as strings); so do 32-bit integers;
 *   <li>doubles accept numbers and the strings {@code "NaN"}, {@code "Infinity"}, {@code
 *       "-Infinity"} (and numbers written as strings);
 *   <li>unknown fields are skipped with their whole value; {@code null} means "not set", also as a
 *       list element;
 *   <li>a value of the wrong type is an error naming the field path, such as {@code
 *       resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints[0].asDouble: expected a
 *       number, got "abc"};
 *   <li>messages may nest at most {@value #MAX_MESSAGE_DEPTH} levels, the limit of protobuf's
 *       binary parser, so that whatever is accepted here can be forwarded as protobuf. That allows
 *       about 47 levels of {@code arrayValue} inside a log body; deeper input is an error, never a
 *       {@link StackOverflowError}.
 * </ul>
 *
 * <p>Map fields (OTLP has none) are not supported. Duplicate keys: the last one wins for a single
 * field, list elements are appended. Stateless and thread-safe.
 */
public final class OtlpJsonDecoder {
  /** The nesting limit for messages; protobuf's CodedInputStream uses the same default. */
  public static final int MAX_MESSAGE_DEPTH = 100;

  // Every message is one JSON object and every repeated field one array, so a valid body never
  // nests deeper than this; the constraint is a backstop for unknown fields (skipped unchecked).
  private static final int MAX_JSON_DEPTH = 2 * MAX_MESSAGE_DEPTH + 8;

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_JSON_DEPTH)
                  // The receiver caps the whole body (max_body_bytes); a single long string, such
                  // as a raw API body in a log attribute, must not fail below that cap.
                  .maxStringLength(Integer.MAX_VALUE)
                  .build())
          .build();

  private static final Map<Descriptor, FieldTable> TABLES = new ConcurrentHashMap<>();

  private OtlpJsonDecoder() {}

  public static ExportMetricsServiceRequest metrics(byte[] json) throws OtlpDecodeException {
    return decode(json, 0, json.length, ExportMetricsServiceRequest.getDefaultInstance());
  }

  public static ExportLogsServiceRequest logs(byte[] json) throws OtlpDecodeException {
    return decode(json, 0, json.length, ExportLogsServiceRequest.getDefaultInstance());
  }

  public static ExportTraceServiceRequest traces(byte[] json) throws OtlpDecodeException {
    return decode(json, 0, json.length, ExportTraceServiceRequest.getDefaultInstance());
  }

  /**
   * Decodes {@code length} bytes of UTF-8 JSON at {@code offset} as a message of the prototype's
   * type. An empty (or all-whitespace) body is the empty message.
   */
  public static <M extends Message> M decode(byte[] json, int offset, int length, M prototype)
      throws OtlpDecodeException {
    JsonParser p;
    try {
      p = JSON.createParser(json, offset, length);
    } catch (IOException e) {
      throw new OtlpDecodeException("could not read the JSON body: " + e.getMessage(), e);
    }
    return decode(p, prototype);
  }

  /** As {@link #decode(byte[], int, int, Message)}, reading the JSON from a stream. */
  public static <M extends Message> M decode(InputStream json, M prototype) throws OtlpDecodeException {
    JsonParser p;
    try {
      p = JSON.createParser(json);
    } catch (IOException e) {
      throw new OtlpDecodeException("could not read the JSON body: " + e.getMessage(), e);
    }
    return decode(p, prototype);
  }

  @SuppressWarnings("unchecked")
  private static <M extends Message> M decode(JsonParser p, M prototype) throws OtlpDecodeException {
    try (p) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return prototype;
      }
      if (t != JsonToken.START_OBJECT) {
        throw new OtlpDecodeException(
            "the body must be a JSON object such as {\"" + firstFieldName(prototype) + "\":[...]}, got "
                + describe(p, t));
      }
      Message.Builder b = prototype.newBuilderForType();
      readMessage(p, b, table(prototype), 1);
      t = p.nextToken();
      if (t != null) {
        throw new OtlpDecodeException(
            "unexpected " + describe(p, t) + " after the end of the top-level JSON object");
      }
      return (M) b.buildPartial();
    } catch (JsonProcessingException e) {
      throw syntaxError(p, e);
    } catch (IOException e) {
      throw new OtlpDecodeException("could not read the JSON body: " + e.getMessage(), e);
    }
  }

  /** Reads the fields of one object; the current token is its START_OBJECT. */
  private static void readMessage(JsonParser p, Message.Builder b, FieldTable table, int depth)
      throws IOException, OtlpDecodeException {
    if (depth > MAX_MESSAGE_DEPTH) {
      throw error(p, "nested more than " + MAX_MESSAGE_DEPTH + " levels deep");
    }
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken t = p.nextToken();
      FieldInfo f = table.byName.get(name);
      if (f == null) {
        // Unknown field (a newer OTLP version, or a typo): skip its whole value.
        p.skipChildren();
        continue;
      }
      if (t == JsonToken.VALUE_NULL) {
        continue;
      }
      if (f.repeated) {
        if (t != JsonToken.START_ARRAY) {
          throw typeError(p, t, "a list");
        }
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          if (t == null) {
            throw error(p, "unexpected end of the JSON body inside a list");
          }
          if (t != JsonToken.VALUE_NULL) {
            b.addRepeatedField(f.fd, value(p, t, f, depth));
          }
        }
      } else {
        b.setField(f.fd, value(p, t, f, depth));
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw error(p, "unexpected " + describe(p, p.currentToken()) + " where a field name was expected");
    }
  }

  private static Object value(JsonParser p, JsonToken t, FieldInfo f, int depth)
      throws IOException, OtlpDecodeException {
    switch (f.kind) {
      case MESSAGE -> {
        if (t != JsonToken.START_OBJECT) {
          throw typeError(p, t, "an object");
        }
        Message.Builder child = f.childPrototype.newBuilderForType();
        readMessage(p, child, f.childTable(), depth + 1);
        return child.buildPartial();
      }
      case STRING -> {
        if (t != JsonToken.VALUE_STRING) {
          throw typeError(p, t, "a string");
        }
        return p.getText();
      }
      case DOUBLE -> {
        return readDouble(p, t);
      }
      case FLOAT -> {
        double d = readDouble(p, t);
        float fl = (float) d;
        if (Float.isInfinite(fl) && !Double.isInfinite(d)) {
          throw error(p, "the number " + p.getText() + " is too large for a 32-bit float");
        }
        return fl;
      }
      case INT64 -> {
        return readLong(p, t, false);
      }
      case UINT64 -> {
        return readLong(p, t, true);
      }
      case INT32 -> {
        return readInt(p, t, false);
      }
      case UINT32 -> {
        return readInt(p, t, true);
      }
      case BOOL -> {
        return readBool(p, t);
      }
      case ENUM -> {
        return readEnum(p, t, f.fd.getEnumType());
      }
      case ID -> {
        return readHexId(p, t, f);
      }
      case BYTES -> {
        return readBase64(p, t);
      }
      default -> throw error(p, "fields of this kind (protobuf maps) are not supported");
    }
  }

  private static double readDouble(JsonParser p, JsonToken t) throws IOException, OtlpDecodeException {
    if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
      return p.getDoubleValue();
    }
    if (t == JsonToken.VALUE_STRING) {
      String s = p.getText();
      switch (s) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          if (isDecimalNumber(s)) {
            return Double.parseDouble(s);
          }
      }
    }
    throw typeError(p, t, "a number");
  }

  private static long readLong(JsonParser p, JsonToken t, boolean unsigned)
      throws IOException, OtlpDecodeException {
    if (t == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType nt = p.getNumberType();
      if (nt == JsonParser.NumberType.INT || nt == JsonParser.NumberType.LONG) {
        long v = p.getLongValue();
        if (unsigned && v < 0) {
          throw rangeError(p, t, true, true);
        }
        return v;
      }
      return fromBigInteger(p, t, p.getBigIntegerValue(), unsigned);
    }
    // A number such as 1e9999999999 overflows BigDecimal's exponent (NumberFormatException from
    // Jackson or BigDecimal, ArithmeticException when scaled): bad input, answered 400 like any other.
    try {
      if (t == JsonToken.VALUE_NUMBER_FLOAT) {
        return fromDecimal(p, t, p.getDecimalValue(), unsigned);
      }
      if (t == JsonToken.VALUE_STRING) {
        String s = p.getText();
        try {
          // The common case (times are sent as strings): no exception, no BigDecimal.
          return unsigned ? Long.parseUnsignedLong(s) : Long.parseLong(s);
        } catch (NumberFormatException e) {
          if (isDecimalNumber(s)) {
            return fromDecimal(p, t, new BigDecimal(s), unsigned);
          }
        }
      }
    } catch (NumberFormatException | ArithmeticException e) {
      throw rangeError(p, t, unsigned, true);
    }
    throw typeError(p, t, "a whole number");
  }

  private static int readInt(JsonParser p, JsonToken t, boolean unsigned)
      throws IOException, OtlpDecodeException {
    long v;
    if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
      v = p.getIntValue();
    } else {
      boolean numeric =
          t == JsonToken.VALUE_NUMBER_INT
              || t == JsonToken.VALUE_NUMBER_FLOAT
              || (t == JsonToken.VALUE_STRING && isDecimalNumber(p.getText()));
      if (!numeric) {
        throw typeError(p, t, "a whole number");
      }
      try {
        v = readLong(p, t, false);
      } catch (OtlpDecodeException e) {
        throw rangeError(p, t, unsigned, false);
      }
    }
    if (unsigned ? v < 0 || v > 0xFFFF_FFFFL : v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw rangeError(p, t, unsigned, false);
    }
    return (int) v;
  }

  private static long fromBigInteger(JsonParser p, JsonToken t, BigInteger v, boolean unsigned)
      throws IOException, OtlpDecodeException {
    if (unsigned) {
      if (v.signum() >= 0 && v.bitLength() <= 64) {
        return v.longValue();
      }
    } else if (v.bitLength() <= 63) {
      return v.longValue();
    }
    throw rangeError(p, t, unsigned, true);
  }

  private static long fromDecimal(JsonParser p, JsonToken t, BigDecimal d, boolean unsigned)
      throws IOException, OtlpDecodeException {
    BigInteger whole;
    try {
      // Rejects fractions (1.5) but takes 1.0 and 1e3; the scale check keeps 1e999999999 cheap.
      if (d.scale() < -40) {
        throw rangeError(p, t, unsigned, true);
      }
      whole = d.toBigIntegerExact();
    } catch (ArithmeticException e) {
      throw typeError(p, t, "a whole number");
    }
    return fromBigInteger(p, t, whole, unsigned);
  }

  private static boolean readBool(JsonParser p, JsonToken t) throws IOException, OtlpDecodeException {
    if (t == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (t == JsonToken.VALUE_FALSE) {
      return false;
    }
    if (t == JsonToken.VALUE_STRING) {
      String s = p.getText();
      if (s.equals("true")) {
        return true;
      }
      if (s.equals("false")) {
        return false;
      }
    }
    throw typeError(p, t, "true or false");
  }

  private static EnumValueDescriptor readEnum(JsonParser p, JsonToken t, EnumDescriptor type)
      throws IOException, OtlpDecodeException {
    if (t == JsonToken.VALUE_STRING) {
      EnumValueDescriptor byName = type.findValueByName(p.getText());
      if (byName != null) {
        return byName;
      }
      if (!isDecimalNumber(p.getText())) {
        throw typeError(p, t, "an enum number or one of " + enumNames(type));
      }
    } else if (t != JsonToken.VALUE_NUMBER_INT) {
      throw typeError(p, t, "an enum number or one of " + enumNames(type));
    }
    int n = readInt(p, t, false);
    EnumValueDescriptor v = type.findValueByNumber(n);
    if (v != null) {
      return v;
    }
    if (type.isClosed()) {
      throw typeError(p, t, "an enum number or one of " + enumNames(type));
    }
    // Open (proto3) enum: keep an unknown number as sent, as the binary parser does.
    return type.findValueByNumberCreatingIfUnknown(n);
  }

  private static ByteString readHexId(JsonParser p, JsonToken t, FieldInfo f)
      throws IOException, OtlpDecodeException {
    if (t != JsonToken.VALUE_STRING) {
      throw typeError(p, t, f.idDescription());
    }
    String s = p.getText();
    if (s.isEmpty()) {
      return ByteString.EMPTY;
    }
    if (s.length() == f.idBytes * 2) {
      byte[] out = new byte[f.idBytes];
      boolean ok = true;
      for (int i = 0; i < out.length; i++) {
        int hi = Character.digit(s.charAt(2 * i), 16);
        int lo = Character.digit(s.charAt(2 * i + 1), 16);
        if (hi < 0 || lo < 0) {
          ok = false;
          break;
        }
        out[i] = (byte) ((hi << 4) | lo);
      }
      if (ok) {
        return UnsafeByteOperations.unsafeWrap(out);
      }
    }
    throw typeError(
        p, t, f.idDescription() + " (OTLP/JSON writes trace and span ids as hex, not base64)");
  }

  private static ByteString readBase64(JsonParser p, JsonToken t) throws IOException, OtlpDecodeException {
    if (t != JsonToken.VALUE_STRING) {
      throw typeError(p, t, "a base64 string");
    }
    String s = p.getText();
    try {
      Base64.Decoder d = s.indexOf('-') >= 0 || s.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder();
      return UnsafeByteOperations.unsafeWrap(d.decode(s));
    } catch (IllegalArgumentException e) {
      throw typeError(p, t, "a base64 string");
    }
  }

  /** Digits with an optional sign, fraction and exponent: what JSON allows for a number. */
  private static boolean isDecimalNumber(String s) {
    int n = s.length();
    if (n == 0 || n > 1000) {
      return false;
    }
    int i = 0;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      i++;
    }
    boolean digits = false;
    boolean dot = false;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        digits = true;
      } else if (c == '.' && !dot) {
        dot = true;
      } else if ((c == 'e' || c == 'E') && digits) {
        int j = i + 1;
        if (j < n && (s.charAt(j) == '-' || s.charAt(j) == '+')) {
          j++;
        }
        if (j == n) {
          return false;
        }
        for (; j < n; j++) {
          if (s.charAt(j) < '0' || s.charAt(j) > '9') {
            return false;
          }
        }
        return true;
      } else {
        return false;
      }
    }
    return digits;
  }

  private static String enumNames(EnumDescriptor type) {
    return type.getValues().stream().map(EnumValueDescriptor::getName).collect(Collectors.joining(", "));
  }

  private static String firstFieldName(Message prototype) {
    var fields = prototype.getDescriptorForType().getFields();
    return fields.isEmpty() ? "..." : fields.get(0).getJsonName();
  }

  // ---- errors

  private static OtlpDecodeException error(JsonParser p, String what) {
    return new OtlpDecodeException(path(p.getParsingContext()) + ": " + what);
  }

  private static OtlpDecodeException typeError(JsonParser p, JsonToken t, String expected) throws IOException {
    return error(p, "expected " + expected + ", got " + describe(p, t));
  }

  private static OtlpDecodeException rangeError(JsonParser p, JsonToken t, boolean unsigned, boolean wide)
      throws IOException {
    String range;
    if (wide) {
      range = unsigned ? "0 and 18446744073709551615" : "-9223372036854775808 and 9223372036854775807";
    } else {
      range = unsigned ? "0 and 4294967295" : "-2147483648 and 2147483647";
    }
    return typeError(p, t, "a whole number between " + range);
  }

  private static OtlpDecodeException syntaxError(JsonParser p, JsonProcessingException e) {
    StringBuilder sb = new StringBuilder("invalid JSON");
    JsonLocation loc = e.getLocation();
    if (loc != null && loc.getLineNr() > 0) {
      sb.append(" at line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr());
    }
    String path = path(p.getParsingContext());
    if (!path.isEmpty()) {
      sb.append(" (in ").append(path).append(')');
    }
    sb.append(": ").append(e.getOriginalMessage());
    return new OtlpDecodeException(sb.toString(), e);
  }

  /** The JSON path of the parser's position, such as {@code resourceLogs[0].scopeLogs[1].logRecords}. */
  static String path(JsonStreamContext context) {
    Deque<JsonStreamContext> chain = new ArrayDeque<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      chain.push(c);
    }
    StringBuilder sb = new StringBuilder();
    for (JsonStreamContext c : chain) {
      if (c.inObject() && c.hasCurrentName()) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(c.getCurrentName());
      } else if (c.inArray() && c.hasCurrentIndex()) {
        sb.append('[').append(c.getCurrentIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "(top level)" : sb.toString();
  }

  private static String describe(JsonParser p, JsonToken t) throws IOException {
    if (t == null) {
      return "the end of the body";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "a list";
      case END_OBJECT -> "the end of an object";
      case END_ARRAY -> "the end of a list";
      case VALUE_STRING -> quote(p.getText());
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> truncate(p.getText());
      case VALUE_TRUE -> "true";
      case VALUE_FALSE -> "false";
      case VALUE_NULL -> "null";
      case FIELD_NAME -> "the field name " + quote(p.getText());
      default -> t.name();
    };
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder();
    Attributes.appendJsonString(sb, truncate(s));
    return sb.toString();
  }

  private static String truncate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  // ---- descriptor tables

  private static FieldTable table(Message prototype) {
    FieldTable t = TABLES.get(prototype.getDescriptorForType());
    if (t == null) {
      // Building a table never builds another, so computeIfAbsent cannot recurse into the map.
      t = TABLES.computeIfAbsent(prototype.getDescriptorForType(), d -> new FieldTable(prototype));
    }
    return t;
  }

  private enum Kind {
    MESSAGE,
    STRING,
    DOUBLE,
    FLOAT,
    INT64,
    UINT64,
    INT32,
    UINT32,
    BOOL,
    ENUM,
    ID,
    BYTES,
    UNSUPPORTED
  }

  /** The fields of one message type, by JSON name and by protobuf name. */
  private static final class FieldTable {
    final Map<String, FieldInfo> byName = new HashMap<>();

    FieldTable(Message prototype) {
      Message.Builder builder = prototype.newBuilderForType();
      for (FieldDescriptor fd : prototype.getDescriptorForType().getFields()) {
        FieldInfo info = new FieldInfo(fd, builder);
        byName.put(fd.getJsonName(), info);
        byName.put(fd.getName(), info);
      }
    }
  }

  private static final class FieldInfo {
    final FieldDescriptor fd;
    final Kind kind;
    final boolean repeated;
    final int idBytes;
    final Message childPrototype;
    private volatile FieldTable childTable;

    FieldInfo(FieldDescriptor fd, Message.Builder owner) {
      this.fd = fd;
      this.repeated = fd.isRepeated();
      this.kind = kindOf(fd);
      this.idBytes =
          switch (fd.getName()) {
            case "trace_id" -> 16;
            case "span_id", "parent_span_id" -> 8;
            default -> 0;
          };
      this.childPrototype =
          kind == Kind.MESSAGE ? owner.newBuilderForField(fd).getDefaultInstanceForType() : null;
    }

    FieldTable childTable() {
      FieldTable t = childTable;
      if (t == null) {
        t = table(childPrototype);
        childTable = t;
      }
      return t;
    }

    String idDescription() {
      return idBytes == 16
          ? "a trace id of 32 hex digits"
          : "a span id of 16 hex digits";
    }

    private static Kind kindOf(FieldDescriptor fd) {
      if (fd.isMapField()) {
        return Kind.UNSUPPORTED;
      }
      return switch (fd.getType()) {
        case MESSAGE, GROUP -> Kind.MESSAGE;
        case STRING -> Kind.STRING;
        case DOUBLE -> Kind.DOUBLE;
        case FLOAT -> Kind.FLOAT;
        case INT64, SINT64, SFIXED64 -> Kind.INT64;
        case UINT64, FIXED64 -> Kind.UINT64;
        case INT32, SINT32, SFIXED32 -> Kind.INT32;
        case UINT32, FIXED32 -> Kind.UINT32;
        case BOOL -> Kind.BOOL;
        case ENUM -> Kind.ENUM;
        case BYTES -> switch (fd.getName()) {
          case "trace_id", "span_id", "parent_span_id" -> Kind.ID;
          default -> Kind.BYTES;
        };
      };
    }
  }
}

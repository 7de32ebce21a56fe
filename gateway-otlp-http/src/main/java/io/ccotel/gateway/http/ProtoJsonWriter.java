package io.ccotel.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Writes the small messages the receiver answers with (Export*ServiceResponse, google.rpc.Status)
 * as OTLP/JSON: lowerCamelCase names, fields at their default value left out (so an empty
 * response is {@code {}}), 64-bit integers as strings, enums as numbers, trace and span ids as
 * hex, other bytes as base64. {@code google.protobuf.Any} fields are not written (the receiver puts
 * no details into a Status). Thread-safe.
 */
final class ProtoJsonWriter {
  private static final JsonFactory JSON = new JsonFactory();
  private static final HexFormat HEX = HexFormat.of();

  private ProtoJsonWriter() {}

  static byte[] toJson(Message message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writeMessage(g, message);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void writeMessage(JsonGenerator g, Message m) throws IOException {
    g.writeStartObject();
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      if (fd.getType() == FieldDescriptor.Type.MESSAGE
          && fd.getMessageType().getFullName().equals("google.protobuf.Any")) {
        continue;
      }
      g.writeFieldName(fd.getJsonName());
      if (fd.isRepeated()) {
        g.writeStartArray();
        for (Object v : (List<?>) e.getValue()) {
          writeValue(g, fd, v);
        }
        g.writeEndArray();
      } else {
        writeValue(g, fd, e.getValue());
      }
    }
    g.writeEndObject();
  }

  private static void writeValue(JsonGenerator g, FieldDescriptor fd, Object v) throws IOException {
    switch (fd.getType()) {
      case MESSAGE, GROUP -> writeMessage(g, (Message) v);
      case STRING -> g.writeString((String) v);
      case BOOL -> g.writeBoolean((Boolean) v);
      case INT32, SINT32, SFIXED32 -> g.writeNumber((Integer) v);
      case UINT32, FIXED32 -> g.writeNumber(Integer.toUnsignedLong((Integer) v));
      // proto3 JSON writes 64-bit integers as strings (a JavaScript number would lose digits).
      case INT64, SINT64, SFIXED64 -> g.writeString(Long.toString((Long) v));
      case UINT64, FIXED64 -> g.writeString(Long.toUnsignedString((Long) v));
      case DOUBLE, FLOAT -> {
        double d = ((Number) v).doubleValue();
        if (Double.isNaN(d)) {
          g.writeString("NaN");
        } else if (Double.isInfinite(d)) {
          g.writeString(d > 0 ? "Infinity" : "-Infinity");
        } else if (fd.getType() == FieldDescriptor.Type.FLOAT) {
          g.writeNumber((Float) v);
        } else {
          g.writeNumber(d);
        }
      }
      case ENUM -> g.writeNumber(((EnumValueDescriptor) v).getNumber());
      case BYTES -> {
        byte[] bytes = ((ByteString) v).toByteArray();
        switch (fd.getName()) {
          case "trace_id", "span_id", "parent_span_id" -> g.writeString(HEX.formatHex(bytes));
          default -> g.writeString(Base64.getEncoder().encodeToString(bytes));
        }
      }
    }
  }
}

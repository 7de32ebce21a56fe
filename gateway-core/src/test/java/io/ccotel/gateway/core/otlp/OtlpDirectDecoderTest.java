package io.ccotel.gateway.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.model.LogsBatch;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The direct logs reader maps exactly as protobuf parse + {@link OtlpProtoMapper}, or declines. */
class OtlpDirectDecoderTest {
  /** Direct result, or null when it declined. */
  private static LogsBatch direct(byte[] bytes) {
    try {
      return OtlpDirectDecoder.logs(bytes, 0, bytes.length);
    } catch (OtlpDirectDecoder.NotDirect e) {
      return null;
    }
  }

  private static LogsBatch viaMessages(byte[] bytes) throws InvalidProtocolBufferException {
    return OtlpProtoMapper.logs(ExportLogsServiceRequest.parseFrom(bytes));
  }

  private static void assertSame(byte[] bytes, String what) throws InvalidProtocolBufferException {
    LogsBatch d = direct(bytes);
    assertThat(d).as(what + ": decoded directly").isNotNull();
    assertThat(d).as(what).isEqualTo(viaMessages(bytes));
  }

  @Test
  void capturedLogRequestsDecodeAlike() throws IOException {
    Path root = Path.of(System.getProperty("fixtures.dir", "../src-test-fixtures/captures/claude-code"));
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(p -> p.getFileName().toString().matches("\\d{4}-(http|grpc)-logs\\.(bin|pb)"))
          .filter(p -> !p.toString().contains("http-json"))
          .filter(p -> p.toString().contains("grpc") == p.toString().endsWith(".pb"))
          .sorted().toList();
    }
    int checked = 0;
    for (Path f : files) {
      byte[] raw = Files.readAllBytes(f);
      if (raw.length > 1 && raw[0] == 0x1f && raw[1] == (byte) 0x8b) {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
          raw = in.readAllBytes();
        }
      }
      assertSame(raw, f.toString());
      LogsBatch batch = viaMessages(raw);
      // And through the durable codec: encode directly, decode directly.
      assertThat(BatchCodec.decode(BatchCodec.encode(batch))).isEqualTo(batch);
      checked++;
    }
    assertThat(checked).isGreaterThan(5);
  }

  @Test
  void randomizedBatchesDecodeAlike() throws IOException {
    Random rnd = new Random(42);
    for (int i = 0; i < 500; i++) {
      OtlpDirectEncoderTest.Gen g = new OtlpDirectEncoderTest.Gen(rnd);
      byte[] bytes = OtlpDirectEncoder.logs(g.logs());
      assertSame(bytes, "logs #" + i);
    }
  }

  /** What the encoders never write but a protobuf writer may: other field orders, unknown fields. */
  @Test
  void otherFieldOrdersAndUnknownFieldsDecodeAlike() throws IOException {
    KeyValue kv = KeyValue.newBuilder().setKey("k").setValue(AnyValue.newBuilder().setStringValue("v")).build();
    LogRecord rec = LogRecord.newBuilder().setTimeUnixNano(5).setSeverityNumberValue(-3).addAttributes(kv)
        .setBody(AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(AnyValue.getDefaultInstance())
            .addValues(AnyValue.newBuilder().setIntValue(7))))
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, (byte) 0xab}))
        .setUnknownFields(UnknownFieldSet.newBuilder()
            .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
            // A known field number with another wire type is an unknown field too.
            .addField(1, UnknownFieldSet.Field.newBuilder().addVarint(3).build())
            .build())
        .build();
    // Schema url before, scope after the records: written by hand, in that order.
    ByteArrayOutputStream scopeLogs = new ByteArrayOutputStream();
    CodedOutputStream c = CodedOutputStream.newInstance(scopeLogs);
    c.writeMessage(2, rec);
    c.writeMessage(2, LogRecord.newBuilder().setEventName("second").setBody(AnyValue.getDefaultInstance()).build());
    c.writeMessage(1, InstrumentationScope.newBuilder().setName("late scope").addAttributes(kv).build());
    c.writeString(3, "scope schema");
    c.flush();
    ByteArrayOutputStream resourceLogs = new ByteArrayOutputStream();
    c = CodedOutputStream.newInstance(resourceLogs);
    c.writeString(3, "https://schema");
    c.writeByteArray(2, scopeLogs.toByteArray());
    c.writeMessage(1, Resource.newBuilder().addAttributes(kv).setDroppedAttributesCount(4).build());
    c.writeUInt64(77, 123);
    c.flush();
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    c = CodedOutputStream.newInstance(request);
    c.writeByteArray(1, resourceLogs.toByteArray());
    c.writeMessage(1, ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.getDefaultInstance()).build());
    c.writeMessage(1, ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(LogRecord.getDefaultInstance())).build());
    c.flush();

    assertSame(request.toByteArray(), "hand-written");
    assertThat(direct(request.toByteArray()).records()).hasSize(3);
  }

  /** Protobuf merges a repeated singular message and keeps the last member of a oneof: declined, not guessed. */
  @Test
  void repeatedSingularMessagesAreDeclined() throws IOException {
    ByteArrayOutputStream rec = new ByteArrayOutputStream();
    CodedOutputStream c = CodedOutputStream.newInstance(rec);
    c.writeMessage(5, AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(
        AnyValue.newBuilder().setStringValue("a"))).build());
    c.writeMessage(5, AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(
        AnyValue.newBuilder().setStringValue("b"))).build());
    c.flush();
    byte[] bytes = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(
        ScopeLogs.newBuilder().addLogRecords(LogRecord.parseFrom(rec.toByteArray())))).build().toByteArray();
    // The builder above already merged; write the raw record twice by hand instead.
    ByteArrayOutputStream scope = new ByteArrayOutputStream();
    c = CodedOutputStream.newInstance(scope);
    c.writeByteArray(2, rec.toByteArray());
    c.flush();
    ByteArrayOutputStream rl = new ByteArrayOutputStream();
    c = CodedOutputStream.newInstance(rl);
    c.writeByteArray(2, scope.toByteArray());
    c.flush();
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    c = CodedOutputStream.newInstance(req);
    c.writeByteArray(1, rl.toByteArray());
    c.flush();

    assertThat(direct(req.toByteArray())).isNull();
    byte[] tagged = new byte[req.size() + 1];
    tagged[0] = 0x02;
    System.arraycopy(req.toByteArray(), 0, tagged, 1, req.size());
    // BatchCodec then takes the message path: both values, merged.
    assertThat(BatchCodec.decode(tagged)).isEqualTo(viaMessages(req.toByteArray())).isEqualTo(viaMessages(bytes));
  }

  /** Damaged bytes: the direct reader never returns something the message path would not. */
  @Test
  void mutatedBytesNeverDecodeDifferently() throws IOException {
    Random rnd = new Random(7);
    int declined = 0;
    for (int i = 0; i < 3000; i++) {
      OtlpDirectEncoderTest.Gen g = new OtlpDirectEncoderTest.Gen(rnd);
      g.receiverShaped = true;
      byte[] bytes = OtlpDirectEncoder.logs(g.logs());
      if (bytes.length == 0) {
        continue;
      }
      byte[] bad = Arrays.copyOf(bytes, rnd.nextInt(4) == 0 ? rnd.nextInt(bytes.length) : bytes.length);
      for (int j = rnd.nextInt(3) + 1; j > 0 && bad.length > 0; j--) {
        bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt();
      }
      LogsBatch d = direct(bad);
      LogsBatch m;
      try {
        m = viaMessages(bad);
      } catch (InvalidProtocolBufferException e) {
        assertThat(d).as("#" + i + ": protobuf refuses it, so must the direct reader").isNull();
        declined++;
        continue;
      }
      if (d == null) {
        declined++;
      } else {
        assertThat(d).as("#" + i).isEqualTo(m);
      }
    }
    assertThat(declined).isGreaterThan(0);
  }

  @Test
  void garbageThroughTheCodecIsStillIllegalArgument() {
    assertThatThrownBy(() -> BatchCodec.decode(new byte[] {0x02, (byte) 0xff, (byte) 0xff}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BatchCodec.decode(new byte[] {0x02, 0x0a, 0x05, 0x01}))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

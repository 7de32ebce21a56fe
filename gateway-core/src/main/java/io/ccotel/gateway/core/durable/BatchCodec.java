package io.ccotel.gateway.core.durable;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.otlp.OtlpDirectDecoder;
import io.ccotel.gateway.core.otlp.OtlpDirectEncoder;
import io.ccotel.gateway.core.otlp.OtlpModelToProto;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A {@link TelemetryBatch} as bytes, for the {@link DurableLog}: one tag byte naming the signal
 * (and the format version), then the OTLP export request of that signal in protobuf.
 *
 * <table>
 *   <caption>Tags</caption>
 *   <tr><td>{@code 0x01}</td><td>metrics: {@code ExportMetricsServiceRequest}</td></tr>
 *   <tr><td>{@code 0x02}</td><td>logs: {@code ExportLogsServiceRequest}</td></tr>
 *   <tr><td>{@code 0x03}</td><td>traces: {@code ExportTraceServiceRequest}</td></tr>
 * </table>
 *
 * <p>OTLP as the payload keeps the on-disk format stable and readable by any OTLP tool (strip the
 * first byte). {@code decode(encode(b)).equals(b)} for every batch the receivers produce; see
 * {@link OtlpModelToProto} for the few model states OTLP cannot express and how they are
 * normalised. A later format gets new tag values; old tags stay readable.
 *
 * <p>Stateless and thread-safe.
 */
public final class BatchCodec {
  static final byte TAG_METRICS = 0x01;
  static final byte TAG_LOGS = 0x02;
  static final byte TAG_TRACES = 0x03;

  private BatchCodec() {}

  /**
   * The batch as tag + protobuf bytes. Throws IllegalArgumentException for a non-hex trace/span id.
   *
   * <p>Written directly from the model by {@link OtlpDirectEncoder} (sizes first, then one
   * exact-size array with the tag at index 0): the same bytes as {@code OtlpModelToProto}'s message
   * {@code toByteArray()}, without building the message objects. Should the batch change while it
   * is encoded (it is immutable, but an attribute value of a foreign type could render differently
   * twice), the message path is used instead.
   */
  public static byte[] encode(TelemetryBatch batch) {
    // Java 17: no pattern switch over the sealed interface yet.
    byte[] out;
    try {
      if (batch instanceof MetricsBatch m) {
        out = OtlpDirectEncoder.metrics(m, 1);
        out[0] = TAG_METRICS;
      } else if (batch instanceof LogsBatch l) {
        out = OtlpDirectEncoder.logs(l, 1);
        out[0] = TAG_LOGS;
      } else {
        out = OtlpDirectEncoder.traces((TracesBatch) batch, 1);
        out[0] = TAG_TRACES;
      }
    } catch (OtlpDirectEncoder.InconsistentSizeException e) {
      return encodeWithMessages(batch);
    }
    return out;
  }

  /** The former encoder, through the protobuf message objects: same bytes, slower. */
  static byte[] encodeWithMessages(TelemetryBatch batch) {
    if (batch instanceof MetricsBatch m) {
      return withTag(TAG_METRICS, OtlpModelToProto.metrics(m));
    }
    if (batch instanceof LogsBatch l) {
      return withTag(TAG_LOGS, OtlpModelToProto.logs(l));
    }
    return withTag(TAG_TRACES, OtlpModelToProto.traces((TracesBatch) batch));
  }

  /**
   * The batch these bytes hold.
   *
   * @throws IllegalArgumentException when the bytes are not an encoded batch (unknown tag, bad
   *     protobuf); a reader should count and skip such a record, retrying will not help
   */
  public static TelemetryBatch decode(byte[] bytes) {
    Signal signal = signal(bytes);
    if (signal == Signal.LOGS) {
      // What drains read most (events to Loki): straight into the model, no message objects. Bytes
      // it does not handle alike (or invalid ones) take the message path below, for the exact
      // result or the exact error.
      try {
        return OtlpDirectDecoder.logs(bytes, 1, bytes.length - 1);
      } catch (OtlpDirectDecoder.NotDirect e) {
        // fall through
      }
    }
    return decodeWithMessages(signal, bytes);
  }

  /** The former decoder: protobuf parse into the message objects, then {@link OtlpProtoMapper}. */
  static TelemetryBatch decodeWithMessages(Signal signal, byte[] bytes) {
    try {
      return switch (signal) {
        case METRICS -> OtlpProtoMapper.metrics(
            ExportMetricsServiceRequest.parser().parseFrom(bytes, 1, bytes.length - 1));
        case LOGS -> OtlpProtoMapper.logs(
            ExportLogsServiceRequest.parser().parseFrom(bytes, 1, bytes.length - 1));
        case TRACES -> OtlpProtoMapper.traces(
            ExportTraceServiceRequest.parser().parseFrom(bytes, 1, bytes.length - 1));
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a valid encoded " + signal.id() + " batch", e);
    }
  }

  /**
   * The signal of an encoded batch, from its tag alone: a reader that takes one signal can skip the
   * others without decoding them.
   */
  public static Signal signal(byte[] bytes) {
    if (bytes.length == 0) {
      throw new IllegalArgumentException("empty record: not an encoded batch");
    }
    return switch (bytes[0]) {
      case TAG_METRICS -> Signal.METRICS;
      case TAG_LOGS -> Signal.LOGS;
      case TAG_TRACES -> Signal.TRACES;
      default -> throw new IllegalArgumentException(
          "unknown batch tag 0x" + Integer.toHexString(bytes[0] & 0xff) + " (written by a newer gateway?)");
    };
  }

  private static byte[] withTag(byte tag, MessageLite message) {
    int size = message.getSerializedSize();
    byte[] out = new byte[1 + size];
    out[0] = tag;
    CodedOutputStream cos = CodedOutputStream.newInstance(out, 1, size);
    try {
      message.writeTo(cos);
    } catch (IOException e) {
      // Writing into an array of the exact serialized size cannot fail.
      throw new UncheckedIOException(e);
    }
    cos.checkNoSpaceLeft();
    return out;
  }
}

package io.ccotel.gateway.core.durable;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
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

  /** The batch as tag + protobuf bytes. Throws IllegalArgumentException for a non-hex trace/span id. */
  public static byte[] encode(TelemetryBatch batch) {
    // Java 17: no pattern switch over the sealed interface yet.
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

package io.ccotel.gateway.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ccotel.gateway.core.durable.BatchCodec;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/**
 * Fuzzes the protobuf path of both receivers and the durable log: bytes → {@code
 * Export*ServiceRequest.parseFrom} → {@link OtlpProtoMapper} → {@link BatchCodec#encode} / {@link
 * BatchCodec#decode}. Only {@link InvalidProtocolBufferException} (from parseFrom) may be thrown;
 * anything else escapes and Jazzer reports it as a finding.
 *
 * <p>In a normal build (no {@code JAZZER_FUZZ}) each method only replays its seed corpus in
 * {@code src/test/resources/io/ccotel/gateway/core/fuzz/OtlpProtoRoundTripFuzzTestInputs/<method>/}
 * (captured Claude Code payloads) as regression tests. A long run (fuzzing mode runs one fuzz test
 * at a time):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-core test -Dtest=OtlpProtoRoundTripFuzzTest#metrics -Djazzer.max_duration=10m
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-core test -Dtest=OtlpProtoRoundTripFuzzTest#logs    -Djazzer.max_duration=10m
 * </pre>
 *
 * Findings land in the Inputs directory above as {@code crash-*} files and then replay in every
 * normal build.
 */
class OtlpProtoRoundTripFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void metrics(byte[] data) {
    ExportMetricsServiceRequest request;
    try {
      request = ExportMetricsServiceRequest.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    roundTrip(OtlpProtoMapper.metrics(request));
  }

  @FuzzTest(maxDuration = "30s")
  void logs(byte[] data) {
    ExportLogsServiceRequest request;
    try {
      request = ExportLogsServiceRequest.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    roundTrip(OtlpProtoMapper.logs(request));
  }

  private static void roundTrip(TelemetryBatch batch) {
    byte[] encoded = BatchCodec.encode(batch);
    TelemetryBatch decoded = BatchCodec.decode(encoded);
    if (decoded.itemCount() != batch.itemCount()) {
      throw new AssertionError("round trip changed the item count: " + batch.itemCount() + " -> " + decoded.itemCount());
    }
    // decode(encode(b)) is stable: encoding again gives the same bytes.
    byte[] again = BatchCodec.encode(decoded);
    if (!java.util.Arrays.equals(encoded, again)) {
      throw new AssertionError("BatchCodec round trip is not stable");
    }
  }
}

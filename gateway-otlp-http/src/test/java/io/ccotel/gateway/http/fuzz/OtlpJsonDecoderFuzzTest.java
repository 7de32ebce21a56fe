package io.ccotel.gateway.http.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.ccotel.gateway.http.OtlpDecodeException;
import io.ccotel.gateway.http.OtlpJsonDecoder;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import org.junit.jupiter.api.Disabled;

/**
 * Fuzzes {@link OtlpJsonDecoder}: for any bytes, {@code metrics(byte[])} / {@code logs(byte[])}
 * either return a message or throw {@link OtlpDecodeException}; anything else (a
 * StackOverflowError, a Jackson exception, an IllegalArgumentException...) is a finding. What it
 * accepts must also be forwardable as protobuf (the decoder's documented promise): serialising and
 * re-parsing with protobuf's default recursion limit must work.
 *
 * <p>In a normal build (no {@code JAZZER_FUZZ}) each method replays only its seed corpus in
 * {@code src/test/resources/io/ccotel/gateway/http/fuzz/OtlpJsonDecoderFuzzTestInputs/<method>/}
 * (captured Claude Code OTLP/JSON bodies). A long run (fuzzing mode takes one fuzz test at a time):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-otlp-http test -Dtest=OtlpJsonDecoderFuzzTest#metrics -Djazzer.max_duration=10m
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-otlp-http test -Dtest=OtlpJsonDecoderFuzzTest#logs    -Djazzer.max_duration=10m
 * </pre>
 *
 * <p>Known finding (see {@link #knownCrashes}): fuzzing mode re-finds it within seconds until it is
 * fixed, so a long run stops early at that crash.
 */
class OtlpJsonDecoderFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void metrics(byte[] data) throws InvalidProtocolBufferException {
    ExportMetricsServiceRequest m;
    try {
      m = OtlpJsonDecoder.metrics(data);
    } catch (OtlpDecodeException e) {
      return;
    }
    reparse(m, ExportMetricsServiceRequest.parser()::parseFrom);
  }

  @FuzzTest(maxDuration = "30s")
  void logs(byte[] data) throws InvalidProtocolBufferException {
    ExportLogsServiceRequest m;
    try {
      m = OtlpJsonDecoder.logs(data);
    } catch (OtlpDecodeException e) {
      return;
    }
    reparse(m, ExportLogsServiceRequest.parser()::parseFrom);
  }

  /**
   * Findings of the fuzzing sessions, kept as regression inputs in {@code
   * OtlpJsonDecoderFuzzTestInputs/knownCrashes/}: a numeric string whose exponent does not fit an
   * int (e.g. {@code "timeUnixNano":"1e9999999999"}) passes {@code isDecimalNumber} and then makes
   * {@code new BigDecimal(s)} in {@code OtlpJsonDecoder.readLong} throw NumberFormatException,
   * which escapes the decoder (the receiver answers 500 instead of 400). The unquoted number ({@code
   * "timeUnixNano":1e9999999999}, {@code "droppedAttributesCount":222222222222222222e2222222222})
   * fails the same way in readLong's {@code p.getDecimalValue()} ("Exponent overflow"). Enable once
   * fixed.
   */
  @FuzzTest
  void knownCrashes(byte[] data) throws InvalidProtocolBufferException {
    metrics(data);
    logs(data);
  }

  interface Parse {
    Message parse(byte[] b) throws InvalidProtocolBufferException;
  }

  private static void reparse(Message m, Parse parser) throws InvalidProtocolBufferException {
    Message again = parser.parse(m.toByteArray());
    if (!again.equals(m)) {
      throw new AssertionError("protobuf round trip changed the decoded message");
    }
  }
}

package io.ccotel.gateway.testkit.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.util.JsonFormat;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The captured CLI log requests of a run, decoded to the gateway's model: protobuf bodies (HTTP,
 * gzip undone, and gRPC messages) with {@link OtlpProtoMapper}; OTLP/JSON bodies with
 * protobuf-java-util's JsonFormat after turning OTLP/JSON's hex trace and span ids into the base64
 * JsonFormat expects (gateway-otlp-http's own decoder is not a dependency of this module).
 */
final class Captures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Captures() {}

  /** Every logs request of the run, in order. */
  static List<LogsBatch> logs(String folder) {
    List<LogsBatch> out = new ArrayList<>();
    for (CapturedRequest r : Fixtures.run(folder)) {
      if (r.signal() == Signal.LOGS) {
        out.add(OtlpProtoMapper.logs(request(r)));
      }
    }
    return out;
  }

  /** All log records of the run as one batch. */
  static LogsBatch allLogs(String folder) {
    List<LogRecord> records = new ArrayList<>();
    logs(folder).forEach(b -> records.addAll(b.records()));
    return new LogsBatch(records);
  }

  private static ExportLogsServiceRequest request(CapturedRequest r) {
    try {
      byte[] body = r.body();
      if (r.gzip() && r.transport().equals("http")) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
          body = in.readAllBytes();
        }
      }
      if (!r.isJson()) {
        return ExportLogsServiceRequest.parseFrom(body);
      }
      JsonNode tree = JSON.readTree(body);
      hexIdsToBase64(tree);
      ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(JSON.writeValueAsString(tree), b);
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + r, e);
    }
  }

  private static void hexIdsToBase64(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if ((f.getKey().equals("traceId") || f.getKey().equals("spanId")) && f.getValue().isTextual()) {
          byte[] id = HexFormat.of().parseHex(f.getValue().textValue());
          f.setValue(o.textNode(Base64.getEncoder().encodeToString(id)));
        } else {
          hexIdsToBase64(f.getValue());
        }
      }
    } else if (node != null && node.isArray()) {
      node.forEach(Captures::hexIdsToBase64);
    }
  }
}

package io.ccotel.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.otlp.OtlpProtoMapper;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.nio.ByteBuffer;

/** The three OTLP/HTTP paths and what each one carries. */
enum OtlpRoute {
  METRICS("/v1/metrics", Signal.METRICS, ExportMetricsServiceRequest.getDefaultInstance()),
  LOGS("/v1/logs", Signal.LOGS, ExportLogsServiceRequest.getDefaultInstance()),
  TRACES("/v1/traces", Signal.TRACES, ExportTraceServiceRequest.getDefaultInstance());

  static final String PATHS = "/v1/metrics, /v1/logs and /v1/traces";

  private final String path;
  private final Signal signal;
  private final Message prototype;

  OtlpRoute(String path, Signal signal, Message prototype) {
    this.path = path;
    this.signal = signal;
    this.prototype = prototype;
  }

  String path() {
    return path;
  }

  Signal signal() {
    return signal;
  }

  /** The empty request of this path (also what an empty body means). */
  Message prototype() {
    return prototype;
  }

  /**
   * The route of a request target, or null. Ignores a query string or fragment and one trailing
   * slash, and accepts the absolute form ({@code http://host:4318/v1/metrics}) that proxies send.
   */
  static OtlpRoute forUri(String uri) {
    String p = uri;
    int cut = indexOfAny(p, '?', '#');
    if (cut >= 0) {
      p = p.substring(0, cut);
    }
    if (p.startsWith("http://") || p.startsWith("https://")) {
      int slash = p.indexOf('/', p.indexOf("//") + 2);
      p = slash < 0 ? "/" : p.substring(slash);
    }
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return switch (p) {
      case "/v1/metrics" -> METRICS;
      case "/v1/logs" -> LOGS;
      case "/v1/traces" -> TRACES;
      default -> null;
    };
  }

  Message parseProtobuf(ByteBuffer body) throws InvalidProtocolBufferException {
    // Protobuf copies bytes and strings out of the buffer (no aliasing), so the caller may release
    // the buffer once this returns.
    return switch (this) {
      case METRICS -> ExportMetricsServiceRequest.parseFrom(body);
      case LOGS -> ExportLogsServiceRequest.parseFrom(body);
      case TRACES -> ExportTraceServiceRequest.parseFrom(body);
    };
  }

  TelemetryBatch toBatch(Message request) {
    return switch (this) {
      case METRICS -> OtlpProtoMapper.metrics((ExportMetricsServiceRequest) request);
      case LOGS -> OtlpProtoMapper.logs((ExportLogsServiceRequest) request);
      case TRACES -> OtlpProtoMapper.traces((ExportTraceServiceRequest) request);
    };
  }

  private static int indexOfAny(String s, char a, char b) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == a || c == b) {
        return i;
      }
    }
    return -1;
  }
}

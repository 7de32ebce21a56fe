package io.ccotel.gateway.bench;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What a load run sends: the protocol, the signal, the request size, and a pool of pre-encoded
 * request bodies (encoding during the run would take CPU from the gateway on the same machine).
 *
 * <p>The metrics pool holds more distinct data points than the Prometheus exporter remembers for
 * retry detection (5 x max_series = 500,000 with the defaults), so cycling through it never sends
 * what the gateway would drop as a client retry: every point is added, as real traffic's would be.
 */
public record Workload(Protocol protocol, Signal signal, int itemsPerRequest, ClaudeCodeTraffic.Shape shape, int poolItems) {
  public enum Protocol {
    GRPC("gRPC"),
    HTTP_PROTOBUF("HTTP protobuf"),
    HTTP_JSON("HTTP JSON");

    public final String label;

    Protocol(String label) {
      this.label = label;
    }

    public static Protocol parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "grpc" -> GRPC;
        case "http-protobuf", "http/protobuf", "protobuf" -> HTTP_PROTOBUF;
        case "http-json", "http/json", "json" -> HTTP_JSON;
        default -> throw new IllegalArgumentException("protocol: grpc, http-protobuf or http-json, not " + s);
      };
    }
  }

  public enum Signal {
    METRICS("points"),
    LOGS("records");

    public final String unit;

    Signal(String unit) {
      this.unit = unit;
    }
  }

  /** One request body and the items (points or records) in it. */
  public record Payload(byte[] body, int items) {}

  /** Pre-encoded bodies, built on all cores. */
  public List<Payload> pool() {
    int requests = Math.max(1, (poolItems + itemsPerRequest - 1) / itemsPerRequest);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Payload>>> parts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int stream = t;
        int count = requests / threads + (t < requests % threads ? 1 : 0);
        parts.add(pool.submit(() -> build(stream, count)));
      }
      List<Payload> out = new ArrayList<>(requests);
      for (Future<List<Payload>> f : parts) {
        out.addAll(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdown();
    }
  }

  private List<Payload> build(int stream, int count) {
    ClaudeCodeTraffic traffic = new ClaudeCodeTraffic(shape, stream);
    List<Payload> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (signal == Signal.METRICS) {
        ExportMetricsServiceRequest req = traffic.metrics(itemsPerRequest);
        byte[] body = protocol == Protocol.HTTP_JSON ? OtlpJsonWriter.metrics(req) : req.toByteArray();
        out.add(new Payload(body, ClaudeCodeTraffic.points(req)));
      } else {
        ExportLogsServiceRequest req = traffic.logs(itemsPerRequest, 10);
        byte[] body = protocol == Protocol.HTTP_JSON ? OtlpJsonWriter.logs(req) : req.toByteArray();
        out.add(new Payload(body, ClaudeCodeTraffic.records(req)));
      }
    }
    return out;
  }

  public String describe() {
    return protocol.label + " " + signal.name().toLowerCase(Locale.ROOT) + ", " + itemsPerRequest + " " + signal.unit + "/request";
  }
}

package io.ccotel.gateway.bench.jmh;

import io.ccotel.gateway.bench.ClaudeCodeTraffic;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.testkit.CapturedRequest;
import io.ccotel.gateway.testkit.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** Captured Claude Code request bodies (uncompressed), by signal and encoding. */
final class Payloads {
  private Payloads() {}

  static final ClaudeCodeTraffic.Shape SHAPE = ClaudeCodeTraffic.Shape.defaults();

  /** Every captured request of the signal: protobuf (HTTP and gRPC) or JSON bodies, gunzipped. */
  static List<byte[]> captured(Signal signal, boolean json) {
    List<byte[]> out = new ArrayList<>();
    for (String protocol : json ? List.of("http-json") : List.of("http-protobuf", "grpc")) {
      Path dir = Fixtures.root().resolve(protocol);
      try (Stream<Path> runs = Files.list(dir)) {
        for (Path run : runs.filter(Files::isDirectory).sorted().toList()) {
          for (CapturedRequest r : Fixtures.run(protocol + "/" + run.getFileName())) {
            if (r.signal() == signal) {
              out.add(r.gzip() && !r.transport().equals("grpc") ? gunzip(r.body()) : r.body());
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("no captured " + signal.id() + " payloads under " + Fixtures.root());
    }
    return out;
  }

  static byte[] gunzip(byte[] gz) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

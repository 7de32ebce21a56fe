package io.ccotel.gateway.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.Signal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One request captured from the real CLI: the raw body as received, the headers of its sidecar
 * JSON, and for gRPC the protobuf message without the 5-byte frame header (the {@code .pb} file,
 * already inflated when the frame was compressed).
 *
 * @param body HTTP: the raw body (gzip when {@code Content-Encoding: gzip}); gRPC: the message
 */
public record CapturedRequest(
    String name, String transport, Signal signal, String path, Map<String, String> headers, byte[] body) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static CapturedRequest load(Path bin) {
    String file = bin.getFileName().toString();
    String[] parts = file.substring(0, file.length() - ".bin".length()).split("-");
    String transport = parts[1];
    Signal signal = Signal.fromId(parts[2]);
    try {
      JsonNode sidecar = JSON.readTree(bin.resolveSibling(file.replace(".bin", ".json")).toFile());
      Map<String, String> headers = new LinkedHashMap<>();
      sidecar.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
      byte[] body =
          transport.equals("grpc")
              ? Files.readAllBytes(bin.resolveSibling(file.replace(".bin", ".pb")))
              : Files.readAllBytes(bin);
      String name = bin.getParent().getParent().getFileName() + "/" + bin.getParent().getFileName() + "/" + file;
      return new CapturedRequest(name, transport, signal, sidecar.path("path").asText(), Map.copyOf(headers), body);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read fixture " + bin, e);
    }
  }

  public String header(String name) {
    return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
  }

  public String contentType() {
    return header("content-type");
  }

  /** gzip when the CLI compressed the body (HTTP Content-Encoding or gRPC grpc-encoding). */
  public boolean gzip() {
    return header("content-encoding").equals("gzip") || header("grpc-encoding").equals("gzip");
  }

  public boolean isJson() {
    return contentType().startsWith("application/json");
  }

  @Override
  public String toString() {
    return name;
  }
}

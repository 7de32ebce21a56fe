package io.ccotel.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The gRPC calls the Claude Code CLI made, as captured in {@code fixtures/claude-code/grpc/<scenario>}:
 * {@code NNNN-grpc-<signal>.bin} is the request body on the wire (one gRPC frame: compressed flag,
 * length, message), {@code .pb} the message uncompressed, {@code .json} the headers.
 */
record CapturedCalls(String scenario, List<Call> calls) {
  private static final Pattern FILE = Pattern.compile("(\\d{4})-grpc-(metrics|logs|traces)\\.bin");
  private static final Pattern AUTHORIZATION = Pattern.compile("\"authorization\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern GRPC_ENCODING = Pattern.compile("\"grpc-encoding\"\\s*:\\s*\"([^\"]*)\"");

  /** One call: the frame's message bytes exactly as sent, and whether they are gzip data. */
  record Call(String name, String signal, String fullMethod, byte[] wireMessage, boolean compressed, String authorization) {}

  /**
   * The system property {@code fixtures.dir} (set by the parent POM), else the project's copy in
   * {@code src-test-fixtures/captures}, else the team's {@code shared/fixtures}, relative to this
   * module's directory.
   */
  static Path fixturesDir() {
    String prop = System.getProperty("fixtures.dir");
    Path dir =
        Stream.of(prop, "../src-test-fixtures/captures/claude-code", "../../shared/fixtures/claude-code")
            .filter(p -> p != null && Files.isDirectory(Path.of(p, "grpc")))
            .map(Path::of)
            .findFirst()
            .orElse(Path.of(prop != null ? prop : "../../shared/fixtures/claude-code"));
    assertThat(dir.resolve("grpc")).as("fixtures (system property fixtures.dir)").isDirectory();
    return dir;
  }

  static CapturedCalls load(String scenario) {
    Path dir = fixturesDir().resolve("grpc").resolve(scenario);
    try (Stream<Path> files = Files.list(dir)) {
      List<Call> calls =
          files
              .filter(p -> FILE.matcher(p.getFileName().toString()).matches())
              .sorted()
              .map(CapturedCalls::call)
              .toList();
      assertThat(calls).as("captured calls in " + dir).isNotEmpty();
      return new CapturedCalls(scenario, calls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Call call(Path bin) {
    try {
      String file = bin.getFileName().toString();
      Matcher m = FILE.matcher(file);
      assertThat(m.matches()).isTrue();
      String signal = m.group(2);
      String base = file.substring(0, file.length() - ".bin".length());
      byte[] frame = Files.readAllBytes(bin);
      String sidecar = Files.readString(bin.resolveSibling(base + ".json"), StandardCharsets.UTF_8);
      boolean flag = frame[0] == 1;
      int length =
          ((frame[1] & 0xff) << 24) | ((frame[2] & 0xff) << 16) | ((frame[3] & 0xff) << 8) | (frame[4] & 0xff);
      assertThat(frame.length).as(file + ": exactly one frame").isEqualTo(5 + length);
      byte[] message = Arrays.copyOfRange(frame, 5, frame.length);
      Matcher enc = GRPC_ENCODING.matcher(sidecar);
      assertThat(enc.find() && enc.group(1).equals("gzip")).as(file + ": grpc-encoding vs flag").isEqualTo(flag);
      if (!flag) {
        assertThat(message).as(file + ": frame message equals .pb").isEqualTo(Files.readAllBytes(bin.resolveSibling(base + ".pb")));
      }
      Matcher auth = AUTHORIZATION.matcher(sidecar);
      String fullMethod =
          switch (signal) {
            case "metrics" -> GrpcHarness.METRICS_EXPORT;
            case "logs" -> GrpcHarness.LOGS_EXPORT;
            default -> GrpcHarness.TRACES_EXPORT;
          };
      assertThat(sidecar).contains("\"path\": \"/" + fullMethod + "\"");
      return new Call(base, signal, fullMethod, message, flag, auth.find() ? auth.group(1) : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

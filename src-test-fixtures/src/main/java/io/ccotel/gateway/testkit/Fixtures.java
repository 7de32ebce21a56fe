package io.ccotel.gateway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the captured Claude Code payloads are: the system property {@code fixtures.dir} (the
 * parent POM points it at the copy in {@code src-test-fixtures/captures/claude-code}), else that
 * copy or the team's {@code shared/fixtures/claude-code}, found by walking up from the working
 * directory.
 */
public final class Fixtures {
  private Fixtures() {}

  public static Path root() {
    String prop = System.getProperty("fixtures.dir");
    if (prop != null && Files.isDirectory(Paths.get(prop))) {
      return Paths.get(prop).toAbsolutePath().normalize();
    }
    Path dir = Paths.get("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      Path copy = p.resolve("src-test-fixtures/captures/claude-code");
      if (Files.isDirectory(copy)) {
        return copy;
      }
      Path candidate = p.resolve("shared/fixtures/claude-code");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
      Path sibling = p.resolveSibling("shared").resolve("fixtures/claude-code");
      if (Files.isDirectory(sibling)) {
        return sibling;
      }
    }
    throw new IllegalStateException(
        "captured fixtures not found: set -Dfixtures.dir or keep ../shared/fixtures/claude-code beside the project");
  }

  /** The captured requests of one run folder such as {@code http-protobuf/basic}, in arrival order. */
  public static List<CapturedRequest> run(String folder) {
    Path dir = root().resolve(folder);
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().matches("\\d{4}-(http|grpc)-(metrics|logs|traces)\\.bin"))
          .sorted()
          .map(CapturedRequest::load)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  public static byte[] read(String relative) {
    try {
      return Files.readAllBytes(root().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

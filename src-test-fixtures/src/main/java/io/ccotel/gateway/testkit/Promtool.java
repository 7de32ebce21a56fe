package io.ccotel.gateway.testkit;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code promtool check metrics} (Debian package {@code prometheus}) on an exposition. Without
 * promtool the calling test is skipped with a message saying how to install it, except under
 * {@code CI=true}, where a missing promtool is a failure.
 */
public final class Promtool {
  private Promtool() {}

  public record Result(int exitCode, String output) {}

  public static String binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(dir, "promtool");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("promtool is not installed, and CI=true: .ci/run must install it (apt-get install -y prometheus)");
    }
    Assumptions.abort("promtool not found: install it with 'apt-get install -y prometheus' to run this test");
    return null;
  }

  public static Result checkMetrics(String exposition) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(binary(), "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(exposition.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("promtool did not finish in 30 s");
    }
    return new Result(p.exitValue(), out);
  }
}

package io.ccotel.gateway.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
    ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
    System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
    try {
      // Built after System.out/err are swapped: picocli binds its writers to them.
      CommandLine cl = Main.commandLine();
      int exit = cl.execute(args);
      cl.getOut().flush();
      cl.getErr().flush();
      return new Run(exit, sysOut.toString(StandardCharsets.UTF_8), sysErr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void helpListsTheCommandsAndHowToPointClaudeCodeHere() {
    Run r = run("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains("Usage: gateway")
        .contains("run")
        .contains("validate-config")
        .contains("OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317");
  }

  @Test
  void versionPrintsTheGatewayVersion() {
    Run r = run("--version");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("gateway ");
  }

  @Test
  void validateConfigAcceptsTheShippedFile() {
    Run r = run("validate-config", "../config/gateway.yaml");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains("../config/gateway.yaml: valid")
        .contains("pipeline metrics -> prometheus, console")
        .contains("pipeline logs -> console");
  }

  @Test
  void validateConfigRefusesABadFileWithExit2AndTheKey() {
    Run r = run("validate-config", "src/test/resources/config/receiver-typo.yaml");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("src/test/resources/config/receiver-typo.yaml: invalid: receivers.otlp_grpc.endpiont: unknown key");
  }

  @Test
  void runWithABadConfigExits2() {
    Run r = run("run", "--config", "src/test/resources/config/bad-duration.yaml");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("gateway: invalid configuration: queue.retry_after");
  }
}

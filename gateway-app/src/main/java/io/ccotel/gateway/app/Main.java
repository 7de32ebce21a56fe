package io.ccotel.gateway.app;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.model.Signal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code gateway} command line. */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    usageHelpWidth = 100,
    description = {
      "Telemetry gateway for the Claude Code CLI: receives OTLP (gRPC 4317, HTTP 4318), "
          + "serves exact Prometheus counters on :9464/metrics and prints events to the console.",
      "",
      "Point Claude Code at it with:",
      "  export CLAUDE_CODE_ENABLE_TELEMETRY=1 OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp",
      "  export OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
      "  export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317",
      "(or OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf with http://localhost:4318)",
      ""
    },
    subcommands = {Main.Run.class, Main.ValidateConfig.class, CommandLine.HelpCommand.class},
    footer = {"", "With no command, 'gateway' is 'gateway run' with the built-in defaults."})
public final class Main implements Callable<Integer> {
  /** Exit code for a configuration that does not load. */
  static final int EXIT_BAD_CONFIG = 2;

  @Override
  public Integer call() throws Exception {
    return new Run().call();
  }

  public static void main(String[] args) {
    // grpc-java logs through java.util.logging: send it to the same place as everything else.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the gateway until SIGTERM or Ctrl-C.")
  static final class Run implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger("gateway");

    @Option(
        names = {"-c", "--config"},
        paramLabel = "FILE",
        description = "YAML configuration (see config/gateway.yaml). Without it: the defaults (4317, 4318, :9464/metrics, console).")
    Path config;

    @Override
    public Integer call() throws Exception {
      GatewayConfig cfg;
      try {
        ConfigLoader loader = ConfigLoader.withSystemEnv();
        cfg = config == null ? loader.defaults() : loader.load(config);
      } catch (ConfigException e) {
        System.err.println("gateway: invalid configuration: " + e.getMessage());
        return EXIT_BAD_CONFIG;
      }
      log.info("Starting Claude Code telemetry gateway {} ({})", Version.version(), config == null ? "built-in defaults" : "config " + config);
      Gateway gateway;
      try {
        gateway = new Gateway(cfg, Clock.systemUTC());
      } catch (ConfigException e) {
        System.err.println("gateway: invalid configuration: " + e.getMessage());
        return EXIT_BAD_CONFIG;
      }
      // SIGTERM / SIGINT run the JVM's shutdown hooks: ours stops intake, flushes the queues, and
      // then halts with 0, so a clean stop is not reported as a failure (a JVM ended by SIGTERM
      // would exit 143). halt() skips nothing of ours: no other hook holds data.
      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook =
          new Thread(
              () -> {
                gateway.shutdown(cfg.shutdownTimeout());
                stopped.countDown();
                System.out.flush();
                System.err.flush();
                Runtime.getRuntime().halt(0);
              },
              "gateway-shutdown");
      try {
        gateway.start();
      } catch (Exception e) {
        log.error("Gateway failed to start: {}", e.getMessage(), e);
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(hook);
      stopped.await();
      return 0;
    }
  }

  @Command(
      name = "validate-config",
      mixinStandardHelpOptions = true,
      description = "Check a configuration file and print what it sets up; exit 0 when valid, 2 when not.")
  static final class ValidateConfig implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the YAML file to check")
    Path file;

    @Override
    public Integer call() {
      PrintWriter out = new PrintWriter(System.out, true);
      try {
        GatewayConfig cfg = ConfigLoader.withSystemEnv().load(file);
        // Building the components checks the wiring too (which exporter takes which signal).
        new Gateway(cfg, Clock.systemUTC());
        out.println(file + ": valid");
        for (GatewayConfig.ReceiverSpec r : cfg.receivers()) {
          out.println("  receiver " + r.type() + ": " + r.config());
        }
        for (GatewayConfig.ExporterSpec e : cfg.exporters().values()) {
          out.println("  exporter " + e.id() + ": " + e.config());
        }
        for (Signal s : Signal.values()) {
          List<String> ids = cfg.pipelines().get(s);
          out.println("  pipeline " + s.id() + " -> " + (ids == null || ids.isEmpty() ? "(dropped)" : String.join(", ", ids)));
        }
        GatewayConfig.DurabilitySpec d = cfg.durability();
        out.println("  durability: " + (d.enabled()
            ? "on, log in " + d.config().dir() + ", fsync " + d.config().fsync().name().toLowerCase(java.util.Locale.ROOT)
                + ", at most " + d.config().maxBytes() + " bytes"
            : "off (acknowledged data is held in memory until exported)"));
        return 0;
      } catch (ConfigException e) {
        System.err.println(file + ": invalid: " + e.getMessage());
        return EXIT_BAD_CONFIG;
      }
    }
  }

  /** The version from the jar manifest (Implementation-Version), or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    static String version() {
      String v = Main.class.getPackage().getImplementationVersion();
      return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
      return new String[] {"gateway " + version(), "Java " + System.getProperty("java.version")};
    }
  }
}

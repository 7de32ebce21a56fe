package io.ccotel.gateway.exporters.console;

import io.ccotel.gateway.core.config.ConfigNode;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of the console exporter, the YAML section {@code exporters.console} (or {@code
 * exporters.console/<name>}).
 *
 * @param format {@code format} (default {@code text}): {@code text} prints one readable line per
 *     event, a summary line per metrics batch and one line per span; {@code json} prints one JSON
 *     object per log record, metric data point and span, one per line.
 * @param output {@code output} (default {@code stdout}): {@code stdout} or {@code stderr}.
 */
public record ConsoleExporterConfig(Format format, Output output) {
  /** How items are printed. */
  public enum Format {
    TEXT,
    JSON
  }

  /** Where items are printed. */
  public enum Output {
    STDOUT,
    STDERR
  }

  static final Set<String> KEYS = Set.of("format", "output");

  private static final ConsoleExporterConfig DEFAULTS =
      new ConsoleExporterConfig(Format.TEXT, Output.STDOUT);

  public ConsoleExporterConfig {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(output, "output");
  }

  public static ConsoleExporterConfig defaults() {
    return DEFAULTS;
  }

  /** Reads the YAML section; errors name the key ({@code exporters.console.format: ...}). */
  public static ConsoleExporterConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    String format = node.oneOf("format", "text", "text", "json");
    String output = node.oneOf("output", "stdout", "stdout", "stderr");
    return new ConsoleExporterConfig(
        Format.valueOf(format.toUpperCase(Locale.ROOT)), Output.valueOf(output.toUpperCase(Locale.ROOT)));
  }
}

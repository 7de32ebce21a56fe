/**
 * The console exporter: a readable line per Claude Code event, a summary line per metrics batch
 * and a line per span, or JSON Lines. See {@link
 * io.ccotel.gateway.exporters.console.ConsoleExporter}.
 */
package io.ccotel.gateway.exporters.console;

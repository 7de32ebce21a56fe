package io.ccotel.gateway.core.durable;

/**
 * When the {@link DurableLog} asks the operating system to put written records on the disk
 * ({@code fsync}), and so what an acknowledged append survives.
 *
 * <table>
 *   <caption>What an acknowledged record survives</caption>
 *   <tr><th>policy</th><th>gateway crash (kill -9, OOM)</th><th>OS crash / power failure</th><th>append latency</th></tr>
 *   <tr><td>{@link #ALWAYS}</td><td>yes</td><td>yes</td><td>write + fsync (shared by a group)</td></tr>
 *   <tr><td>{@link #INTERVAL}</td><td>yes</td><td>all but the last {@code fsync_interval}</td><td>write only</td></tr>
 *   <tr><td>{@link #NEVER}</td><td>yes</td><td>all but what the OS had not yet written back (~30 s on Linux)</td><td>write only</td></tr>
 * </table>
 *
 * <p>A process crash loses nothing under any policy: once {@code write} returned, the record is in
 * the kernel's page cache and reaches the disk without the process. Only the kernel going away
 * (panic, power, a VM killed hard) separates the policies.
 */
public enum FsyncPolicy {
  /**
   * fsync before an append returns, and before readers see the record. Nothing acknowledged is
   * lost even on power failure. The highest latency per append (one fsync, typically 0.1-10 ms
   * depending on the disk), but group commit shares one write and one fsync among all appends
   * waiting at that moment, so throughput grows with the number of concurrent appenders.
   * Readers only ever see durable records, so an exporter can never apply a record that a crash
   * then takes back (what makes the Prometheus replay exact).
   */
  ALWAYS,
  /**
   * Return after the write; a writer-side timer fsyncs at least every {@code fsync_interval}
   * (default 200 ms) while there is unsynced data, and at every segment roll. An OS crash or
   * power failure may lose the records of the last interval, a process crash loses nothing.
   * Throughput close to NEVER.
   */
  INTERVAL,
  /**
   * Never fsync while running (only at close); the kernel writes dirty
   * pages back on its own schedule. Same guarantee as INTERVAL for a process crash; on power
   * failure the loss is bounded only by the kernel's writeback settings.
   */
  NEVER
}

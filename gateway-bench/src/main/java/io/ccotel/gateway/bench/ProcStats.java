package io.ccotel.gateway.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A process's CPU time and resident memory from Linux {@code /proc}: CPU as {@code utime + stime}
 * of {@code /proc/<pid>/stat} (clock ticks, {@code getconf CLK_TCK}, 100 on Linux), RSS as {@code
 * VmRSS} of {@code /proc/<pid>/status}.
 */
final class ProcStats {
  private static final long CLK_TCK = clockTicks();

  private ProcStats() {}

  /** CPU time used so far (user + system), in nanoseconds; -1 when unreadable. */
  static long cpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
      return ticks * 1_000_000_000L / CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU time used so far by each JIT compiler thread ({@code C1 CompilerThre...}, {@code C2
   * CompilerThre...} in {@code /proc/<pid>/task/<tid>/comm}), in nanoseconds by thread id; empty
   * when unreadable. Compiler threads come and go with the JIT's load, so compare two snapshots
   * with {@link #jitDeltaNanos}, not their sums.
   */
  static java.util.Map<Long, Long> jitCpu(long pid) {
    java.util.Map<Long, Long> out = new java.util.HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          String comm = Files.readString(t.resolve("comm"), StandardCharsets.US_ASCII).trim();
          if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
            String stat = Files.readString(t.resolve("stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            out.put(Long.parseLong(t.getFileName().toString()), ticks * 1_000_000_000L / CLK_TCK);
          }
        } catch (IOException | RuntimeException e) {
          // thread gone
        }
      }
    } catch (IOException e) {
      // process gone
    }
    return out;
  }

  /**
   * JIT CPU between two snapshots: growth of the threads in both, plus all of the threads that
   * started in between (a thread that ended in between is missed: at most its last interval).
   */
  static long jitDeltaNanos(java.util.Map<Long, Long> before, java.util.Map<Long, Long> after) {
    long sum = 0;
    for (java.util.Map.Entry<Long, Long> e : after.entrySet()) {
      Long b = before.get(e.getKey());
      sum += b == null ? e.getValue() : Math.max(0, e.getValue() - b);
    }
    return sum;
  }

  /** Resident set size in bytes; -1 when unreadable. */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          String[] p = line.substring(6).trim().split("\\s+");
          return Long.parseLong(p[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }

  /**
   * CPU time the whole machine spent busy so far (all cores: user, nice, system, irq, softirq,
   * steal from the first line of {@code /proc/stat}), in nanoseconds; -1 when unreadable.
   */
  static long machineBusyNanos() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
      String[] f = first.trim().split("\\s+");
      long ticks = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        ticks += Long.parseLong(f[i]);
      }
      return ticks * 1_000_000_000L / CLK_TCK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static boolean alive(long pid) {
    return Files.exists(Path.of("/proc/" + pid + "/stat"));
  }

  /**
   * The pid of the gateway: the process whose command line names {@code gateway.jar} (or the
   * gateway main class) and that listens on {@code port}; with one such process, that one.
   */
  static long findGateway(int port) {
    List<Long> candidates = new ArrayList<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        try {
          String cmd = Files.readString(p.resolve("cmdline"), StandardCharsets.UTF_8).replace('\0', ' ');
          if (cmd.contains("gateway.jar") || cmd.contains("io.ccotel.gateway.app.Main")) {
            candidates.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | RuntimeException e) {
          // gone or not ours
        }
      }
    } catch (IOException e) {
      return -1;
    }
    if (candidates.size() == 1) {
      return candidates.get(0);
    }
    Set<String> inodes = listeningInodes(port);
    for (long pid : candidates) {
      try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
        for (Path fd : fds) {
          try {
            String link = Files.readSymbolicLink(fd).toString();
            if (link.startsWith("socket:[") && inodes.contains(link.substring(8, link.length() - 1))) {
              return pid;
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      } catch (IOException e) {
        // not readable
      }
    }
    return -1;
  }

  private static Set<String> listeningInodes(int port) {
    Set<String> out = new HashSet<>();
    String hexPort = String.format(Locale.ROOT, "%04X", port);
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          // local_address is ip:port (hex); st 0A = LISTEN; inode is field 10.
          if (f.length > 9 && f[1].endsWith(":" + hexPort) && f[3].equals("0A")) {
            out.add(f[9]);
          }
        }
      } catch (IOException e) {
        // no IPv6
      }
    }
    return out;
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      p.waitFor();
      return Long.parseLong(out);
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}

package io.ccotel.gateway.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The hot spots of a JFR recording, from its {@code jdk.ExecutionSample} events (what {@code jfr
 * print --events jdk.ExecutionSample} lists): the top frames (self time), the methods most often
 * on the stack (inclusive), the packages of the top frames, and the sampled threads.
 */
final class JfrSummary {
  private JfrSummary() {}

  static String summarize(Path file, int top) throws IOException {
    return summarize(file, top, java.time.Instant.MIN, java.time.Instant.MAX);
  }

  /** Only the events that started in [from, to] (a dump holds whole chunks). */
  static String summarize(Path file, int top, java.time.Instant from, java.time.Instant to) throws IOException {
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> packages = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> waitNanos = new HashMap<>();
    Map<String, Long> waitCount = new HashMap<>();
    Map<Long, double[]> threadCpu = new HashMap<>(); // per thread id: sum of loads, samples
    Map<Long, String> threadNames = new HashMap<>();
    long gcs = 0;
    long gcPauseNanos = 0;
    long gcLongestNanos = 0;
    long fsyncs = 0;
    long fsyncNanos = 0;
    long fsyncMax = 0;
    long total = 0;
    try (RecordingFile rf = new RecordingFile(file)) {
      while (rf.hasMoreEvents()) {
        RecordedEvent e = rf.readEvent();
        if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
          continue;
        }
        String type = e.getEventType().getName();
        if (type.equals("jdk.GarbageCollection")) {
          gcs++;
          gcPauseNanos += e.getDuration("sumOfPauses").toNanos();
          gcLongestNanos = Math.max(gcLongestNanos, e.getDuration("longestPause").toNanos());
          continue;
        }
        if (type.equals("jdk.ThreadCPULoad")) {
          RecordedThread t = e.getThread("eventThread");
          if (t != null) {
            long id = t.getId();
            threadNames.put(id, threadGroup(t));
            double[] acc = threadCpu.computeIfAbsent(id, k -> new double[3]);
            // A thread's first event covers its time before the recording too: skip it.
            if (acc[2]++ > 0) {
              acc[0] += e.getFloat("user") + e.getFloat("system");
              acc[1]++;
            }
          }
          continue;
        }
        if (type.equals("jdk.FileForce")) {
          long d = e.getDuration().toNanos();
          fsyncs++;
          fsyncNanos += d;
          fsyncMax = Math.max(fsyncMax, d);
          continue;
        }
        if (type.equals("jdk.ThreadPark") || type.equals("jdk.JavaMonitorEnter") || type.equals("jdk.JavaMonitorWait")) {
          RecordedThread t = e.getThread("eventThread");
          String key = threadGroup(t) + " @ " + waitSite(e.getStackTrace()) + (type.equals("jdk.JavaMonitorEnter") ? " (monitor enter)" : "");
          waitNanos.merge(key, e.getDuration().toNanos(), Long::sum);
          waitCount.merge(key, 1L, Long::sum);
          continue;
        }
        if (!type.equals("jdk.ExecutionSample")) {
          continue;
        }
        RecordedStackTrace st = e.getStackTrace();
        if (st == null || st.getFrames().isEmpty()) {
          continue;
        }
        total++;
        List<RecordedFrame> frames = st.getFrames();
        String topFrame = name(frames.get(0));
        self.merge(topFrame, 1L, Long::sum);
        packages.merge(pkg(frames.get(0)), 1L, Long::sum);
        Set<String> seen = new HashSet<>();
        for (RecordedFrame f : frames) {
          String n = name(f);
          // The gateway's own methods (the library frames around them say little).
          if (n.startsWith("io.ccotel.") && !n.contains("$$Lambda") && !n.contains(".lambda$") && seen.add(n)) {
            inclusive.merge(n, 1L, Long::sum);
          }
        }
        threads.merge(threadGroup(e.getThread("sampledThread")), 1L, Long::sum);
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%,d execution samples in %s%n", total, file.getFileName()));
    section(sb, "Top frames (self)", self, total, top);
    section(sb, "Top frames by package (self)", packages, total, 12);
    section(sb, "Gateway methods on the stack (inclusive)", inclusive, total, top);
    section(sb, "Sampled threads", threads, total, 10);
    if (!threadCpu.isEmpty()) {
      // ThreadCPULoad is a fraction of the whole machine (all cores).
      int cores = Runtime.getRuntime().availableProcessors();
      Map<String, Double> byGroup = new HashMap<>();
      threadCpu.forEach((id, acc) -> {
        if (acc[1] > 0) {
          byGroup.merge(threadNames.get(id), 100.0 * cores * acc[0] / acc[1], Double::sum);
        }
      });
      sb.append(String.format("%nCPU by thread (jdk.ThreadCPULoad, %% of one core, averaged over the recording; JIT and GC threads included):%n"));
      byGroup.entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(12)
          .forEach(e -> sb.append(String.format("  %6.1f%%  %s%n", e.getValue(), e.getKey())));
    }
    sb.append(String.format("%nWaiting (park / monitor events of 1 ms or more; seconds summed over threads, by thread and first gateway frame):%n"));
    waitNanos.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .filter(e -> !e.getKey().contains("(idle)"))
        .limit(12)
        .forEach(e -> sb.append(String.format("  %7.2f s  %6d x  %s%n", e.getValue() / 1e9, waitCount.get(e.getKey()), e.getKey())));
    if (gcs > 0) {
      sb.append(String.format("%nGC: %d collections, %.0f ms of pauses in all, longest pause %.1f ms%n", gcs, gcPauseNanos / 1e6, gcLongestNanos / 1e6));
    }
    if (fsyncs > 0) {
      sb.append(String.format("%nfsync (jdk.FileForce of 1 ms or more): %,d, %.1f ms on average, %.1f ms max, %.2f s in all%n",
          fsyncs, fsyncNanos / 1e6 / fsyncs, fsyncMax / 1e6, fsyncNanos / 1e9));
    }
    return sb.toString();
  }

  private static String threadGroup(RecordedThread t) {
    String name = t == null ? "?" : String.valueOf(t.getJavaName());
    return name.replaceAll("[-#]?\\d+", "-N");
  }

  /** Where a thread waited: its first gateway frame, else its first non-JDK frame, else "(idle)". */
  private static String waitSite(RecordedStackTrace st) {
    if (st == null) {
      return "?";
    }
    String firstOther = null;
    for (RecordedFrame f : st.getFrames()) {
      String n = name(f);
      if (n.startsWith("io.ccotel.")) {
        return n;
      }
      if (firstOther == null && !(n.startsWith("java.") || n.startsWith("jdk.") || n.startsWith("sun."))) {
        firstOther = n;
      }
    }
    return firstOther != null ? firstOther : "(idle)";
  }

  private static void section(StringBuilder sb, String title, Map<String, Long> counts, long total, int top) {
    sb.append(String.format("%n%s:%n", title));
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> sb.append(String.format("  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey())));
  }

  private static String name(RecordedFrame f) {
    if (f.getMethod() == null) {
      return "?";
    }
    String type = f.getMethod().getType() == null ? "?" : f.getMethod().getType().getName();
    return type + "." + f.getMethod().getName();
  }

  private static String pkg(RecordedFrame f) {
    if (f.getMethod() == null || f.getMethod().getType() == null) {
      return "?";
    }
    String type = f.getMethod().getType().getName();
    String[] parts = type.split("\\.");
    int keep = type.startsWith("io.ccotel.gateway.") ? 4 : 3;
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < Math.min(keep, parts.length - 1); i++) {
      p.append(i == 0 ? "" : ".").append(parts[i]);
    }
    return p.length() == 0 ? type : p.toString();
  }
}

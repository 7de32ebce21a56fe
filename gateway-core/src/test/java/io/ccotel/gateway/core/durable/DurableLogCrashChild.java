package io.ccotel.gateway.core.durable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link DurableLogTest}: appends from several threads forever and prints
 * {@code <position> <key>} for every append that returned, until the parent kills it (SIGKILL).
 * Arguments: log directory, fsync policy, threads.
 */
public final class DurableLogCrashChild {
  private DurableLogCrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    FsyncPolicy policy = FsyncPolicy.valueOf(args[1]);
    int threads = Integer.parseInt(args[2]);
    DurableLog log = DurableLog.open(
        DurableLogConfig.defaults(dir).withSegmentBytes(64 * 1024).withMaxBytes(1L << 30).withFsync(policy));
    System.out.println("ready");
    System.out.flush();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread w = new Thread(() -> {
        for (long seq = 0; ; seq++) {
          long key = ((long) thread << 32) | seq;
          try {
            long pos = log.append(DurableLogTest.payload(key, 50 + (int) (seq % 400)));
            synchronized (System.out) {
              System.out.println(pos + " " + key);
              System.out.flush();
            }
          } catch (Exception e) {
            e.printStackTrace();
            return;
          }
        }
      });
      w.start();
      workers.add(w);
    }
    for (Thread w : workers) {
      w.join();
    }
  }
}

package io.ccotel.gateway.core.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class DurableLogTest {
  private static final int SEGMENT = 4096;

  @TempDir Path tmp;
  private final List<DurableLog> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(DurableLog::close);
  }

  /** Deterministic payload for a key: the key, then bytes derived from it. */
  static byte[] payload(long key, int size) {
    byte[] b = new byte[Math.max(size, 8)];
    ByteBuffer.wrap(b).putLong(key);
    for (int i = 8; i < b.length; i++) {
      b[i] = (byte) (key * 31 + i);
    }
    return b;
  }

  static long keyOf(byte[] payload) {
    return ByteBuffer.wrap(payload).getLong();
  }

  private DurableLogConfig config(Path dir, FsyncPolicy policy) {
    return new DurableLogConfig(dir, 1L << 20, SEGMENT, policy, Duration.ofMillis(50), Duration.ofMillis(100));
  }

  private DurableLogConfig config(FsyncPolicy policy) {
    return config(tmp.resolve("log"), policy);
  }

  private DurableLog open(DurableLogConfig config) throws IOException {
    DurableLog log = DurableLog.open(config);
    opened.add(log);
    return log;
  }

  private static List<LogEntry> pollAll(LogReader reader, int expected) throws Exception {
    List<LogEntry> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (out.size() < expected && System.nanoTime() < deadline) {
      out.addAll(reader.poll(1000, Duration.ofMillis(200)));
    }
    return out;
  }

  private static List<Path> segmentFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
  }

  // ------------------------------------------------------------ append, poll, commit

  @Test
  void appendPollCommitAcrossSegmentRolls() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    LogReader reader = log.reader("loki");
    for (int i = 0; i < 300; i++) {
      assertThat(log.append(payload(i, 10 + (i * 37) % 500))).isEqualTo(i);
    }
    assertThat(log.segmentCount()).isGreaterThan(5);
    assertThat(segmentFiles(cfg.dir())).allSatisfy(f -> assertThat(Files.size(f)).isLessThanOrEqualTo(SEGMENT));
    assertThat(segmentFiles(cfg.dir()).get(1).getFileName().toString()).matches("\\d{20}\\.seg");

    List<LogEntry> got = pollAll(reader, 300);
    assertThat(got).extracting(LogEntry::position).containsExactlyElementsOf(range(0, 300));
    for (LogEntry e : got) {
      assertThat(e.payload()).isEqualTo(payload(e.position(), 10 + (int) (e.position() * 37) % 500));
    }
    reader.commitSync(149);
    log.close();

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().clean()).isTrue();
    // Segments wholly before 150 were deleted by the commit (the only reader is past them).
    RecoveryReport report = again.recoveryReport();
    assertThat(report.firstPosition()).isGreaterThan(100).isLessThanOrEqualTo(150);
    assertThat(report.records()).isEqualTo(300 - report.firstPosition());
    assertThat(report.nextPosition()).isEqualTo(300);
    LogReader resumed = again.reader("loki");
    assertThat(resumed.position()).isEqualTo(150);
    assertThat(pollAll(resumed, 150)).extracting(LogEntry::position).containsExactlyElementsOf(range(150, 300));
    assertThat(again.append(payload(300, 20))).isEqualTo(300);
  }

  @Test
  void lazyCommitsAreWrittenAtCloseAndReadersAreIndependent() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.INTERVAL).withCommitInterval(Duration.ofHours(1));
    DurableLog log = open(cfg);
    LogReader loki = log.reader("loki");
    LogReader prom = log.reader("prometheus");
    for (int i = 0; i < 50; i++) {
      log.append(payload(i, 64));
    }
    assertThat(pollAll(loki, 50)).hasSize(50);
    assertThat(pollAll(prom, 50)).hasSize(50);
    loki.commit(39);
    prom.commit(9);
    assertThat(loki.persistedCommitted()).isEqualTo(-1);
    log.close();

    DurableLog again = open(cfg);
    assertThat(again.readerNames()).containsExactly("loki", "prometheus");
    assertThat(pollAll(again.reader("loki"), 10)).extracting(LogEntry::position).containsExactlyElementsOf(range(40, 50));
    assertThat(pollAll(again.reader("prometheus"), 40)).extracting(LogEntry::position)
        .containsExactlyElementsOf(range(10, 50));
  }

  @Test
  void aNewReaderStartsAtTheOldestRecordOrAtTheEnd() throws Exception {
    DurableLog log = open(config(FsyncPolicy.NEVER));
    for (int i = 0; i < 5; i++) {
      log.append(payload(i, 30));
    }
    LogReader fromStart = log.reader("a");
    LogReader fromEnd = log.reader("b", true);
    assertThat(fromEnd.poll(10, Duration.ofMillis(20))).isEmpty();
    log.append(payload(5, 30));

    assertThat(pollAll(fromStart, 6)).extracting(LogEntry::position).containsExactlyElementsOf(range(0, 6));
    assertThat(fromEnd.poll(10, Duration.ofSeconds(5))).extracting(LogEntry::position).containsExactly(5L);
  }

  @Test
  void pollWaitsForAnAppend() throws Exception {
    DurableLog log = open(config(FsyncPolicy.ALWAYS));
    LogReader reader = log.reader("r");
    CompletableFuture<List<LogEntry>> polled = CompletableFuture.supplyAsync(() -> {
      try {
        return reader.poll(10, Duration.ofSeconds(10));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(100);
    assertThat(polled).isNotDone();
    long t0 = System.nanoTime();
    log.append(payload(7, 100));

    List<LogEntry> got = polled.get(5, TimeUnit.SECONDS);
    assertThat(got).hasSize(1);
    assertThat(keyOf(got.get(0).payload())).isEqualTo(7);
    assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(2));
  }

  @Test
  void readerNamesAreEscapedAndAReaderOpensOnce() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    LogReader r = log.reader("console/json");
    assertThat(Files.exists(cfg.dir().resolve("cursors").resolve("console%2Fjson"))).isTrue();
    assertThatThrownBy(() -> log.reader("console/json")).isInstanceOf(IllegalStateException.class);
    r.close();
    log.reader("console/json").close();
    log.close();
    assertThat(open(cfg).readerNames()).containsExactly("console/json");
  }

  @Test
  void payloadsMustBeNonEmptyAndFitASegment() throws Exception {
    DurableLog log = open(config(FsyncPolicy.ALWAYS));
    assertThatThrownBy(() -> log.append(new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> log.append(new byte[SEGMENT])).isInstanceOf(IllegalArgumentException.class);
    assertThat(log.append(new byte[log.config().maxPayloadBytes()])).isEqualTo(0);
    assertThat(log.append(new byte[log.config().maxPayloadBytes()])).isEqualTo(1);
    assertThat(log.segmentCount()).isEqualTo(2);
  }

  @Test
  void configIsCheckedWhenBuilt() {
    Path d = tmp.resolve("x");
    assertThatThrownBy(() -> new DurableLogConfig(d, 4096, 4096, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_bytes");
    assertThatThrownBy(() -> new DurableLogConfig(d, 0, 100, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment_bytes");
    assertThatThrownBy(() -> new DurableLogConfig(d, 0, 0, null, Duration.ZERO, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fsync_interval");
    DurableLogConfig defaults = DurableLogConfig.defaults(d);
    assertThat(defaults.maxBytes()).isEqualTo(1L << 30);
    assertThat(defaults.segmentBytes()).isEqualTo(64L << 20);
    assertThat(defaults.fsync()).isEqualTo(FsyncPolicy.ALWAYS);
    assertThat(defaults.fsyncInterval()).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aDirectoryIsOpenOnlyOnceAndCloseIsSafeTwice() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    LogReader reader = log.reader("r");
    assertThatThrownBy(() -> DurableLog.open(cfg)).isInstanceOf(IOException.class).hasMessageContaining("in use");
    log.close();
    log.close();
    assertThat(log.isHealthy()).isFalse();
    assertThatThrownBy(() -> log.append(payload(1, 10))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> reader.poll(1, Duration.ZERO)).isInstanceOf(IllegalStateException.class);
    reader.close();
    open(cfg).close();
  }

  // ------------------------------------------------------------ group commit

  /**
   * 8 appenders at once. Under ALWAYS every group costs an fsync, so the count is kept small enough
   * for a slow CI disk; INTERVAL runs the same group-commit path at full size.
   */
  @ParameterizedTest
  @CsvSource({"ALWAYS, 1000", "INTERVAL, 5000"})
  void concurrentAppendersShareFsyncsAndEveryRecordIsReadOnceInOrder(FsyncPolicy policy, int perThread)
      throws Exception {
    int threads = 8;
    int total = threads * perThread;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DurableLogConfig cfg = new DurableLogConfig(tmp.resolve("log"), 256L << 20, 1 << 20, policy, null, null);
    DurableLog log = DurableLog.open(cfg, registry);
    opened.add(log);
    LogReader reader = log.reader("exporter");

    // Reads while the appends run.
    Map<Long, byte[]> read = new HashMap<>();
    List<Long> readOrder = new ArrayList<>(total);
    CompletableFuture<Void> readerDone = CompletableFuture.runAsync(() -> {
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (readOrder.size() < total && System.nanoTime() < deadline) {
          for (LogEntry e : reader.poll(5000, Duration.ofMillis(100))) {
            readOrder.add(e.position());
            assertThat(read.put(e.position(), e.payload())).isNull();
          }
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });

    long[][] positions = new long[threads][perThread];
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread w = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < perThread; i++) {
            positions[thread][i] = log.append(payload(((long) thread << 32) | i, 100 + i % 50));
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    readerDone.get(60, TimeUnit.SECONDS);

    // Every position unique, all of [0, total) used; each thread's positions grow.
    Map<Long, Long> keyByPosition = new HashMap<>();
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < perThread; i++) {
        assertThat(keyByPosition.put(positions[t][i], ((long) t << 32) | i)).isNull();
        if (i > 0) {
          assertThat(positions[t][i]).isGreaterThan(positions[t][i - 1]);
        }
      }
    }
    assertThat(keyByPosition.keySet()).containsExactlyInAnyOrderElementsOf(range(0, total));
    // The reader saw each position once, in order, with the payload appended there.
    assertThat(readOrder).containsExactlyElementsOf(range(0, total));
    for (Map.Entry<Long, Long> e : keyByPosition.entrySet()) {
      long key = e.getValue();
      assertThat(read.get(e.getKey())).isEqualTo(payload(key, 100 + (int) (key & 0xffffffffL) % 50));
    }
    // Group commit: far fewer fsyncs than appends.
    long fsyncs = registry.get("gateway.durable.fsync").timer().count();
    assertThat(registry.get("gateway.durable.appended.records").counter().count()).isEqualTo(total);
    assertThat(fsyncs).isGreaterThan(0).isLessThan(total / 2);
    assertThat(registry.get("gateway.durable.commit.group.records").summary().max()).isGreaterThan(1);
    assertThat(registry.get("gateway.durable.log.size").gauge().value()).isEqualTo(log.sizeBytes());
  }

  @Test
  void appendAsyncCompletesWithThePosition() throws Exception {
    DurableLog log = open(config(FsyncPolicy.ALWAYS));
    List<CompletableFuture<Long>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      futures.add(log.appendAsync(payload(i, 40)));
    }
    for (int i = 0; i < 100; i++) {
      assertThat(futures.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(i);
    }
  }

  // ------------------------------------------------------------ fsync policies

  @ParameterizedTest
  @EnumSource(FsyncPolicy.class)
  void everyFsyncPolicyKeepsWhatWasAppended(FsyncPolicy policy) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DurableLogConfig cfg = config(policy);
    DurableLog log = DurableLog.open(cfg, registry);
    opened.add(log);
    LogReader reader = log.reader("r");
    List<CompletableFuture<Long>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      futures.add(log.appendAsync(payload(i, 100)));
    }
    for (CompletableFuture<Long> f : futures) {
      f.get(5, TimeUnit.SECONDS);
    }
    assertThat(pollAll(reader, 200)).hasSize(200);
    long fsyncs = registry.get("gateway.durable.fsync").timer().count();
    log.append(payload(200, 10)); // written, not rolled
    switch (policy) {
      case ALWAYS -> assertThat(registry.get("gateway.durable.fsync").timer().count()).isGreaterThan(fsyncs);
      case INTERVAL -> {
        // The timer fsyncs the tail within the interval, with no further append.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (registry.get("gateway.durable.fsync").timer().count() <= fsyncs && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertThat(registry.get("gateway.durable.fsync").timer().count()).isGreaterThan(fsyncs);
      }
      case NEVER -> assertThat(registry.get("gateway.durable.fsync").timer().count()).isZero();
    }
    log.close();

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().clean()).isTrue();
    List<LogEntry> got = pollAll(again.reader("other"), 201);
    assertThat(got).extracting(e -> keyOf(e.payload())).containsExactlyElementsOf(range(0, 201));
  }

  // ------------------------------------------------------------ crashes

  /** kill -9 of a real process while it appends: every append that returned is in the log. */
  @Test
  void everyAcknowledgedAppendSurvivesKillMinus9() throws Exception {
    Path dir = tmp.resolve("killed");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        DurableLogCrashChild.class.getName(), dir.toString(), "INTERVAL", "4")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    Map<Long, Long> acknowledged = new HashMap<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).isEqualTo("ready");
      String line;
      while ((line = out.readLine()) != null) {
        String[] parts = line.split(" ");
        acknowledged.put(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        if (acknowledged.size() == 3000) {
          child.destroyForcibly(); // SIGKILL: no close, no flush, appends in flight
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acknowledged).hasSize(3000);

    DurableLog log = open(config(dir, FsyncPolicy.INTERVAL).withMaxBytes(1L << 30).withSegmentBytes(64 * 1024));
    Map<Long, byte[]> all = new HashMap<>();
    for (LogEntry e : pollAll(log.reader("check"), (int) log.nextPosition())) {
      all.put(e.position(), e.payload());
    }
    assertThat(all).hasSize((int) log.nextPosition());
    for (Map.Entry<Long, Long> ack : acknowledged.entrySet()) {
      long key = ack.getValue();
      assertThat(all.get(ack.getKey())).as("position %d", ack.getKey())
          .isEqualTo(payload(key, 50 + (int) ((key & 0xffffffffL) % 400)));
    }
    assertThat(log.append(payload(1, 10))).isEqualTo(all.size());
  }

  /** A copy of the directory taken while appends are running, as a crash would leave it. */
  @Test
  void aSnapshotTakenMidAppendRecoversEverythingAcknowledgedBeforeIt() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.NEVER).withMaxBytes(1L << 30).withSegmentBytes(256 * 1024);
    DurableLog log = open(cfg);
    Map<Long, Long> acknowledged = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      Thread w = new Thread(() -> {
        for (long i = 0; !stop.get(); i++) {
          long key = ((long) thread << 32) | i;
          try {
            acknowledged.put(log.append(payload(key, 200)), key);
          } catch (IOException e) {
            return;
          }
        }
      });
      w.start();
      workers.add(w);
    }
    while (acknowledged.size() < 2000) {
      Thread.sleep(1);
    }
    Map<Long, Long> before = new HashMap<>(acknowledged);
    Path copy = tmp.resolve("copy");
    Files.createDirectories(copy.resolve("cursors"));
    for (Path f : segmentFiles(cfg.dir())) {
      Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    stop.set(true);
    for (Thread w : workers) {
      w.join();
    }

    DurableLog recovered = open(config(copy, FsyncPolicy.NEVER).withMaxBytes(1L << 30).withSegmentBytes(256 * 1024));
    Map<Long, byte[]> all = new HashMap<>();
    for (LogEntry e : pollAll(recovered.reader("check"), (int) recovered.nextPosition())) {
      all.put(e.position(), e.payload());
    }
    for (Map.Entry<Long, Long> ack : before.entrySet()) {
      assertThat(all.get(ack.getKey())).as("position %d", ack.getKey()).isEqualTo(payload(ack.getValue(), 200));
    }
    assertThat(recovered.append(payload(1, 10))).isEqualTo(recovered.recoveryReport().nextPosition());
  }

  /** An abandoned log (no close): records are all there, lazy commits are redelivered. */
  @Test
  void anAbandonedLogRedeliversOnlyWhatWasNotPersistedAsCommitted() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.INTERVAL).withCommitInterval(Duration.ofHours(1));
    DurableLog log = open(cfg);
    LogReader reader = log.reader("r");
    for (int i = 0; i < 100; i++) {
      log.append(payload(i, 80));
    }
    pollAll(reader, 100);
    reader.commitSync(29);
    reader.commit(79); // not yet written to the cursor file
    log.crashForTest();

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().records()).isEqualTo(100);
    assertThat(pollAll(again.reader("r"), 70)).extracting(LogEntry::position).containsExactlyElementsOf(range(30, 100));
  }

  enum Damage {
    CUT_THREE_BYTES,
    FLIP_A_PAYLOAD_BYTE,
    FLIP_A_LENGTH_BYTE,
    GARBAGE_AFTER,
    ZEROS_AFTER
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void aTornOrCorruptTailIsCutAtTheLastGoodRecord(Damage damage) throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    for (int i = 0; i < 20; i++) {
      log.append(payload(i, 100)); // 108 bytes a record: all in the first segment
    }
    log.close();
    Path seg = segmentFiles(cfg.dir()).get(0);
    long size = Files.size(seg);
    assertThat(size).isEqualTo(16 + 20 * 108);
    long lastRecord = size - 108;
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      switch (damage) {
        case CUT_THREE_BYTES -> f.setLength(size - 3);
        case FLIP_A_PAYLOAD_BYTE -> flip(f, lastRecord + 8 + 50);
        case FLIP_A_LENGTH_BYTE -> flip(f, lastRecord + 1);
        case GARBAGE_AFTER -> {
          f.seek(size);
          byte[] garbage = new byte[37];
          new java.util.Random(1).nextBytes(garbage);
          f.write(garbage);
        }
        case ZEROS_AFTER -> f.setLength(size + 4096);
      }
    }
    long damagedSize = Files.size(seg);
    boolean lastLost = damage.ordinal() <= Damage.FLIP_A_LENGTH_BYTE.ordinal();
    long expectedRecords = lastLost ? 19 : 20;

    DurableLog again = open(cfg);
    RecoveryReport report = again.recoveryReport();
    assertThat(report.clean()).isFalse();
    assertThat(report.records()).isEqualTo(expectedRecords);
    assertThat(report.nextPosition()).isEqualTo(expectedRecords);
    assertThat(report.truncatedBytes()).isEqualTo(damagedSize - (16 + expectedRecords * 108));
    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.file()).isEqualTo(seg);
      assertThat(p.truncated()).isTrue();
      assertThat(p.position()).isEqualTo(expectedRecords);
      assertThat(p.fileOffset()).isEqualTo(16 + expectedRecords * 108);
    });
    assertThat(Files.size(seg)).isEqualTo(16 + expectedRecords * 108);
    assertThat(again.append(payload(99, 100))).isEqualTo(expectedRecords);
    List<LogEntry> got = pollAll(again.reader("r"), (int) expectedRecords + 1);
    assertThat(got).extracting(e -> keyOf(e.payload())).endsWith(expectedRecords - 1, 99L);
    again.close();

    assertThat(open(cfg).recoveryReport().clean()).isTrue();
  }

  @Test
  void aSegmentTornWhileBeingCreatedStartsAgain() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    log.append(payload(0, 10));
    log.roll().get(5, TimeUnit.SECONDS);
    log.close();
    Path active = segmentFiles(cfg.dir()).get(1);
    try (RandomAccessFile f = new RandomAccessFile(active.toFile(), "rw")) {
      f.setLength(7);
    }

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().problems()).singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("header"));
    assertThat(again.append(payload(1, 10))).isEqualTo(1);
  }

  @Test
  void damageInsideAnOlderSegmentSkipsToTheNextSegment() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    for (int i = 0; i < 100; i++) {
      log.append(payload(i, 200)); // 208 bytes a record: 19 per 4 KiB segment
    }
    log.close();
    List<Path> files = segmentFiles(cfg.dir());
    assertThat(files).hasSize(6);
    try (RandomAccessFile f = new RandomAccessFile(files.get(0).toFile(), "rw")) {
      flip(f, 16 + 5 * 208 + 8 + 100); // record 5's payload
    }
    try (RandomAccessFile f = new RandomAccessFile(files.get(2).toFile(), "rw")) {
      flip(f, 0); // segment 2's header
    }

    DurableLog again = open(cfg);
    RecoveryReport report = again.recoveryReport();
    assertThat(report.problems()).hasSize(2);
    assertThat(report.problems().get(0)).satisfies(p -> {
      assertThat(p.file()).isEqualTo(files.get(0));
      assertThat(p.position()).isEqualTo(5);
      assertThat(p.truncated()).isFalse();
      assertThat(p.reason()).contains("checksum");
    });
    assertThat(report.problems().get(1)).satisfies(p -> {
      assertThat(p.file()).isEqualTo(files.get(2));
      assertThat(p.position()).isEqualTo(38);
      assertThat(p.reason()).contains("magic");
    });
    assertThat(report.truncatedBytes()).isZero();
    assertThat(report.records()).isEqualTo(100 - 14 - 19);
    assertThat(Files.size(files.get(0))).isEqualTo(16 + 19 * 208); // left as it was

    List<Long> keys = pollAll(again.reader("r"), 67).stream().map(e -> keyOf(e.payload())).toList();
    List<Long> expected = new ArrayList<>(range(0, 5));
    expected.addAll(range(19, 38));
    expected.addAll(range(57, 100));
    assertThat(keys).containsExactlyElementsOf(expected);
    assertThat(again.append(payload(100, 10))).isEqualTo(100);
  }

  @Test
  void aCursorAheadOfALostTailIsNeverReused() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.INTERVAL);
    DurableLog log = open(cfg);
    LogReader reader = log.reader("prometheus");
    for (int i = 0; i < 10; i++) {
      log.append(payload(i, 50));
    }
    pollAll(reader, 10);
    reader.commitSync(9);
    log.close();
    // A power failure under INTERVAL: the cursor reached the disk, the records did not.
    try (RandomAccessFile f = new RandomAccessFile(segmentFiles(cfg.dir()).get(0).toFile(), "rw")) {
      f.setLength(16);
    }

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().skippedPositions()).isEqualTo(10);
    assertThat(again.nextPosition()).isEqualTo(10);
    LogReader resumed = again.reader("prometheus");
    assertThat(again.append(payload(10, 50))).isEqualTo(10);
    assertThat(resumed.poll(10, Duration.ofSeconds(5))).extracting(LogEntry::position).containsExactly(10L);
  }

  @Test
  void damageFoundWhileReadingASealedSegmentSkipsToTheNextSegment() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = DurableLog.open(cfg, registry);
    opened.add(log);
    for (int i = 0; i < 50; i++) {
      log.append(payload(i, 200)); // 19 records a segment
    }
    try (RandomAccessFile f = new RandomAccessFile(segmentFiles(cfg.dir()).get(0).toFile(), "rw")) {
      flip(f, 16 + 3 * 208 + 8 + 20); // bit rot after the log was opened
    }

    List<LogEntry> got = pollAll(log.reader("r"), 34);
    List<Long> expected = new ArrayList<>(range(0, 3));
    expected.addAll(range(19, 50));
    assertThat(got).extracting(LogEntry::position).containsExactlyElementsOf(expected);
    assertThat(registry.get("gateway.durable.corrupt.skipped.records").tag("reader", "r").counter().count())
        .isEqualTo(16);
  }

  @Test
  void damageFoundInTheActiveSegmentClosesItAndSkipsTheRest() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    for (int i = 0; i < 10; i++) {
      log.append(payload(i, 100));
    }
    try (RandomAccessFile f = new RandomAccessFile(segmentFiles(cfg.dir()).get(0).toFile(), "rw")) {
      flip(f, 16 + 4 * 108 + 8 + 20);
    }
    LogReader reader = log.reader("r");
    assertThat(reader.poll(100, Duration.ofSeconds(5))).extracting(LogEntry::position).containsExactly(0L, 1L, 2L, 3L);
    assertThat(reader.poll(100, Duration.ofMillis(200))).isEmpty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (log.segmentCount() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(bases(cfg.dir())).containsExactly(0L, 10L);
    assertThat(log.append(payload(10, 100))).isEqualTo(10);

    assertThat(reader.poll(100, Duration.ofSeconds(5))).extracting(LogEntry::position).containsExactly(10L);
  }

  @Test
  void anInterruptedPollLosesNothing() throws Exception {
    DurableLog log = open(config(FsyncPolicy.ALWAYS));
    for (int i = 0; i < 10; i++) {
      log.append(payload(i, 100));
    }
    LogReader reader = log.reader("r");
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> reader.poll(100, Duration.ofSeconds(1))).isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();

    assertThat(reader.poll(100, Duration.ofSeconds(1))).extracting(LogEntry::position)
        .containsExactlyElementsOf(range(0, 10));
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> reader.poll(100, Duration.ofSeconds(1))).isInstanceOf(InterruptedException.class);
    assertThat(log.append(payload(10, 100))).isEqualTo(10); // the writer never saw the interrupts
  }

  @Test
  void closeWhileAppendingAnswersEveryAppenderAndKeepsWhatItAcknowledged() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS).withMaxBytes(1L << 30).withSegmentBytes(256 * 1024);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DurableLog log = DurableLog.open(cfg, registry);
    opened.add(log);
    Map<Long, Long> acknowledged = new ConcurrentHashMap<>();
    List<Throwable> refusals = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      Thread w = new Thread(() -> {
        for (long i = 0; ; i++) {
          long key = ((long) thread << 32) | i;
          try {
            acknowledged.put(log.append(payload(key, 100)), key);
          } catch (Throwable e) {
            synchronized (refusals) {
              refusals.add(e);
            }
            return;
          }
        }
      });
      w.start();
      workers.add(w);
    }
    while (acknowledged.size() < 500) {
      Thread.sleep(1);
    }
    log.close();
    for (Thread w : workers) {
      w.join(5000);
      assertThat(w.isAlive()).isFalse();
    }
    assertThat(refusals).hasSize(4).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class));
    assertThat(registry.find("gateway.durable.appended.records").counter()).isNull(); // meters removed

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().clean()).isTrue();
    assertThat(again.nextPosition()).isEqualTo(acknowledged.size());
    for (LogEntry e : pollAll(again.reader("r"), acknowledged.size())) {
      assertThat(keyOf(e.payload())).isEqualTo(acknowledged.get(e.position()));
    }
  }

  @Test
  void aFailedWriteRefusesAppendsUntilRestartButKeepsWhatWasAcknowledged() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    LogReader reader = log.reader("r");
    for (int i = 0; i < 10; i++) {
      log.append(payload(i, 100));
    }
    // The disk goes away under the writer: its channel is closed behind its back.
    Field channel = DurableLog.class.getDeclaredField("activeChannel");
    channel.setAccessible(true);
    ((FileChannel) channel.get(log)).close();

    assertThatThrownBy(() -> log.append(payload(10, 100))).isInstanceOf(IOException.class)
        .isNotInstanceOf(LogFullException.class);
    assertThat(log.isHealthy()).isFalse();
    assertThatThrownBy(() -> log.append(payload(11, 100))).isInstanceOf(IOException.class)
        .hasMessageContaining("failed earlier");
    assertThat(pollAll(reader, 10)).extracting(LogEntry::position).containsExactlyElementsOf(range(0, 10));
    CompletableFuture.runAsync(log::close).get(10, TimeUnit.SECONDS);

    DurableLog again = open(cfg);
    assertThat(again.recoveryReport().clean()).isTrue();
    assertThat(again.nextPosition()).isEqualTo(10);
    assertThat(again.append(payload(10, 100))).isEqualTo(10);
  }

  // ------------------------------------------------------------ space and retention

  @Test
  void aFullLogRefusesAppendsUntilReadersCommit() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS).withMaxBytes(2 * SEGMENT).withCommitInterval(Duration.ofHours(1));
    DurableLog log = DurableLog.open(cfg, registry);
    opened.add(log);
    LogReader reader = log.reader("slow");
    int appended = 0;
    assertThatThrownBy(() -> {
      for (int i = 0; ; i++) {
        log.append(payload(i, 500));
      }
    }).isInstanceOf(LogFullException.class).hasMessageContaining("full");
    appended = (int) log.nextPosition();
    assertThat(appended).isGreaterThan(8);
    assertThat(log.sizeBytes()).isLessThanOrEqualTo(2 * SEGMENT);
    assertThat(registry.get("gateway.durable.refused.records").tag("reason", "full").counter().count()).isEqualTo(1);
    assertThatThrownBy(() -> log.append(payload(0, 500))).isInstanceOf(LogFullException.class);

    List<LogEntry> got = pollAll(reader, appended);
    assertThat(got).hasSize(appended);
    reader.commitSync(got.get(got.size() - 1).position());

    assertThat(log.segmentCount()).isEqualTo(1);
    assertThat(log.append(payload(1000, 500))).isEqualTo(appended);
  }

  @Test
  void retentionDeletesExactlyTheSegmentsEveryReaderCommittedPast() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS).withCommitInterval(Duration.ofHours(1));
    DurableLog log = open(cfg);
    LogReader a = log.reader("a");
    LogReader b = log.reader("b");
    for (int s = 0; s < 3; s++) {
      for (int i = 0; i < 10; i++) {
        log.append(payload(s * 10 + i, 50));
      }
      if (s < 2) {
        log.roll().get(5, TimeUnit.SECONDS);
      }
    }
    assertThat(bases(cfg.dir())).containsExactly(0L, 10L, 20L);

    a.commitSync(15);
    b.commitSync(8);
    assertThat(bases(cfg.dir())).containsExactly(0L, 10L, 20L);
    b.commitSync(9);
    assertThat(bases(cfg.dir())).containsExactly(10L, 20L);
    b.commitSync(29);
    assertThat(bases(cfg.dir())).containsExactly(10L, 20L);
    // A closed reader's cursor still holds its segments...
    a.close();
    assertThat(log.deleteCommittedSegments()).isZero();
    // ...until the reader is removed. The active segment stays whatever was committed.
    log.removeReader("a");
    log.deleteCommittedSegments(); // (or the housekeeper, which removeReader woke)
    assertThat(bases(cfg.dir())).containsExactly(20L);
    assertThat(log.firstPosition()).isEqualTo(20);
    assertThat(log.readerNames()).containsExactly("b");
  }

  @Test
  void lazyCommitsDeleteSegmentsOnTheHousekeeperTimer() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS).withCommitInterval(Duration.ofMillis(20));
    DurableLog log = open(cfg);
    LogReader r = log.reader("r");
    for (int i = 0; i < 10; i++) {
      log.append(payload(i, 50));
    }
    log.roll().get(5, TimeUnit.SECONDS);
    r.commit(9);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (log.segmentCount() > 1 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(bases(cfg.dir())).containsExactly(10L);
    assertThat(r.persistedCommitted()).isEqualTo(9);
  }

  @Test
  void truncateBeforeDeletesOldSegmentsAndALaggingReaderSkipsAhead() throws Exception {
    DurableLogConfig cfg = config(FsyncPolicy.ALWAYS);
    DurableLog log = open(cfg);
    LogReader lagging = log.reader("lagging");
    for (int i = 0; i < 100; i++) {
      log.append(payload(i, 200)); // 19 records a segment
    }
    assertThat(log.truncateBefore(40)).isEqualTo(2);
    assertThat(log.firstPosition()).isEqualTo(38);

    List<LogEntry> got = pollAll(lagging, 62);
    assertThat(got).extracting(LogEntry::position).containsExactlyElementsOf(range(38, 100));
  }

  @Test
  void aReaderSeeksPastItsOwnCheckpoint() throws Exception {
    DurableLog log = open(config(FsyncPolicy.ALWAYS));
    LogReader r = log.reader("prometheus");
    for (int i = 0; i < 100; i++) {
      log.append(payload(i, 200));
    }
    r.seek(57);
    assertThat(pollAll(r, 43)).extracting(LogEntry::position).containsExactlyElementsOf(range(57, 100));
    r.seek(3);
    assertThat(r.poll(2, Duration.ZERO)).extracting(LogEntry::position).containsExactly(3L, 4L);
  }

  // ------------------------------------------------------------ helpers

  private static List<Long> bases(Path dir) throws IOException {
    return segmentFiles(dir).stream()
        .map(p -> LogFormat.parseSegmentBase(p.getFileName().toString()))
        .toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  private static void flip(RandomAccessFile f, long offset) throws IOException {
    f.seek(offset);
    int b = f.read();
    f.seek(offset);
    f.write(b ^ 0x5a);
  }
}

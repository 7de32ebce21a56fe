package io.ccotel.gateway.exporters.prometheus;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.zip.CRC32;

/**
 * The file the Prometheus exporter keeps its totals in across restarts ({@code state_file}).
 *
 * <h2>Format (version 1)</h2>
 *
 * Big-endian, as {@link java.io.DataOutputStream} writes:
 *
 * <pre>
 * magic    4 bytes  "CCPS" (0x43 0x43 0x50 0x53)
 * version  int32    1
 * length   int32    number of body bytes
 * body     length bytes
 * crc32    int32    CRC-32 of every byte before it (magic to end of body)
 * </pre>
 *
 * The body ({@link MetricAccumulator#saveState}); a string is an int32 byte count and UTF-8 bytes,
 * an array an int32 element count and the elements:
 *
 * <pre>
 * savedAt int64 (epoch ms)
 * families int32, each: kind int8 (0 counter, 1 gauge, 2 histogram, 3 summary, 4 info),
 *   name string, unit string ("" = none), help string,
 *   series int32, each: labels int32 × (name string, value string), touchedAt int64 (epoch ms),
 *     counter/gauge: base float64, pointTime int64 (ns), exposed float64
 *     histogram:     bounds float64[], counts int64[] (bounds + 1), sum float64, sumMissing bool
 *     summary:       count int64, sum float64, sumMissing bool, quantileTime int64 (ns),
 *                    quantiles float64[], values float64[]
 *     info:          nothing
 *   then writers int32 × writer index int32 (into the table below; the order sums are taken in)
 * writers int32, least recently seen first, each: identity 2 × int64, value float64,
 *   counts int64[] (-1 = none), sum float64, pointTime int64 (ns), seenAt int64 (epoch ms)
 * remembered delta points int32, oldest first, each: identity 2 × int64, appliedAt int64 (epoch ms)
 * </pre>
 *
 * Identities are {@link Fingerprint}s: SHA-256 based, so the same input gives the same identity in
 * any JVM, and a client retrying a batch applied before the restart is still recognised. A reader
 * refuses another version; a change of the body layout or of the fingerprint recipe takes a new
 * version.
 *
 * <h2>Writing</h2>
 *
 * Atomic: the bytes go to a temporary file in the same directory, are forced to the device, and
 * the temporary file is renamed over the state file (then the directory is forced, where the
 * platform allows). A crash during a save leaves the previous file intact.
 *
 * <h2>Locking</h2>
 *
 * An exporter holds an exclusive lock on {@code <state_file>.lock} while it runs, so that two
 * exporters or two gateways never write one file. The lock file stays behind; it holds nothing.
 *
 * <p>Not thread-safe; the exporter serializes its calls.
 */
final class StateFile {
  static final int MAGIC = 0x43435053; // "CCPS"
  /**
   * Version 2 adds, after the version, the durable log position the state contains (-1 = none);
   * version 1 files (no position) are still read.
   */
  static final int VERSION = 2;
  private static final int HEADER_V1 = 12;
  private static final int HEADER = 20;
  private static final DateTimeFormatter ASIDE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

  private final Path path;
  private FileChannel lockChannel;
  private FileLock lock;

  StateFile(Path path) {
    this.path = path.toAbsolutePath().normalize();
  }

  Path path() {
    return path;
  }

  /** Thrown when a file is not a state file this version can read. */
  static final class CorruptStateException extends IOException {
    CorruptStateException(String message) {
      super(message);
    }

    CorruptStateException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static byte[] encode(byte[] body) {
    return encode(body, -1);
  }

  /** A state file holding the durable log position {@code position} (-1 = none). */
  static byte[] encode(byte[] body, long position) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + HEADER + 4);
    DataOutputStream out = new DataOutputStream(bytes);
    try {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(position);
      out.writeInt(body.length);
      out.write(body);
      CRC32 crc = new CRC32();
      crc.update(bytes.toByteArray());
      out.writeInt((int) crc.getValue());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayOutputStream
    }
    return bytes.toByteArray();
  }

  /** The body of a state file, after checking magic, version, length and CRC. */
  static byte[] decode(byte[] file) throws CorruptStateException {
    return decodeWithPosition(file).body();
  }

  /** A decoded state file: the accumulator's body and the durable log position it contains. */
  record Decoded(byte[] body, long position) {}

  static Decoded decodeWithPosition(byte[] file) throws CorruptStateException {
    if (file.length < HEADER_V1 + 4) {
      throw new CorruptStateException("too short (" + file.length + " bytes) to be a state file");
    }
    ByteBuffer b = ByteBuffer.wrap(file);
    if (b.getInt() != MAGIC) {
      throw new CorruptStateException("not a Prometheus exporter state file (wrong magic number)");
    }
    int version = b.getInt();
    if (version != VERSION && version != 1) {
      throw new CorruptStateException("format version " + version + ", this gateway reads versions 1 and " + VERSION);
    }
    int header = version == 1 ? HEADER_V1 : HEADER;
    if (file.length < header + 4) {
      throw new CorruptStateException("too short (" + file.length + " bytes) to be a state file");
    }
    long position = version == 1 ? -1 : b.getLong();
    int length = b.getInt();
    if (length < 0 || length != file.length - header - 4) {
      throw new CorruptStateException(
          "truncated or padded: header says " + length + " body bytes, the file has " + (file.length - header - 4));
    }
    CRC32 crc = new CRC32();
    crc.update(file, 0, file.length - 4);
    int stored = ByteBuffer.wrap(file, file.length - 4, 4).getInt();
    if (stored != (int) crc.getValue()) {
      throw new CorruptStateException("checksum mismatch: the file was damaged");
    }
    byte[] body = new byte[length];
    System.arraycopy(file, header, body, 0, length);
    return new Decoded(body, position);
  }

  /** The file's bytes, or null when there is no file. */
  byte[] read() throws IOException {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Writes the file atomically (see the class comment). */
  void write(byte[] content) throws IOException {
    Path dir = path.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, path.getFileName().toString() + ".", ".tmp");
    boolean moved = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      forceDirectory(dir);
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Makes the rename durable; not every platform can open a directory, which is fine. */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows cannot open a directory; the rename is durable there once the OS flushes.
    }
  }

  /**
   * Moves a file that cannot be read aside, to {@code <state_file>.corrupt-<UTC time>}, so that it
   * can be looked at and is not overwritten by the next save.
   */
  Path setAside(Instant now) throws IOException {
    Path aside = path.resolveSibling(path.getFileName() + ".corrupt-" + ASIDE.format(now));
    for (int i = 1; Files.exists(aside); i++) {
      aside = path.resolveSibling(path.getFileName() + ".corrupt-" + ASIDE.format(now) + "-" + i);
    }
    Files.move(path, aside);
    return aside;
  }

  /**
   * Takes the exclusive lock on {@code <state_file>.lock}, creating the directory when needed.
   *
   * @throws StateFileInUseException when another exporter (this gateway or another process) holds it
   * @throws IOException when the directory or lock file cannot be created
   */
  void lock() throws IOException {
    Files.createDirectories(path.getParent());
    Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
    FileChannel ch = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      ch.close();
      throw new StateFileInUseException(path + " is already used by another Prometheus exporter of this gateway");
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      ch.close();
      throw new StateFileInUseException(path + " is in use by another process (another gateway?)");
    }
    lockChannel = ch;
    lock = l;
  }

  /** Releases the lock; safe when not held. */
  void unlock() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      // Closing the channel releases the lock in any case.
    } finally {
      lock = null;
      lockChannel = null;
    }
  }

  /** Another exporter holds the state file. */
  static final class StateFileInUseException extends IOException {
    StateFileInUseException(String message) {
      super(message);
    }
  }
}

package io.ccotel.gateway.core.durable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk format of the durable log (all integers big-endian).
 *
 * <pre>
 * segment file  &lt;dir&gt;/&lt;first position, 20 digits&gt;.seg
 *   header      int magic 0x43434C47 ("CCLG") | int version (1) | long first position   (16 bytes)
 *   records     int length (&gt; 0) | int crc32c(payload) | payload (length bytes)      (repeated)
 *
 * cursor file   &lt;dir&gt;/cursors/&lt;reader name, %-escaped&gt;
 *               int magic 0x43434352 ("CCCR") | int version (1) | long next position | int crc32c(first 16 bytes)
 * </pre>
 */
final class LogFormat {
  private static final Logger log = LoggerFactory.getLogger(LogFormat.class);

  static final int SEGMENT_MAGIC = 0x43434C47;
  static final int SEGMENT_VERSION = 1;
  static final int SEGMENT_HEADER_BYTES = 16;
  static final int RECORD_HEADER_BYTES = 8;
  static final String SEGMENT_SUFFIX = ".seg";

  static final int CURSOR_MAGIC = 0x43434352;
  static final int CURSOR_VERSION = 1;
  static final int CURSOR_BYTES = 20;

  private LogFormat() {}

  static String segmentFileName(long base) {
    return String.format("%020d%s", base, SEGMENT_SUFFIX);
  }

  /** The first position named by a segment file name, or -1 if the name is not a segment's. */
  static long parseSegmentBase(String fileName) {
    if (fileName.length() != 20 + SEGMENT_SUFFIX.length() || !fileName.endsWith(SEGMENT_SUFFIX)) {
      return -1;
    }
    for (int i = 0; i < 20; i++) {
      if (!Character.isDigit(fileName.charAt(i))) {
        return -1;
      }
    }
    try {
      return Long.parseLong(fileName.substring(0, 20));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static ByteBuffer segmentHeader(long base) {
    ByteBuffer b = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
    b.putInt(SEGMENT_MAGIC).putInt(SEGMENT_VERSION).putLong(base).flip();
    return b;
  }

  /** Null when the header is valid for this base, else what is wrong with it. */
  static String checkSegmentHeader(ByteBuffer header, long base) {
    if (header.remaining() < SEGMENT_HEADER_BYTES) {
      return "segment header is short (" + header.remaining() + " of " + SEGMENT_HEADER_BYTES + " bytes)";
    }
    int magic = header.getInt(header.position());
    int version = header.getInt(header.position() + 4);
    long headerBase = header.getLong(header.position() + 8);
    if (magic != SEGMENT_MAGIC) {
      return "not a segment file (bad magic 0x" + Integer.toHexString(magic) + ")";
    }
    if (version != SEGMENT_VERSION) {
      return "unsupported segment version " + version;
    }
    if (headerBase != base) {
      return "segment header names first position " + headerBase + " but the file name " + base;
    }
    return null;
  }

  static int crc32c(byte[] bytes, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, off, len);
    return (int) crc.getValue();
  }

  static int crc32c(ByteBuffer buf) {
    CRC32C crc = new CRC32C();
    crc.update(buf);
    return (int) crc.getValue();
  }

  /** Writes all of {@code buf} at {@code position}. */
  static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      position += ch.write(buf, position);
    }
  }

  /** Reads until {@code buf} is full or the file ends; returns the bytes read. */
  static int readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    int total = 0;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  /**
   * fsyncs a directory so that files created, renamed or deleted in it stay so after a power
   * failure. Not every platform can open a directory (Windows cannot): there it is skipped.
   */
  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("Cannot fsync directory {} (not supported on this platform?)", dir, e);
    }
  }
}

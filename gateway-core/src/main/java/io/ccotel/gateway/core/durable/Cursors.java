package io.ccotel.gateway.core.durable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Reader cursor files: {@code <dir>/cursors/<name>} holding the reader's next position (see {@link
 * LogFormat}). Written atomically: a temporary file (name starting with a dot, which no cursor
 * file does) is written and fsynced, renamed over the cursor, and the directory fsynced; a crash
 * leaves either the old or the new value.
 */
final class Cursors {
  /** Returned by {@link #read} for a file that is there but not a valid cursor. */
  static final long INVALID = -1;

  private Cursors() {}

  /**
   * The file name for a reader name: letters, digits, '-', '_' and '.' (not first) as they are,
   * everything else as %XX of its UTF-8 bytes, so {@code console/json} becomes {@code console%2Fjson}.
   */
  static String fileName(String readerName) {
    StringBuilder sb = new StringBuilder();
    byte[] bytes = readerName.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
          || b == '-' || b == '_' || (b == '.' && i > 0);
      if (plain) {
        sb.append((char) b);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /** The reader name of a cursor file name, or null if the name is not one {@link #fileName} makes. */
  static String readerName(String fileName) {
    if (fileName.isEmpty() || fileName.startsWith(".")) {
      return null;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < fileName.length(); i++) {
      char c = fileName.charAt(i);
      if (c == '%') {
        if (i + 2 >= fileName.length()) {
          return null;
        }
        int hi = Character.digit(fileName.charAt(i + 1), 16);
        int lo = Character.digit(fileName.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        out.write(c);
      } else {
        return null;
      }
    }
    String name = out.toString(StandardCharsets.UTF_8);
    return fileName(name).equals(fileName) ? name : null;
  }

  /** The next position stored in a cursor file, or {@link #INVALID}. */
  static long read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length != LogFormat.CURSOR_BYTES) {
      return INVALID;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int magic = b.getInt();
    int version = b.getInt();
    long next = b.getLong();
    int crc = b.getInt();
    if (magic != LogFormat.CURSOR_MAGIC || version != LogFormat.CURSOR_VERSION
        || crc != LogFormat.crc32c(bytes, 0, 16) || next < 0) {
      return INVALID;
    }
    return next;
  }

  static void write(Path cursorsDir, String fileName, long next) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(LogFormat.CURSOR_BYTES);
    b.putInt(LogFormat.CURSOR_MAGIC).putInt(LogFormat.CURSOR_VERSION).putLong(next);
    b.putInt(LogFormat.crc32c(b.array(), 0, 16));
    b.flip();
    Path tmp = cursorsDir.resolve("." + fileName + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      LogFormat.writeFully(ch, b, 0);
      ch.force(true);
    }
    Files.move(tmp, cursorsDir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    LogFormat.fsyncDirectory(cursorsDir);
  }
}

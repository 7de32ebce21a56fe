package io.ccotel.gateway.core.durable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Walks the records of one segment file through a read-ahead buffer, checking each record's length
 * and checksum. Used by recovery (whole files) and by readers (up to the bytes written so far).
 *
 * <p>Bytes are only ever read below {@link #limit}, which the caller keeps at or below the bytes
 * fully written; since written bytes never change, the read-ahead buffer never goes stale. Not
 * thread-safe.
 */
final class RecordScanner {
  enum Result {
    /** A valid record; see {@link #recordOffset}, {@link #payloadLength}, {@link #payload}. */
    RECORD,
    /** Exactly at the limit: no more records for now. */
    END,
    /** A record that does not fit below the limit: torn (partly written) or a bad length. */
    TORN,
    /** A record that is there but wrong: bad length value or checksum mismatch. */
    CORRUPT
  }

  private final FileChannel channel;
  private final ByteBuffer buf;
  private long bufStart;
  private long offset;
  private long limit;
  private long recordOffset;
  private int payloadLength;
  private byte[] payload;
  private String problem = "";

  RecordScanner(FileChannel channel, int bufferBytes, long startOffset, long limit) {
    this.channel = channel;
    this.buf = ByteBuffer.allocate(bufferBytes);
    this.buf.limit(0);
    this.offset = startOffset;
    this.limit = limit;
  }

  /** File offset of the next record. */
  long offset() {
    return offset;
  }

  long limit() {
    return limit;
  }

  void setLimit(long limit) {
    this.limit = limit;
  }

  long recordOffset() {
    return recordOffset;
  }

  int payloadLength() {
    return payloadLength;
  }

  /** The payload of the last RECORD when it was read with {@code copyPayload}. */
  byte[] payload() {
    return payload;
  }

  /** What was wrong, after TORN or CORRUPT. */
  String problem() {
    return problem;
  }

  /**
   * Reads and checks the next record. On TORN or CORRUPT the offset stays at the bad record.
   *
   * @param copyPayload whether to hand out the payload (readers) or only check it (recovery)
   */
  Result next(boolean copyPayload) throws IOException {
    payload = null;
    long left = limit - offset;
    if (left == 0) {
      return Result.END;
    }
    if (left < LogFormat.RECORD_HEADER_BYTES) {
      problem = "short record header (" + left + " bytes before the end)";
      return Result.TORN;
    }
    if (!ensure(offset, LogFormat.RECORD_HEADER_BYTES)) {
      problem = "file ends inside a record header";
      return Result.TORN;
    }
    int at = (int) (offset - bufStart);
    int length = buf.getInt(at);
    int crc = buf.getInt(at + 4);
    if (length <= 0) {
      problem = "invalid record length " + length;
      return Result.CORRUPT;
    }
    if (length > left - LogFormat.RECORD_HEADER_BYTES) {
      problem = "record length " + length + " goes past the end (" + (left - LogFormat.RECORD_HEADER_BYTES)
          + " bytes left)";
      return Result.TORN;
    }
    int actual;
    byte[] bytes = null;
    long payloadOffset = offset + LogFormat.RECORD_HEADER_BYTES;
    if (LogFormat.RECORD_HEADER_BYTES + length <= buf.capacity()) {
      if (!ensure(offset, LogFormat.RECORD_HEADER_BYTES + length)) {
        problem = "file ends inside a record";
        return Result.TORN;
      }
      int p = (int) (payloadOffset - bufStart);
      ByteBuffer slice = buf.duplicate();
      slice.limit(p + length).position(p);
      if (copyPayload) {
        bytes = new byte[length];
        slice.duplicate().get(bytes);
      }
      actual = LogFormat.crc32c(slice);
    } else {
      // Larger than the read-ahead buffer: read it on its own.
      bytes = new byte[length];
      if (LogFormat.readFully(channel, ByteBuffer.wrap(bytes), payloadOffset) < length) {
        problem = "file ends inside a record";
        return Result.TORN;
      }
      actual = LogFormat.crc32c(bytes, 0, length);
    }
    if (actual != crc) {
      problem = "checksum mismatch (stored 0x" + Integer.toHexString(crc) + ", computed 0x"
          + Integer.toHexString(actual) + ")";
      return Result.CORRUPT;
    }
    recordOffset = offset;
    payloadLength = length;
    payload = copyPayload ? bytes : null;
    offset = payloadOffset + length;
    return Result.RECORD;
  }

  /**
   * Steps over the next record by its length alone (no checksum): positioning a reader inside a
   * segment. Returns RECORD, END or TORN/CORRUPT for a length that cannot be right.
   */
  Result skip() throws IOException {
    long left = limit - offset;
    if (left == 0) {
      return Result.END;
    }
    if (left < LogFormat.RECORD_HEADER_BYTES || !ensure(offset, LogFormat.RECORD_HEADER_BYTES)) {
      problem = "short record header";
      return Result.TORN;
    }
    int length = buf.getInt((int) (offset - bufStart));
    if (length <= 0 || length > left - LogFormat.RECORD_HEADER_BYTES) {
      problem = "invalid record length " + length;
      return Result.CORRUPT;
    }
    offset += LogFormat.RECORD_HEADER_BYTES + length;
    return Result.RECORD;
  }

  /** Makes bytes [from, from + n) available in the buffer; false if the file is shorter. */
  private boolean ensure(long from, int n) throws IOException {
    if (from >= bufStart && from + n <= bufStart + buf.limit()) {
      return true;
    }
    buf.clear();
    int want = (int) Math.min(buf.capacity(), limit - from);
    buf.limit(Math.max(want, 0));
    int got = LogFormat.readFully(channel, buf, from);
    buf.limit(got);
    buf.position(0);
    bufStart = from;
    return got >= n;
  }
}

package io.ccotel.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The Content-Encodings the receiver understands, and bounded decompression: inflating stops as
 * soon as the output would pass the cap, so a small "gzip bomb" costs at most the cap in memory.
 */
enum ContentCoding {
  IDENTITY,
  GZIP,
  DEFLATE;

  static final String ACCEPTED = "gzip, deflate and identity";

  private static final int CHUNK = 64 * 1024;

  /** Thrown when the decompressed body would be larger than the cap. */
  static final class TooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    TooLargeException() {
      super(null, null, false, false);
    }
  }

  /**
   * The coding named by a Content-Encoding header, or null when it is not supported. Absent,
   * empty and {@code identity} mean none; a list with more than one real coding is not supported.
   */
  static ContentCoding parse(String header) {
    if (header == null) {
      return IDENTITY;
    }
    ContentCoding found = IDENTITY;
    for (String token : header.split(",")) {
      String t = token.trim().toLowerCase(Locale.ROOT);
      ContentCoding c =
          switch (t) {
            case "", "identity" -> IDENTITY;
            case "gzip", "x-gzip" -> GZIP;
            case "deflate" -> DEFLATE;
            default -> null;
          };
      if (c == null || (c != IDENTITY && found != IDENTITY)) {
        return null;
      }
      if (c != IDENTITY) {
        found = c;
      }
    }
    return found;
  }

  /**
   * Decompresses {@code in} (not consumed, not released) into a new buffer of at most {@code
   * maxBytes} bytes, which the caller must release.
   *
   * @throws TooLargeException if the output would pass {@code maxBytes}
   * @throws OtlpDecodeException if the body is not valid for this coding
   */
  ByteBuf decompress(ByteBufAllocator alloc, ByteBuf in, long maxBytes)
      throws TooLargeException, OtlpDecodeException {
    if (this == IDENTITY) {
      throw new IllegalStateException("identity needs no decompression");
    }
    int cap = (int) Math.min(maxBytes, Integer.MAX_VALUE);
    // Guess 4x (protobuf and JSON telemetry compress 4x to 10x); the buffer grows up to the cap.
    int initial = (int) Math.min(cap, Math.max(4096L, 4L * in.readableBytes()));
    ByteBuf out = alloc.heapBuffer(initial, cap);
    Inflater rawInflater = null;
    boolean ok = false;
    try {
      InputStream src = new ByteBufInputStream(in.duplicate());
      InputStream inflating;
      if (this == GZIP) {
        inflating = new GZIPInputStream(src, CHUNK);
      } else if (isZlibHeader(in)) {
        inflating = new InflaterInputStream(src);
      } else {
        // Some clients send raw DEFLATE (RFC 1951) for "deflate" instead of the zlib format.
        rawInflater = new Inflater(true);
        inflating = new InflaterInputStream(src, rawInflater);
      }
      try (InputStream z = inflating) {
        byte[] chunk = new byte[(int) Math.min(CHUNK, (long) cap + 1)];
        long total = 0;
        int n;
        while ((n = z.read(chunk)) >= 0) {
          total += n;
          if (total > cap) {
            throw new TooLargeException();
          }
          out.writeBytes(chunk, 0, n);
        }
      }
      ok = true;
      return out;
    } catch (EOFException e) {
      throw new OtlpDecodeException("the " + name().toLowerCase(Locale.ROOT) + " body ends too early (truncated)", e);
    } catch (IOException e) {
      throw new OtlpDecodeException(
          "the body is not valid " + name().toLowerCase(Locale.ROOT) + " (Content-Encoding: "
              + name().toLowerCase(Locale.ROOT) + "): " + e.getMessage(),
          e);
    } finally {
      if (rawInflater != null) {
        rawInflater.end();
      }
      if (!ok) {
        out.release();
      }
    }
  }

  /** RFC 1950: CM = 8 (deflate) and the header check bits make CMF*256 + FLG a multiple of 31. */
  private static boolean isZlibHeader(ByteBuf in) {
    if (in.readableBytes() < 2) {
      return false;
    }
    int cmf = in.getUnsignedByte(in.readerIndex());
    int flg = in.getUnsignedByte(in.readerIndex() + 1);
    return (cmf & 0x0F) == 8 && ((cmf << 8) | flg) % 31 == 0;
  }
}

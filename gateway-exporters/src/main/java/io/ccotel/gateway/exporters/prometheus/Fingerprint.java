package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * A 128-bit digest (the first half of SHA-256) of an input identity: metric name, resource,
 * scope, point attributes, times and value. The accumulator keeps these instead of the attribute
 * sets themselves, so remembering a point costs a few dozen bytes, not the whole attribute list;
 * with 128 bits an accidental collision is out of reach (about 1e-26 for a million entries).
 */
record Fingerprint(long hi, long lo) {

  /**
   * Feeds values into a digest; not thread-safe, reused by one thread at a time. The input is
   * collected in a buffer and digested in one call at {@link #build} (a digest call per small value
   * cost more than the hashing itself); the bytes digested are exactly those the values stand for,
   * so fingerprints are the same as when each value was fed on its own (and as those saved in state
   * files).
   */
  static final class Builder {
    private static final int MAX_KEPT_BUFFER = 1 << 16;

    private final MessageDigest digest;
    private byte[] buf = new byte[1024];
    private final byte[] out = new byte[32];
    private int pos;

    Builder() {
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        // Every Java platform must provide SHA-256 (MessageDigest javadoc).
        throw new IllegalStateException(e);
      }
    }

    private void ensure(int more) {
      if (pos + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(pos + more, buf.length * 2));
      }
    }

    Builder reset() {
      // The digest itself is only fed in build(), which leaves it reset.
      pos = 0;
      return this;
    }

    Builder put(Fingerprint f) {
      putLong(f.hi);
      return putLong(f.lo);
    }

    Builder putByte(int b) {
      ensure(1);
      buf[pos++] = (byte) b;
      return this;
    }

    Builder putInt(int v) {
      ensure(4);
      writeInt(buf, pos, v);
      pos += 4;
      return this;
    }

    private static void writeInt(byte[] b, int at, int v) {
      b[at] = (byte) (v >>> 24);
      b[at + 1] = (byte) (v >>> 16);
      b[at + 2] = (byte) (v >>> 8);
      b[at + 3] = (byte) v;
    }

    Builder putLong(long v) {
      ensure(8);
      byte[] b = buf;
      int p = pos;
      for (int i = 7; i >= 0; i--) {
        b[p + i] = (byte) v;
        v >>>= 8;
      }
      pos = p + 8;
      return this;
    }

    Builder putDouble(double v) {
      return putLong(Double.doubleToLongBits(v));
    }

    /** The UTF-8 bytes (as {@link String#getBytes} gives them), after their length. */
    Builder putString(String s) {
      int len = s.length();
      ensure(4 + len);
      byte[] b = buf;
      int start = pos + 4;
      // ASCII (nearly always): one byte per char, written in place; no early exit in the loop, so
      // that it compiles to a plain copy. Otherwise the bytes are overwritten below.
      int seen = 0;
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        seen |= c;
        b[start + i] = (byte) c;
      }
      if (seen < 0x80) {
        writeInt(b, pos, len);
        pos = start + len;
        return this;
      }
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      putInt(utf8.length);
      putBytes(utf8, 0, utf8.length);
      return this;
    }

    private void putBytes(byte[] bytes, int offset, int length) {
      ensure(length);
      System.arraycopy(bytes, offset, buf, pos, length);
      pos += length;
    }

    Builder putResource(Resource r) {
      putAttributes(r.attributes());
      return putString(r.schemaUrl());
    }

    Builder putScope(Scope s) {
      putString(s.name());
      putString(s.version());
      return putAttributes(s.attributes());
    }

    Builder putAttributes(Attributes a) {
      putInt(a.size());
      for (int i = 0; i < a.size(); i++) {
        putString(a.key(i));
        putValue(a.value(i));
      }
      return this;
    }

    // A type tag before each value, so that "1" (string) and 1 (int) differ.
    private void putValue(Object v) {
      if (v instanceof String s) {
        putByte('s').putString(s);
      } else if (v instanceof Boolean b) {
        putByte('b').putByte(b ? 1 : 0);
      } else if (v instanceof Long l) {
        putByte('l').putLong(l);
      } else if (v instanceof Double d) {
        putByte('d').putDouble(d);
      } else if (v instanceof ByteBuffer bb) {
        ByteBuffer dup = bb.duplicate();
        int n = dup.remaining();
        putByte('y').putInt(n);
        ensure(n);
        dup.get(buf, pos, n);
        pos += n;
      } else if (v instanceof List<?> list) {
        putByte('a').putInt(list.size());
        for (Object e : list) {
          putValue(e);
        }
      } else if (v instanceof Attributes kv) {
        putByte('m').putAttributes(kv);
      } else {
        putByte('o').putString(String.valueOf(v));
      }
    }

    Fingerprint build() {
      byte[] d = out;
      try {
        digest.update(buf, 0, pos);
        digest.digest(d, 0, d.length); // and resets it
      } catch (DigestException e) {
        throw new IllegalStateException(e); // cannot happen: the array has room for the digest
      } finally {
        pos = 0;
        if (buf.length > MAX_KEPT_BUFFER) {
          buf = new byte[1024]; // one huge input does not pin a large buffer to the thread
        }
      }
      long hi = 0;
      long lo = 0;
      for (int i = 0; i < 8; i++) {
        hi = (hi << 8) | (d[i] & 0xff);
        lo = (lo << 8) | (d[i + 8] & 0xff);
      }
      return new Fingerprint(hi, lo);
    }
  }
}

package io.ccotel.gateway.exporters.prometheus;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * A 128-bit digest (the first half of SHA-256) of an input identity: metric name, resource,
 * scope, point attributes, times and value. The accumulator keeps these instead of the attribute
 * sets themselves, so remembering a point costs a few dozen bytes, not the whole attribute list;
 * with 128 bits an accidental collision is out of reach (about 1e-26 for a million entries).
 */
record Fingerprint(long hi, long lo) {

  /** Feeds values into a digest; not thread-safe, reused by one thread at a time. */
  static final class Builder {
    private final MessageDigest digest;
    private final byte[] scratch = new byte[8];

    Builder() {
      try {
        digest = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        // Every Java platform must provide SHA-256 (MessageDigest javadoc).
        throw new IllegalStateException(e);
      }
    }

    Builder reset() {
      digest.reset();
      return this;
    }

    Builder put(Fingerprint f) {
      putLong(f.hi);
      return putLong(f.lo);
    }

    Builder putByte(int b) {
      digest.update((byte) b);
      return this;
    }

    Builder putInt(int v) {
      scratch[0] = (byte) (v >>> 24);
      scratch[1] = (byte) (v >>> 16);
      scratch[2] = (byte) (v >>> 8);
      scratch[3] = (byte) v;
      digest.update(scratch, 0, 4);
      return this;
    }

    Builder putLong(long v) {
      for (int i = 7; i >= 0; i--) {
        scratch[i] = (byte) v;
        v >>>= 8;
      }
      digest.update(scratch, 0, 8);
      return this;
    }

    Builder putDouble(double v) {
      return putLong(Double.doubleToLongBits(v));
    }

    Builder putString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      putInt(b.length);
      digest.update(b);
      return this;
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
        putByte('y').putInt(dup.remaining());
        digest.update(dup);
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
      byte[] d = digest.digest();
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

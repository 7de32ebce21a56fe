package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The builder collects its input in a buffer: fingerprints must stay exactly those of feeding each
 * value to the digest on its own (the previous implementation, kept here as the reference), as
 * they are saved in state files and compared with those of the previous run.
 */
class FingerprintTest {

  /** The streaming implementation the buffered builder replaced, verbatim in what it digests. */
  static final class Reference {
    private final MessageDigest digest;
    private final byte[] scratch = new byte[8];

    Reference() throws Exception {
      digest = MessageDigest.getInstance("SHA-256");
    }

    Reference put(Fingerprint f) {
      putLong(f.hi());
      return putLong(f.lo());
    }

    Reference putByte(int b) {
      digest.update((byte) b);
      return this;
    }

    Reference putInt(int v) {
      scratch[0] = (byte) (v >>> 24);
      scratch[1] = (byte) (v >>> 16);
      scratch[2] = (byte) (v >>> 8);
      scratch[3] = (byte) v;
      digest.update(scratch, 0, 4);
      return this;
    }

    Reference putLong(long v) {
      for (int i = 7; i >= 0; i--) {
        scratch[i] = (byte) v;
        v >>>= 8;
      }
      digest.update(scratch, 0, 8);
      return this;
    }

    Reference putDouble(double v) {
      return putLong(Double.doubleToLongBits(v));
    }

    Reference putString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      putInt(b.length);
      digest.update(b);
      return this;
    }

    Reference putResource(Resource r) {
      putAttributes(r.attributes());
      return putString(r.schemaUrl());
    }

    Reference putScope(Scope s) {
      putString(s.name());
      putString(s.version());
      return putAttributes(s.attributes());
    }

    Reference putAttributes(Attributes a) {
      putInt(a.size());
      for (int i = 0; i < a.size(); i++) {
        putString(a.key(i));
        putValue(a.value(i));
      }
      return this;
    }

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

  private static final String[] STRINGS = {
    "", "a", "claude-opus-5-5", "é", "日本語", "emoji \uD83D\uDE00", "lone \uD800 surrogate", "\uDC00", "\u007f\u0080",
    "x".repeat(70_000)
  };

  private static Object value(SplittableRandom r, int depth) {
    int kind = r.nextInt(depth > 2 ? 5 : 7);
    return switch (kind) {
      case 0 -> STRINGS[r.nextInt(STRINGS.length)] + r.nextInt(100);
      case 1 -> r.nextBoolean();
      case 2 -> r.nextLong();
      case 3 -> r.nextInt(3) == 0 ? Double.NaN : r.nextDouble() * 1e6;
      case 4 -> {
        byte[] b = new byte[r.nextInt(300)];
        r.nextBytes(b);
        ByteBuffer bb = ByteBuffer.allocate(b.length + 4);
        bb.put(new byte[2]).put(b).flip().position(2); // a slice that does not start at 0
        yield bb.asReadOnlyBuffer();
      }
      case 5 -> {
        List<Object> list = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
          list.add(value(r, depth + 1));
        }
        yield list;
      }
      default -> attributes(r, depth + 1);
    };
  }

  private static Attributes attributes(SplittableRandom r, int depth) {
    Attributes.Builder b = Attributes.builder();
    for (int i = r.nextInt(depth == 0 ? 14 : 4); i > 0; i--) {
      b.add(STRINGS[r.nextInt(STRINGS.length - 1)] + "k" + r.nextInt(5), value(r, depth));
    }
    return b.build();
  }

  @Test
  void theBufferedBuilderDigestsExactlyWhatTheStreamingOneDid() throws Exception {
    SplittableRandom r = new SplittableRandom(42);
    Fingerprint.Builder builder = new Fingerprint.Builder();
    for (int round = 0; round < 400; round++) {
      Resource resource = new Resource(attributes(r, 0), r.nextBoolean() ? "" : "https://schema/" + round);
      Scope scope = new Scope(STRINGS[r.nextInt(STRINGS.length)], "1." + round, attributes(r, 1));
      Attributes point = attributes(r, 0);
      String name = STRINGS[r.nextInt(STRINGS.length)] + "metric";
      long start = r.nextLong();
      double v = r.nextDouble();
      Fingerprint expectedId = new Reference().putString(name).putString("SUM").putResource(resource).putScope(scope).build();
      Fingerprint id = builder.reset().putString(name).putString("SUM").putResource(resource).putScope(scope).build();
      assertThat(id).isEqualTo(expectedId);
      Fingerprint expected =
          new Reference().put(expectedId).putAttributes(point).putLong(start).putByte('n').putDouble(v).putInt(round).build();
      // Reused without reset after build, as the accumulator's thread-local one is between points.
      Fingerprint actual = builder.reset().put(id).putAttributes(point).putLong(start).putByte('n').putDouble(v).putInt(round).build();
      assertThat(actual).as("round %d", round).isEqualTo(expected);
    }
  }

  @Test
  void aKnownInputHasItsKnownFingerprint() {
    // SHA-256 of 00 00 00 01 'a' (putString("a")): first 16 bytes.
    Fingerprint f = new Fingerprint.Builder().reset().putString("a").build();
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest(new byte[] {0, 0, 0, 1, 'a'});
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(HexFormat.of().formatHex(digest, 0, 16))
        .isEqualTo(String.format("%016x%016x", f.hi(), f.lo()));
  }
}

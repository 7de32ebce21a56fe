package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.model.Attributes;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/** String helpers shared by the processors: UTF-8 sizes, surrogates, short value descriptions. */
final class Texts {
  static final char REPLACEMENT = '\uFFFD';

  private Texts() {}

  /** Bytes of {@code s} in UTF-8 (an unpaired surrogate counts as the 3 bytes of U+FFFD). */
  static long utf8Length(String s) {
    long n = 0;
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Whether {@code s} is certainly at most {@code max} UTF-8 bytes, without counting. */
  static boolean surelyWithin(String s, long max) {
    return (long) s.length() * 3 <= max;
  }

  /** The longest prefix of {@code s} of at most {@code maxBytes} UTF-8 bytes; never splits a pair. */
  static String prefixWithinBytes(String s, long maxBytes) {
    long n = 0;
    int len = s.length();
    int i = 0;
    while (i < len) {
      char c = s.charAt(i);
      int chars = 1;
      int bytes;
      if (c < 0x80) {
        bytes = 1;
      } else if (c < 0x800) {
        bytes = 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes = 4;
        chars = 2;
      } else {
        bytes = 3;
      }
      if (n + bytes > maxBytes) {
        break;
      }
      n += bytes;
      i += chars;
    }
    return s.substring(0, i);
  }

  /** Index of the first unpaired surrogate, or -1. */
  static int firstUnpairedSurrogate(String s) {
    int len = s.length();
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      }
    }
    return -1;
  }

  /** {@code s} with every unpaired surrogate replaced by U+FFFD (what a UTF-8 encoder would need). */
  static String fixSurrogates(String s) {
    int first = firstUnpairedSurrogate(s);
    if (first < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    sb.append(s, 0, first);
    int len = s.length();
    for (int i = first; i < len; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(i + 1));
        i++;
      } else if (Character.isSurrogate(c)) {
        sb.append(REPLACEMENT);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** A value for a message: strings quoted and cut to 64 characters, others in their text form. */
  static String describe(Object v) {
    if (v instanceof String s) {
      String shown = s.length() > 64 ? s.substring(0, 64) + "…" : s;
      return "\"" + fixSurrogates(shown) + "\"";
    }
    if (v instanceof ByteBuffer) {
      return "bytes";
    }
    String text = Attributes.valueToString(v);
    return fixSurrogates(text.length() > 64 ? text.substring(0, 64) + "…" : text);
  }

  /** A key or name for a message: cut to 64 characters, surrogates fixed. */
  static String name(String s) {
    return fixSurrogates(s.length() > 64 ? s.substring(0, 64) + "…" : s);
  }

  /** Nanoseconds since the epoch (unsigned, as OTLP's fixed64) as an ISO instant. */
  static String instant(long nanos) {
    if (nanos < 0) {
      return Long.toUnsignedString(nanos) + " ns";
    }
    return Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L).toString();
  }

  /** {@code 10m}, {@code 90s}, {@code 500ms}: as the configuration writes durations. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms > 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms > 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms > 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000L == 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }

  /** A number point value as sent: {@code -1.0} for a double, {@code -1} for an int. */
  static String number(boolean isDouble, double d, long l) {
    return isDouble ? Double.toString(d) : Long.toString(l);
  }
}

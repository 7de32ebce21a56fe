package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.model.Attributes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One accepted bearer token: the SHA-256 digest of the token (the token itself is never kept) and
 * the identity attributes a request carrying it gets. Immutable and thread-safe.
 *
 * <p>{@link #toString} shows the first eight hex digits of the digest and where the entry was
 * written, never the token.
 */
public final class TokenEntry {
  static final int DIGEST_BYTES = 32;

  private final byte[] sha256;
  private final Attributes attributes;
  private final String source;

  private TokenEntry(byte[] sha256, Attributes attributes, String source) {
    this.sha256 = sha256;
    this.attributes = Objects.requireNonNull(attributes, "attributes");
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * An entry for a token given in clear; only its digest is kept.
   *
   * @param source where it was written, for messages: {@code auth.tokens[2]}, {@code tokens.txt line 7}
   * @throws IllegalArgumentException if the token is empty or contains white space or control
   *     characters (an {@code Authorization} header could not carry it); the message never quotes it
   */
  public static TokenEntry ofToken(String token, Attributes attributes, String source) {
    checkToken(token);
    return new TokenEntry(sha256(token), attributes, source);
  }

  /**
   * An entry for a token known only by its SHA-256 digest, 64 hex digits (either case), as {@code
   * printf %s "$TOKEN" | sha256sum} prints it.
   *
   * @throws IllegalArgumentException if {@code hex} is not 64 hex digits
   */
  public static TokenEntry ofSha256(String hex, Attributes attributes, String source) {
    String h = hex.trim();
    if (h.length() != DIGEST_BYTES * 2 || !h.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException(
          "expected a SHA-256 digest of 64 hex digits, got " + h.length() + " characters");
    }
    return new TokenEntry(HexFormat.of().parseHex(h), attributes, source);
  }

  /** The identity attributes given to requests with this token (may be empty). */
  public Attributes attributes() {
    return attributes;
  }

  /** Where the entry was written, e.g. {@code auth.tokens[0]} or {@code /etc/gw/tokens.txt line 3}. */
  public String source() {
    return source;
  }

  /** The first eight hex digits of the digest: enough to tell entries apart in a log line. */
  public String digestPrefix() {
    return digestPrefix(sha256);
  }

  /** The digest itself (a copy). */
  public byte[] sha256() {
    return sha256.clone();
  }

  byte[] digestNoCopy() {
    return sha256;
  }

  boolean sameToken(TokenEntry other) {
    return MessageDigest.isEqual(sha256, other.sha256);
  }

  static String digestPrefix(byte[] digest) {
    return HexFormat.of().formatHex(digest, 0, 4);
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  static void checkToken(String token) {
    if (token.isEmpty()) {
      throw new IllegalArgumentException("the token is empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "the token contains white space or a control character (at position " + (i + 1) + ")");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenEntry t && Arrays.equals(sha256, t.sha256) && attributes.equals(t.attributes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(sha256) + attributes.hashCode();
  }

  @Override
  public String toString() {
    return "token sha256:" + digestPrefix() + "... " + attributes + " (" + source + ")";
  }
}

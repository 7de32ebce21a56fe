package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.model.Attributes;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the tokens file ({@code auth.tokens_file}): one token per line, then its identity
 * attributes.
 *
 * <pre>
 * # Lines starting with # and blank lines are ignored.
 * # TOKEN                  ATTRIBUTES (key=value pairs separated by commas; optional)
 * 6f1c3e0a9b5d4f7e8a2c     team.id=platform, department=eng, tenant=acme
 * sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08   team.id=data, tenant=acme
 * </pre>
 *
 * <p>The first field is the bearer token itself, or {@code sha256:} followed by the 64 hex digits
 * of its SHA-256 digest (so that the file need not hold the secret: {@code printf %s "$TOKEN" |
 * sha256sum}). Fields are separated by white space; a token cannot contain any. Attribute keys and
 * values are trimmed; a value may contain spaces and {@code =} but not a comma. The same token twice
 * is an error.
 *
 * <p>Error messages give the line number and never quote a line (it may hold a token).
 */
final class TokensFile {
  static final String SHA256_PREFIX = "sha256:";

  private TokensFile() {}

  /** A format error; the message names the file and line, never the line's text. */
  static final class FormatException extends Exception {
    FormatException(String message) {
      super(message);
    }
  }

  static List<TokenEntry> read(Path file) throws IOException, FormatException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw new FormatException(file + ": not UTF-8 text");
    }
    return parse(text.lines().toList(), file.toString());
  }

  static List<TokenEntry> parse(List<String> lines, String name) throws FormatException {
    List<TokenEntry> out = new ArrayList<>();
    List<Integer> lineOf = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      int lineNo = i + 1;
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int ws = 0;
      while (ws < line.length() && !Character.isWhitespace(line.charAt(ws))) {
        ws++;
      }
      String first = line.substring(0, ws);
      String rest = line.substring(ws).strip();
      String where = name + " line " + lineNo;
      Attributes attributes;
      try {
        attributes = attributes(rest);
      } catch (IllegalArgumentException e) {
        throw new FormatException(where + ": " + e.getMessage());
      }
      TokenEntry entry;
      try {
        entry =
            first.regionMatches(true, 0, SHA256_PREFIX, 0, SHA256_PREFIX.length())
                ? TokenEntry.ofSha256(first.substring(SHA256_PREFIX.length()), attributes, where)
                : TokenEntry.ofToken(first, attributes, where);
      } catch (IllegalArgumentException e) {
        throw new FormatException(where + ": " + e.getMessage());
      }
      for (int j = 0; j < out.size(); j++) {
        if (out.get(j).sameToken(entry)) {
          throw new FormatException(
              where + ": the same token as line " + lineOf.get(j) + " (sha256 " + entry.digestPrefix() + "...)");
        }
      }
      out.add(entry);
      lineOf.add(lineNo);
    }
    return List.copyOf(out);
  }

  /** {@code key=value, key=value}; empty text is no attributes. */
  static Attributes attributes(String text) {
    if (text.isEmpty()) {
      return Attributes.empty();
    }
    Attributes.Builder b = Attributes.builder();
    Set<String> seen = new HashSet<>();
    for (String pair : text.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "expected attributes as key=value pairs separated by commas (pair " + (seen.size() + 1) + " has no =)");
      }
      String key = pair.substring(0, eq).strip();
      String value = pair.substring(eq + 1).strip();
      if (key.isEmpty() || value.isEmpty()) {
        throw new IllegalArgumentException("an attribute key or value is empty (pair " + (seen.size() + 1) + ")");
      }
      if (!seen.add(key)) {
        throw new IllegalArgumentException("attribute " + key + " is given twice");
      }
      b.add(key, value);
    }
    return b.build();
  }
}

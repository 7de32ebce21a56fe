package io.ccotel.gateway.testkit.loki;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Parses a stream's label string ({@code {a="x", b="y"}}) as Loki does (its LogQL parser: label
 * names {@code [a-zA-Z_][a-zA-Z0-9_]*}, only {@code =}, values in double quotes with Go escapes),
 * and writes the canonical form: names sorted, {@code ", "} between pairs.
 */
public final class LokiLabelParser {
  private LokiLabelParser() {}

  /** A label string Loki cannot parse. */
  public static final class ParseException extends Exception {
    ParseException(String message) {
      super(message);
    }
  }

  /** The pairs in the order written; duplicates are kept (the caller reports them). */
  public static List<Map.Entry<String, String>> parse(String text) throws ParseException {
    Cursor c = new Cursor(text);
    c.skipSpace();
    c.expect('{');
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    c.skipSpace();
    if (c.peek() == '}') {
      c.next();
    } else {
      while (true) {
        c.skipSpace();
        String name = c.name();
        c.skipSpace();
        c.expect('=');
        c.skipSpace();
        String value = c.quoted();
        pairs.add(Map.entry(name, value));
        c.skipSpace();
        char ch = c.next();
        if (ch == '}') {
          break;
        }
        if (ch != ',') {
          throw c.error("unexpected \"" + ch + "\" in label matching, expected \",\" or \"}\"");
        }
      }
    }
    c.skipSpace();
    if (!c.atEnd()) {
      throw c.error("unexpected characters after the closing brace");
    }
    return pairs;
  }

  /** The canonical text of a label set: {@code {a="x", b="y"}}, names sorted. */
  public static String format(Map<String, String> labels) {
    SortedMap<String, String> sorted = labels instanceof SortedMap<String, String> s ? s : new TreeMap<>(labels);
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(e.getKey()).append("=\"");
      escape(sb, e.getValue());
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  static void escape(StringBuilder sb, String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }

  static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      if (!(letter || (i > 0 && c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  private static final class Cursor {
    private final String s;
    private int i;

    Cursor(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return i >= s.length();
    }

    char peek() {
      return atEnd() ? '\0' : s.charAt(i);
    }

    char next() throws ParseException {
      if (atEnd()) {
        throw error("unexpected end of input");
      }
      return s.charAt(i++);
    }

    void skipSpace() {
      while (!atEnd() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    void expect(char ch) throws ParseException {
      char got = next();
      if (got != ch) {
        throw error("unexpected \"" + got + "\", expected \"" + ch + "\"");
      }
    }

    String name() throws ParseException {
      int start = i;
      while (!atEnd()) {
        char c = s.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > start && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        i++;
      }
      if (i == start) {
        throw error("unexpected \"" + peek() + "\", expected a label name");
      }
      return s.substring(start, i);
    }

    String quoted() throws ParseException {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return sb.toString();
        }
        if (c == '\n') {
          throw error("unterminated quoted string");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case 'a' -> sb.append('\u0007');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'v' -> sb.append('\u000b');
          case '\\' -> sb.append('\\');
          case '"' -> sb.append('"');
          case 'x' -> sb.append((char) hex(2));
          case 'u' -> sb.append((char) hex(4));
          case 'U' -> {
            int cp = hex(8);
            if (!Character.isValidCodePoint(cp)) {
              throw error("escape sequence is an invalid Unicode code point");
            }
            sb.appendCodePoint(cp);
          }
          default -> throw error("invalid escape \\" + e + " in a quoted string");
        }
      }
    }

    private int hex(int digits) throws ParseException {
      if (i + digits > s.length()) {
        throw error("short escape sequence");
      }
      try {
        int v = Integer.parseUnsignedInt(s.substring(i, i + digits), 16);
        i += digits;
        return v;
      } catch (NumberFormatException e) {
        throw error("invalid hex escape");
      }
    }

    ParseException error(String what) {
      return new ParseException("parse error at line 1, col " + (i + 1) + ": " + what);
    }
  }
}

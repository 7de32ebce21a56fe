package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.model.Attributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces known secrets in text by {@code [REDACTED:<kind>]}, counting each by kind. Patterns run
 * in a fixed order (PEM blocks first, so a key inside one is counted once; vendor keys before
 * {@code Bearer} and {@code password=}, whose values are left alone when already redacted).
 *
 * <p>Stateless and thread-safe. Over-redaction is preferred to a leak: {@code Bearer
 * authentication} loses its second word.
 */
final class SecretScrubber {
  /** Label values of {@code gateway_redactions_total{kind}}. */
  enum Kind {
    PRIVATE_KEY,
    ANTHROPIC_API_KEY,
    OPENAI_API_KEY,
    AWS_SECRET_ACCESS_KEY,
    AWS_ACCESS_KEY_ID,
    GITHUB_TOKEN,
    SLACK_TOKEN,
    BEARER_TOKEN,
    PASSWORD,
    /** Not a secret pattern: a sensitive attribute removed (or user.email dropped). */
    REMOVED_ATTRIBUTE,
    /** Not a secret pattern: user.email replaced by its keyed hash. */
    EMAIL_HASHED;

    String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One pattern; the secret is the first of {@code groups} that matched, else the whole match. */
  private record Rule(Kind kind, Pattern pattern, List<String> groups) {}

  private static final List<Rule> RULES = new ArrayList<>();

  static {
    rule(Kind.PRIVATE_KEY,
        "-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            + "(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*)",
        Pattern.DOTALL);
    rule(Kind.ANTHROPIC_API_KEY, "(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{8,}", 0);
    // sk-… and sk-proj-…: at least 20 characters with a digit, so prose like "sk-learn" stays.
    rule(Kind.OPENAI_API_KEY, "(?<![A-Za-z0-9_-])sk-(?!ant-)(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}", 0);
    rule(Kind.AWS_SECRET_ACCESS_KEY,
        "(?:aws_?)?secret_?access_?key(?:\\\\?[\"'])?[ \\t]*[:=][ \\t]*(?:\\\\?[\"'])?"
            + "(?<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        Pattern.CASE_INSENSITIVE, "s");
    rule(Kind.AWS_ACCESS_KEY_ID, "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", 0);
    rule(Kind.GITHUB_TOKEN,
        "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})", 0);
    rule(Kind.SLACK_TOKEN, "(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}", 0);
    rule(Kind.BEARER_TOKEN, "(?<![A-Za-z0-9])bearer\\s+(?<s>[A-Za-z0-9\\-._~+/]{8,}=*)", Pattern.CASE_INSENSITIVE, "s");
    // password=x, password: x, "password":"x", 'password': 'x', and \"password\":\"x\" inside a
    // JSON string (tool_input holds JSON); the key and quotes stay, the value goes.
    rule(Kind.PASSWORD,
        "passw(?:or)?d(?:\\\\?[\"'])?[ \\t]*[:=][ \\t]*"
            + "(?:\\\\\"(?<s>(?:(?!\\\\\")[^\\r\\n])+)\\\\\""
            + "|\"(?<s2>(?:\\\\.|[^\"\\\\\\r\\n])+)\""
            + "|'(?<s3>[^'\\r\\n]+)'"
            + "|(?<s4>[^\\s,;&\"'}\\\\]+))",
        Pattern.CASE_INSENSITIVE, "s", "s2", "s3", "s4");
  }

  private static void rule(Kind kind, String regex, int flags, String... groups) {
    RULES.add(new Rule(kind, Pattern.compile(regex, flags), List.of(groups)));
  }

  private SecretScrubber() {}

  static String marker(Kind kind) {
    return "[REDACTED:" + kind.id() + "]";
  }

  /** {@code s} with every known secret replaced; {@code counts[kind.ordinal()]} grows per secret. */
  static String scrub(String s, long[] counts) {
    String out = s;
    for (Rule r : RULES) {
      out = apply(r, out, counts);
    }
    return out;
  }

  /** Strings inside {@code v} (arrays and maps too) scrubbed; the same object when nothing changed. */
  static Object scrubValue(Object v, long[] counts) {
    if (v instanceof String s) {
      return scrub(s, counts);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      boolean changed = false;
      for (Object e : list) {
        Object n = scrubValue(e, counts);
        changed |= n != e;
        out.add(n);
      }
      return changed ? List.copyOf(out) : v;
    }
    if (v instanceof Attributes kv) {
      Attributes.Builder b = Attributes.builder(kv.size());
      boolean changed = false;
      for (int i = 0; i < kv.size(); i++) {
        Object n = scrubValue(kv.value(i), counts);
        changed |= n != kv.value(i);
        b.add(kv.key(i), n);
      }
      return changed ? b.build() : v;
    }
    return v;
  }

  private static String apply(Rule rule, String s, long[] counts) {
    Matcher m = rule.pattern().matcher(s);
    if (!m.find()) {
      return s;
    }
    StringBuilder sb = null;
    int last = 0;
    String marker = marker(rule.kind());
    do {
      int start = m.start();
      int end = m.end();
      for (String g : rule.groups()) {
        if (m.start(g) >= 0) {
          start = m.start(g);
          end = m.end(g);
          break;
        }
      }
      if (start == end || isMarker(s, start, end)) {
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder(s.length());
      }
      sb.append(s, last, start).append(marker);
      last = end;
      counts[rule.kind().ordinal()]++;
    } while (m.find());
    if (sb == null) {
      return s;
    }
    sb.append(s, last, s.length());
    return sb.toString();
  }

  /** Whether s[start, end) is already a {@code [REDACTED:…]} marker (a vendor key found earlier). */
  private static boolean isMarker(String s, int start, int end) {
    return s.startsWith("[REDACTED:", start) && s.charAt(end - 1) == ']' && s.indexOf(']', start) == end - 1;
  }
}

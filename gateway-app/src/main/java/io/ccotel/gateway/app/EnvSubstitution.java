package io.ccotel.gateway.app;

import io.ccotel.gateway.core.config.ConfigException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${env:NAME}} and {@code ${env:NAME:-default}} in the configuration text before it
 * is parsed, as the OpenTelemetry Collector does. {@code $$} stands for a literal {@code $}. An
 * unset variable without a default is an error naming the variable and the line.
 */
final class EnvSubstitution {
  private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}|\\$\\{[^}]*}");

  private EnvSubstitution() {}

  static String apply(String text, Map<String, String> env) {
    Matcher m = REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String token = m.group();
      String replacement;
      if (token.equals("$$")) {
        replacement = "$";
      } else if (m.group(1) == null) {
        throw new ConfigException(
            "line " + lineOf(text, m.start()),
            "unsupported reference " + token + "; write ${env:NAME} or ${env:NAME:-default}");
      } else {
        String value = env.get(m.group(1));
        if (value == null) {
          if (m.group(2) == null) {
            throw new ConfigException(
                "line " + lineOf(text, m.start()),
                "environment variable " + m.group(1) + " is not set (give a default with ${env:" + m.group(1) + ":-value})");
          }
          value = m.group(2);
        }
        replacement = value;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static int lineOf(String text, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }
}

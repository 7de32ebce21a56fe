package io.ccotel.gateway.app;

import io.ccotel.gateway.core.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${env:NAME}} and {@code ${env:NAME:-default}} in the string values of the parsed
 * configuration, as the OpenTelemetry Collector does; {@code $$} stands for a literal {@code $}.
 * Only values are expanded (never keys or comments), so a variable cannot inject YAML structure.
 * An unset variable without a default is an error naming the key and the variable.
 */
final class EnvSubstitution {
  private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}|\\$\\{[^}]*}");

  private EnvSubstitution() {}

  /** A copy of the YAML tree (maps, lists, scalars) with every string value expanded. */
  static Object applyTree(Object node, String path, Map<String, String> env) {
    if (node instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> {
        String key = String.valueOf(k);
        out.put(key, applyTree(v, path.isEmpty() ? key : path + "." + key, env));
      });
      return out;
    }
    if (node instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        out.add(applyTree(list.get(i), path + "[" + i + "]", env));
      }
      return out;
    }
    if (node instanceof String s) {
      return apply(s, path, env);
    }
    return node;
  }

  static String apply(String text, String path, Map<String, String> env) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    Matcher m = REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String token = m.group();
      String replacement;
      if (token.equals("$$")) {
        replacement = "$";
      } else if (m.group(1) == null) {
        throw new ConfigException(path, "unsupported reference " + token + "; write ${env:NAME} or ${env:NAME:-default}");
      } else {
        String value = env.get(m.group(1));
        if (value == null) {
          if (m.group(2) == null) {
            throw new ConfigException(
                path,
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
}

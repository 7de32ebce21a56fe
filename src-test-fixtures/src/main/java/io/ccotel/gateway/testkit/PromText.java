package io.ccotel.gateway.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small parser of the Prometheus text exposition, so tests compare values as numbers and label
 * sets as maps rather than depending on number formatting.
 */
public final class PromText {
  private PromText() {}

  public record Sample(String name, Map<String, String> labels, double value) {}

  public static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name;
      Map<String, String> labels = new TreeMap<>();
      int rest;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int i = brace + 1;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String key = line.substring(i, eq).trim();
          StringBuilder val = new StringBuilder();
          int j = eq + 2; // skip ="
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char n = line.charAt(++j);
              val.append(n == 'n' ? '\n' : n);
            } else {
              val.append(c);
            }
            j++;
          }
          labels.put(key, val.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        rest = i + 1;
      } else {
        name = line.substring(0, space);
        rest = space;
      }
      String[] valueAndTs = line.substring(rest).trim().split(" ");
      out.add(new Sample(name, Map.copyOf(labels), parseValue(valueAndTs[0])));
    }
    return out;
  }

  private static double parseValue(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  /** Samples of one metric name whose labels include all of {@code match}. */
  public static List<Sample> select(List<Sample> samples, String name, Map<String, String> match) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name().equals(name) && s.labels().entrySet().containsAll(match.entrySet())) {
        out.add(s);
      }
    }
    return out;
  }

  /** The sum of the values of the selected samples. */
  public static double sum(List<Sample> samples, String name, Map<String, String> match) {
    double total = 0;
    for (Sample s : select(samples, name, match)) {
      total += s.value();
    }
    return total;
  }
}

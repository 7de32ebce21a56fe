package io.ccotel.gateway.core.model;

import java.util.Locale;

/** The three OTLP signals. */
public enum Signal {
  METRICS("data points"),
  LOGS("log records"),
  TRACES("spans");

  private final String itemName;

  Signal(String itemName) {
    this.itemName = itemName;
  }

  /** What one item of this signal is called in answers to clients ("data points"). */
  public String itemName() {
    return itemName;
  }

  /** Lower-case name used in configuration and metric labels ("metrics"). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Signal fromId(String id) {
    for (Signal s : values()) {
      if (s.id().equals(id)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown signal '" + id + "' (expected metrics, logs or traces)");
  }
}

package io.ccotel.gateway.core.model;

import java.util.Objects;

/** The instrumentation scope (library) that produced the telemetry. */
public record Scope(String name, String version, Attributes attributes) {
  private static final Scope EMPTY = new Scope("", "", Attributes.empty());

  public Scope {
    name = name == null ? "" : name;
    version = version == null ? "" : version;
    Objects.requireNonNull(attributes, "attributes");
  }

  public static Scope empty() {
    return EMPTY;
  }

  public static Scope of(String name, String version) {
    return new Scope(name, version, Attributes.empty());
  }
}

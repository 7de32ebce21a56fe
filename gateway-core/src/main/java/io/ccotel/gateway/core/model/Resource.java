package io.ccotel.gateway.core.model;

import java.util.Objects;

/** The entity that produced the telemetry (OTLP Resource). Shared by reference by all its items. */
public record Resource(Attributes attributes, String schemaUrl) {
  private static final Resource EMPTY = new Resource(Attributes.empty(), "");

  public Resource {
    Objects.requireNonNull(attributes, "attributes");
    schemaUrl = schemaUrl == null ? "" : schemaUrl;
  }

  public static Resource empty() {
    return EMPTY;
  }

  public static Resource of(Attributes attributes) {
    return new Resource(attributes, "");
  }
}

package io.ccotel.gateway.core.config;

/** A configuration error; the message names the key (dotted path) and says what is expected. */
public final class ConfigException extends RuntimeException {
  private final String path;

  public ConfigException(String path, String message) {
    super(path.isEmpty() ? message : path + ": " + message);
    this.path = path;
  }

  public String path() {
    return path;
  }
}

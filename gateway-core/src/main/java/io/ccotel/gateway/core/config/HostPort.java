package io.ccotel.gateway.core.config;

/** A listen address: host (or 0.0.0.0 for all interfaces) and port (0 = pick a free one). */
public record HostPort(String host, int port) {
  public HostPort {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host is empty");
    }
  }

  public static HostPort of(String host, int port) {
    return new HostPort(host, port);
  }

  /** Parses {@code host:port}, {@code [::1]:port} or a bare {@code port}. */
  public static HostPort parse(String s) {
    String t = s.trim();
    String host = "0.0.0.0";
    String port = t;
    if (t.startsWith("[")) {
      int close = t.indexOf("]:");
      if (close < 0) {
        throw new IllegalArgumentException("expected [ipv6]:port, got \"" + s + "\"");
      }
      host = t.substring(1, close);
      port = t.substring(close + 2);
    } else if (t.contains(":")) {
      int i = t.lastIndexOf(':');
      host = t.substring(0, i);
      port = t.substring(i + 1);
    }
    try {
      return new HostPort(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected host:port such as 0.0.0.0:4317, got \"" + s + "\"");
    }
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}

package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A receiver's {@code tls} section: serve TLS, and optionally ask clients for a certificate (mTLS).
 *
 * <pre>
 * receivers:
 *   otlp_http:          # or otlp_grpc
 *     tls:
 *       cert_file: /etc/ccotel/tls/server.crt   # PEM: the certificate, then its intermediates
 *       key_file: /etc/ccotel/tls/server.key    # PEM: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted
 *       client_ca_file: /etc/ccotel/tls/ca.crt  # optional: PEM CA certificate(s); turns on mTLS
 *       client_auth: require                    # with client_ca_file: require (default) | optional
 *       reload_interval: 1m                     # how often the files are checked; 0s = never
 * </pre>
 *
 * <p>Changed files (modification time, size or inode) are loaded for new connections without a
 * restart; connections already open keep their session. A new certificate whose key does not match
 * (one file renewed before the other) is not used until both match. A client certificate must chain
 * to {@code client_ca_file} and be within its validity dates.
 *
 * @param certFile {@code cert_file}
 * @param keyFile {@code key_file}
 * @param clientCaFile {@code client_ca_file}, or null (no client certificates asked for)
 * @param clientAuth {@code client_auth}: NONE exactly when there is no client CA file
 * @param reloadInterval {@code reload_interval} (default 1m); zero means never
 */
public record TlsConfig(Path certFile, Path keyFile, Path clientCaFile, ClientAuth clientAuth, Duration reloadInterval) {
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofMinutes(1);

  static final List<String> KEYS = List.of("cert_file", "key_file", "client_ca_file", "client_auth", "reload_interval");

  /** Whether clients must, may, or are not asked to present a certificate. */
  public enum ClientAuth {
    NONE,
    OPTIONAL,
    REQUIRE
  }

  public TlsConfig {
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    Objects.requireNonNull(clientAuth, "clientAuth");
    Objects.requireNonNull(reloadInterval, "reloadInterval");
    if ((clientCaFile == null) != (clientAuth == ClientAuth.NONE)) {
      throw new IllegalArgumentException(
          clientCaFile == null
              ? "client_auth needs client_ca_file (the CA that signs client certificates)"
              : "with client_ca_file, client_auth must be require or optional");
    }
    if (reloadInterval.isNegative()) {
      throw new IllegalArgumentException("reload_interval must not be negative, got " + reloadInterval);
    }
  }

  /** Server TLS only, files checked every minute. */
  public static TlsConfig of(Path certFile, Path keyFile) {
    return new TlsConfig(certFile, keyFile, null, ClientAuth.NONE, DEFAULT_RELOAD_INTERVAL);
  }

  public TlsConfig withClientCa(Path caFile, ClientAuth auth) {
    return new TlsConfig(certFile, keyFile, caFile, auth, reloadInterval);
  }

  public TlsConfig withReloadInterval(Duration interval) {
    return new TlsConfig(certFile, keyFile, clientCaFile, clientAuth, interval);
  }

  /**
   * Reads a receiver's {@code tls} section; null when the section is absent or empty (plain text).
   * Checks that the files exist and can be read; their content is checked when the receiver starts
   * ({@link TlsCredentials#load}).
   *
   * @throws ConfigException naming the key
   */
  public static TlsConfig parse(ConfigNode node) {
    if (node.isEmpty()) {
      return null;
    }
    node.checkKnownKeys(KEYS);
    Path cert = readable(node, "cert_file", true);
    Path key = readable(node, "key_file", true);
    Path ca = readable(node, "client_ca_file", false);
    ClientAuth auth = ClientAuth.NONE;
    if (ca != null) {
      auth = node.oneOf("client_auth", "require", "require", "optional").equals("require")
          ? ClientAuth.REQUIRE
          : ClientAuth.OPTIONAL;
    } else if (node.has("client_auth")) {
      throw new ConfigException(node.pathOf("client_auth"), "needs client_ca_file (the CA that signs client certificates)");
    }
    Duration interval = node.duration("reload_interval", DEFAULT_RELOAD_INTERVAL);
    return new TlsConfig(cert, key, ca, auth, interval);
  }

  private static Path readable(ConfigNode node, String key, boolean required) {
    String s = required ? node.requiredString(key) : node.string(key, null);
    if (s == null) {
      return null;
    }
    Path p = Path.of(s.trim());
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new ConfigException(node.pathOf(key), "cannot read the file " + p.toAbsolutePath());
    }
    return p;
  }
}

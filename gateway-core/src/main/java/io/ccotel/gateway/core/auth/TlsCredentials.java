package io.ccotel.gateway.core.auth;

import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key and trust managers of one receiver's {@link TlsConfig}, for any JSSE-based server (Netty's
 * {@code SslContextBuilder.forServer(keyManager()).trustManager(trustManager())} with the JDK
 * provider). Both re-read their PEM files when they change (at most once per {@code
 * reload_interval}, when a handshake needs them), so new connections get a renewed certificate and
 * a rotated client CA without a restart. Thread-safe.
 */
public final class TlsCredentials {
  private static final Logger log = LoggerFactory.getLogger(TlsCredentials.class);

  private final TlsConfig config;
  private final ReloadingKeyManager keyManager;
  private final ReloadingTrustManager trustManager;

  private TlsCredentials(TlsConfig config, ReloadingKeyManager keyManager, ReloadingTrustManager trustManager) {
    this.config = config;
    this.keyManager = keyManager;
    this.trustManager = trustManager;
  }

  /**
   * Loads the certificate, key and client CA files now.
   *
   * @param configPath the YAML path of the section, for messages: {@code receivers.otlp_http.tls}
   * @throws IOException naming the key and the file when one cannot be read or parsed, or when
   *     the key does not belong to the certificate
   */
  public static TlsCredentials load(TlsConfig config, Clock clock, String configPath) throws IOException {
    Objects.requireNonNull(config, "config");
    ReloadingKeyManager km =
        ReloadingKeyManager.load(config.certFile(), config.keyFile(), configPath, clock, config.reloadInterval());
    ReloadingTrustManager tm =
        config.clientCaFile() == null
            ? null
            : ReloadingTrustManager.load(config.clientCaFile(), configPath, clock, config.reloadInterval());
    log.info(
        "{}: serving {}{}", configPath, ReloadingKeyManager.describe(km.certificate()),
        tm == null ? "" : "; client certificates " + config.clientAuth().name().toLowerCase(java.util.Locale.ROOT)
            + " (CA from " + config.clientCaFile() + ")");
    return new TlsCredentials(config, km, tm);
  }

  public TlsConfig config() {
    return config;
  }

  /** The server certificate and key; picks up renewed files. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** Verifies client certificates against {@code client_ca_file}; null without one (no mTLS). */
  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** The certificate new connections are served. */
  public X509Certificate certificate() {
    return keyManager.certificate();
  }

  /** Checks every file now, whatever the interval; true if anything new was loaded. */
  public boolean reloadIfChanged() {
    boolean k = keyManager.reloadIfChanged();
    boolean t = trustManager != null && trustManager.reloadIfChanged();
    return k || t;
  }

  /** The verified client certificate of a TLS session, or null when the client sent none. */
  public static X509Certificate peerCertificate(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}

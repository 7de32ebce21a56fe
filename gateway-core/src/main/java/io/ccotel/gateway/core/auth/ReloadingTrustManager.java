package io.ccotel.gateway.core.auth;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies client certificates against the CA certificates of {@code client_ca_file} with the JDK's
 * PKIX trust manager (chain, signatures, validity dates, key usage), re-reading the file at most once
 * per interval when it changed. A file that cannot be loaded leaves the previous CAs in force and is
 * logged once. Server-side only. Thread-safe.
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingTrustManager.class);

  private record Trusted(X509ExtendedTrustManager delegate, X509Certificate[] cas, FileStamp stamp) {}

  private final Path caFile;
  private final String configPath;
  private final Clock clock;
  private final long intervalMillis;
  private final AtomicLong nextCheckMillis;
  private final Object lock = new Object();
  private volatile Trusted current;
  // guarded by lock
  private FileStamp failed;
  private String lastError;

  private ReloadingTrustManager(Path caFile, String configPath, Clock clock, Duration interval, Trusted first) {
    this.caFile = caFile;
    this.configPath = configPath;
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
    this.nextCheckMillis = new AtomicLong(clock.millis() + intervalMillis);
    this.current = first;
  }

  static ReloadingTrustManager load(Path caFile, String configPath, Clock clock, Duration interval) throws IOException {
    try {
      return new ReloadingTrustManager(caFile, configPath, clock, interval, read(caFile, configPath));
    } catch (GeneralSecurityException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static Trusted read(Path caFile, String configPath) throws IOException, GeneralSecurityException {
    FileStamp stamp = FileStamp.of(caFile);
    List<X509Certificate> cas;
    try {
      cas = PemFiles.certificates(caFile);
    } catch (IOException | GeneralSecurityException e) {
      throw new GeneralSecurityException(configPath + ".client_ca_file: " + e.getMessage(), e);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    for (int i = 0; i < cas.size(); i++) {
      ks.setCertificateEntry("ca-" + i, cas.get(i));
    }
    // PKIX with a KeyStore: revocation checking is off, as there is no CRL or OCSP to ask.
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return new Trusted(x, cas.toArray(new X509Certificate[0]), stamp);
      }
    }
    throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
  }

  /** Checks the file now, whatever the interval; true if new CAs were loaded. */
  boolean reloadIfChanged() {
    synchronized (lock) {
      Trusted t = current;
      FileStamp stamp;
      try {
        stamp = FileStamp.of(caFile);
      } catch (IOException e) {
        logOnce(configPath + ".client_ca_file: cannot read " + caFile + " (" + e + "); keeping the "
            + t.cas().length + " CA certificate(s) in force");
        return false;
      }
      if (stamp.equals(t.stamp()) || stamp.equals(failed)) {
        return false;
      }
      Trusted next;
      try {
        next = read(caFile, configPath);
      } catch (IOException | GeneralSecurityException e) {
        failed = stamp;
        logOnce(e.getMessage() + "; keeping the " + t.cas().length + " CA certificate(s) in force");
        return false;
      }
      current = next;
      failed = null;
      lastError = null;
      log.info("{}.client_ca_file: loaded {} CA certificate(s) from {}", configPath, next.cas().length, caFile);
      return true;
    }
  }

  // guarded by lock
  private void logOnce(String message) {
    if (!message.equals(lastError)) {
      log.error("{}", message);
      lastError = message;
    }
  }

  private X509ExtendedTrustManager delegate() {
    if (intervalMillis > 0) {
      long now = clock.millis();
      long next = nextCheckMillis.get();
      if (now >= next && nextCheckMillis.compareAndSet(next, now + intervalMillis)) {
        reloadIfChanged();
      }
    }
    return current.delegate();
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    delegate().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    delegate().checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw new CertificateException("this trust manager verifies client certificates only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("this trust manager verifies client certificates only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("this trust manager verifies client certificates only");
  }

  /** The CAs named in the server's certificate request, so clients pick a matching certificate. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    delegate();
    return current.cas().clone();
  }
}

package io.ccotel.gateway.core.auth;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's certificate and key from PEM files, checked again at most once per interval when a
 * handshake starts (no thread of its own). Each loaded pair gets a new alias, so a handshake that
 * chose the old pair still gets the old key while new handshakes get the new one. A pair that
 * cannot be loaded, or whose key does not match its certificate, is logged once and not used; the
 * previous pair stays. Thread-safe.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);

  record Served(String alias, PrivateKey key, X509Certificate[] chain, FileStamp certStamp, FileStamp keyStamp) {}

  private final Path certFile;
  private final Path keyFile;
  private final String configPath;
  private final Clock clock;
  private final long intervalMillis;
  private final AtomicLong nextCheckMillis;
  private final AtomicInteger generation = new AtomicInteger();
  private final Object lock = new Object();
  private volatile Served current;
  private volatile Served previous;
  // guarded by lock: the stamps of the last pair that failed, and the last error logged (once)
  private FileStamp failedCert;
  private FileStamp failedKey;
  private String lastError;

  private ReloadingKeyManager(Path certFile, Path keyFile, String configPath, Clock clock, Duration interval, Served first) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.configPath = configPath;
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
    this.nextCheckMillis = new AtomicLong(clock.millis() + intervalMillis);
    this.current = first;
  }

  /**
   * Loads the pair now.
   *
   * @throws IOException naming the key and file when the files cannot be read or do not match
   */
  static ReloadingKeyManager load(Path certFile, Path keyFile, String configPath, Clock clock, Duration interval)
      throws IOException {
    Served first;
    try {
      first = read(certFile, keyFile, configPath, "server-0");
    } catch (GeneralSecurityException e) {
      throw new IOException(e.getMessage(), e);
    }
    return new ReloadingKeyManager(certFile, keyFile, configPath, clock, interval, first);
  }

  private static Served read(Path certFile, Path keyFile, String configPath, String alias)
      throws IOException, GeneralSecurityException {
    FileStamp certStamp = FileStamp.of(certFile);
    FileStamp keyStamp = FileStamp.of(keyFile);
    List<X509Certificate> chain;
    PrivateKey key;
    try {
      chain = PemFiles.certificates(certFile);
    } catch (IOException | GeneralSecurityException e) {
      throw new GeneralSecurityException(configPath + ".cert_file: " + e.getMessage(), e);
    }
    try {
      key = PemFiles.privateKey(keyFile);
    } catch (IOException | GeneralSecurityException e) {
      throw new GeneralSecurityException(configPath + ".key_file: " + e.getMessage(), e);
    }
    if (!PemFiles.matches(key, chain.get(0))) {
      throw new GeneralSecurityException(
          configPath + ": the key in " + keyFile + " does not belong to the certificate in " + certFile
              + " (subject " + chain.get(0).getSubjectX500Principal() + ")");
    }
    return new Served(alias, key, chain.toArray(new X509Certificate[0]), certStamp, keyStamp);
  }

  /** The certificate served to new connections. */
  X509Certificate certificate() {
    return current.chain()[0];
  }

  /** Checks the files now, whatever the interval; true if a new pair was loaded. */
  boolean reloadIfChanged() {
    synchronized (lock) {
      Served s = current;
      FileStamp certStamp;
      FileStamp keyStamp;
      try {
        certStamp = FileStamp.of(certFile);
        keyStamp = FileStamp.of(keyFile);
      } catch (IOException e) {
        logOnce(configPath + ": cannot read the certificate or key file (" + e + "); still serving "
            + describe(s.chain()[0]));
        return false;
      }
      if (certStamp.equals(s.certStamp()) && keyStamp.equals(s.keyStamp())) {
        return false;
      }
      if (certStamp.equals(failedCert) && keyStamp.equals(failedKey)) {
        return false; // the same broken pair as last time: already logged
      }
      Served next;
      try {
        next = read(certFile, keyFile, configPath, "server-" + generation.incrementAndGet());
      } catch (IOException | GeneralSecurityException e) {
        failedCert = certStamp;
        failedKey = keyStamp;
        logOnce(e.getMessage() + "; still serving " + describe(s.chain()[0]));
        return false;
      }
      previous = s;
      current = next;
      failedCert = null;
      failedKey = null;
      lastError = null;
      log.info("{}: loaded a new certificate from {}: {}", configPath, certFile, describe(next.chain()[0]));
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

  static String describe(X509Certificate c) {
    return "subject " + c.getSubjectX500Principal() + ", serial " + c.getSerialNumber().toString(16)
        + ", valid until " + c.getNotAfter().toInstant();
  }

  private void maybeReload() {
    if (intervalMillis <= 0) {
      return;
    }
    long now = clock.millis();
    long next = nextCheckMillis.get();
    if (now >= next && nextCheckMillis.compareAndSet(next, now + intervalMillis)) {
      reloadIfChanged();
    }
  }

  private Served find(String alias) {
    Served s = current;
    if (s.alias().equals(alias)) {
      return s;
    }
    Served p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  /**
   * JSSE asks once per key type it could use ("RSA", "RSASSA-PSS", "EC", "EdDSA", or TLS 1.2 forms
   * such as "EC_RSA"); the pair is offered for the type of its key.
   */
  private String aliasFor(String keyType) {
    Served s = current;
    String alg = s.key().getAlgorithm();
    if (keyType == null) {
      return null;
    }
    return keyType.equals(alg) || keyType.startsWith(alg + "_") ? s.alias() : null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    maybeReload();
    return aliasFor(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    maybeReload();
    return aliasFor(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = aliasFor(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Served s = find(alias);
    return s == null ? null : s.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Served s = find(alias);
    return s == null ? null : s.key();
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}

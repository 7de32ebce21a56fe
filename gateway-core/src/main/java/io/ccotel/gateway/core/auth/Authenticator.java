package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.TelemetryBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides who a request comes from: its bearer token (the {@code Authorization} header, or the gRPC
 * metadata {@code authorization}) and, with {@code client_cert_identity}, its verified TLS client
 * certificate. Built from an enabled {@link AuthConfig}; shared by all receivers.
 *
 * <p>Rules of {@link #authenticate}:
 *
 * <ul>
 *   <li>a header is present: it must be {@code Bearer <token>} with a known token, else {@link
 *       AuthResult.Invalid}; the identity is the token's attributes (plus the certificate's, see
 *       below);
 *   <li>no header: with {@code client_cert_identity} and a client certificate (verified by the TLS
 *       layer against {@code client_ca_file}), the identity is the certificate's; else {@link
 *       AuthResult.Missing}.
 * </ul>
 *
 * The certificate identity is {@code client.cn}, {@code client.o} and {@code client.ou} from its
 * subject (several values of one type joined with commas); a token's attributes win over it.
 *
 * <p>Tokens are compared by SHA-256 digest with {@link MessageDigest#isEqual} against every entry
 * (no early exit), so the time taken says nothing about how close a guess was. Only digests are
 * kept. Nothing here logs a token; a refused token appears at DEBUG as its digest's first eight
 * hex digits.
 *
 * <p>The tokens file is checked at most once per {@code reload_interval}, by the request that finds
 * the interval over (no thread of its own): when its modification time, size or inode changed it
 * is read again. A file that cannot be read or parsed, or that is empty (0 bytes: taken for a write
 * in progress), leaves the previous tokens in force and is logged once per change. Write the file
 * elsewhere and rename it over the old one to replace it atomically.
 *
 * <p>Thread-safe; {@link #authenticate} never blocks except while a changed file is re-read.
 */
public final class Authenticator {
  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  /** The certificate subject parts that become identity attributes, by RDN type. */
  static final Map<String, String> CERT_ATTRIBUTES = Map.of("CN", "client.cn", "O", "client.o", "OU", "client.ou");

  private static final String BEARER = "Bearer";

  private final AuthConfig config;
  private final Clock clock;
  private final Path file;
  private final long intervalMillis;
  private final AtomicLong nextCheckMillis;
  private final Object reloadLock = new Object();
  private volatile Tokens tokens;
  // guarded by reloadLock
  private FileStamp lastStamp;

  /** The accepted digests, their identities, and the union of identity keys. */
  private record Tokens(byte[][] digests, Attributes[] identities, Set<String> identityKeys, int fromFile) {
    static Tokens of(List<TokenEntry> inline, List<TokenEntry> fromFile, boolean certIdentity) {
      List<TokenEntry> all = new ArrayList<>(inline);
      all.addAll(fromFile);
      byte[][] digests = new byte[all.size()][];
      Attributes[] identities = new Attributes[all.size()];
      Set<String> keys = new LinkedHashSet<>();
      for (int i = 0; i < all.size(); i++) {
        digests[i] = all.get(i).digestNoCopy();
        identities[i] = all.get(i).attributes();
        all.get(i).attributes().forEach((k, v) -> keys.add(k));
      }
      if (certIdentity) {
        keys.addAll(CERT_ATTRIBUTES.values());
      }
      return new Tokens(digests, identities, Set.copyOf(keys), fromFile.size());
    }
  }

  private Authenticator(AuthConfig config, Clock clock, List<TokenEntry> fromFile, FileStamp stamp) {
    this.config = config;
    this.clock = clock;
    this.file = config.tokensFile();
    this.intervalMillis = config.reloadInterval().toMillis();
    this.nextCheckMillis = new AtomicLong(clock.millis() + intervalMillis);
    this.lastStamp = stamp;
    this.tokens = Tokens.of(config.tokens(), fromFile, config.clientCertIdentity());
  }

  /**
   * Builds the authenticator and reads the tokens file once.
   *
   * @throws IllegalArgumentException if {@code config} is not enabled
   * @throws ConfigException naming {@code auth.tokens_file} if the file cannot be read or parsed,
   *     or holds a token that is also inline
   */
  public static Authenticator create(AuthConfig config, Clock clock) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    if (!config.enabled()) {
      throw new IllegalArgumentException("auth is not enabled; build no Authenticator (receivers then accept every request)");
    }
    List<TokenEntry> fromFile = List.of();
    FileStamp stamp = null;
    Path file = config.tokensFile();
    String key = AuthConfig.SECTION + ".tokens_file";
    if (file != null) {
      try {
        stamp = FileStamp.of(file);
        fromFile = TokensFile.read(file);
      } catch (IOException e) {
        throw new ConfigException(key, "cannot read " + file + ": " + e);
      } catch (TokensFile.FormatException e) {
        throw new ConfigException(key, e.getMessage());
      }
      String clash = clash(config.tokens(), fromFile);
      if (clash != null) {
        throw new ConfigException(key, clash);
      }
    }
    Authenticator a = new Authenticator(config, clock, fromFile, stamp);
    log.info(
        "authentication on: {} inline token(s){}{}; client attributes {}",
        config.tokens().size(),
        file == null ? "" : ", " + fromFile.size() + " from " + file
            + (config.reloadInterval().isZero() ? "" : " (checked every " + human(config.reloadInterval()) + ")"),
        config.clientCertIdentity() ? ", client certificate identity" : "",
        config.overrideClientAttributes() ? "overridden by the identity" : "kept where set");
    return a;
  }

  public AuthConfig config() {
    return config;
  }

  /** Whether identity attributes replace what clients send ({@code override_client_attributes}). */
  public boolean overrideClientAttributes() {
    return config.overrideClientAttributes();
  }

  /** How many tokens are accepted right now (inline and from the file). */
  public int tokenCount() {
    return tokens.digests().length;
  }

  /** Every key any identity can set: the anti-spoofing set (see {@link Identity}). */
  public Set<String> identityKeys() {
    return tokens.identityKeys();
  }

  /**
   * Who sent a request.
   *
   * @param authorization the {@code Authorization} header value (gRPC: {@code authorization}
   *     metadata), or null when absent
   * @param peerCertificate the client's TLS certificate (already verified by the TLS layer), or null
   */
  public AuthResult authenticate(String authorization, X509Certificate peerCertificate) {
    maybeReload();
    Attributes certIdentity =
        config.clientCertIdentity() && peerCertificate != null
            ? certificateIdentity(peerCertificate.getSubjectX500Principal())
            : Attributes.empty();
    if (authorization == null || authorization.isBlank()) {
      if (config.clientCertIdentity() && peerCertificate != null) {
        return new AuthResult.Ok(certIdentity);
      }
      return AuthResult.Missing.INSTANCE;
    }
    String value = authorization.strip();
    int sp = 0;
    while (sp < value.length() && value.charAt(sp) != ' ' && value.charAt(sp) != '\t') {
      sp++;
    }
    if (!value.substring(0, sp).equalsIgnoreCase(BEARER)) {
      return new AuthResult.Invalid("the Authorization header must use the Bearer scheme: \"Authorization: Bearer <token>\"");
    }
    String token = value.substring(sp).strip();
    if (token.isEmpty()) {
      return new AuthResult.Invalid("the bearer token is empty");
    }
    byte[] digest = TokenEntry.sha256(token);
    Tokens t = tokens;
    int found = -1;
    // Every entry is compared, without stopping at a match.
    for (int i = 0; i < t.digests().length; i++) {
      boolean same = MessageDigest.isEqual(t.digests()[i], digest);
      found = same && found < 0 ? i : found;
    }
    if (found < 0) {
      if (log.isDebugEnabled()) {
        log.debug("refused an unknown bearer token (sha256 {}...)", TokenEntry.digestPrefix(digest));
      }
      return new AuthResult.Invalid("the bearer token is not valid (unknown or revoked)");
    }
    Attributes identity = t.identities()[found];
    return new AuthResult.Ok(certIdentity.isEmpty() ? identity : certIdentity.withAll(identity));
  }

  /**
   * The batch with {@code identity} applied per {@code override_client_attributes}, the keys of
   * every other identity being reserved (see {@link Identity#apply(TelemetryBatch, Attributes, Set,
   * boolean)}).
   */
  public TelemetryBatch apply(TelemetryBatch batch, Attributes identity) {
    return Identity.apply(batch, identity, tokens.identityKeys(), config.overrideClientAttributes());
  }

  /** {@code client.cn}, {@code client.o}, {@code client.ou} from a certificate subject. */
  static Attributes certificateIdentity(X500Principal subject) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    try {
      List<Rdn> rdns = new LdapName(subject.getName(X500Principal.RFC2253)).getRdns();
      // LdapName lists RDNs from the last (least specific) to the first; keep the subject's order.
      for (int i = rdns.size() - 1; i >= 0; i--) {
        Rdn rdn = rdns.get(i);
        String attr = CERT_ATTRIBUTES.get(rdn.getType().toUpperCase(java.util.Locale.ROOT));
        if (attr != null && rdn.getValue() instanceof String s && !s.isBlank()) {
          values.computeIfAbsent(attr, k -> new ArrayList<>()).add(s);
        }
      }
    } catch (InvalidNameException e) {
      return Attributes.empty();
    }
    Attributes.Builder b = Attributes.builder();
    for (String attr : List.of("client.cn", "client.o", "client.ou")) {
      List<String> v = values.get(attr);
      if (v != null) {
        b.put(attr, String.join(",", v));
      }
    }
    return b.build();
  }

  private void maybeReload() {
    if (file == null || intervalMillis <= 0) {
      return;
    }
    long now = clock.millis();
    long next = nextCheckMillis.get();
    if (now < next || !nextCheckMillis.compareAndSet(next, now + intervalMillis)) {
      return;
    }
    synchronized (reloadLock) {
      reloadIfChanged();
    }
  }

  // guarded by reloadLock
  private void reloadIfChanged() {
    String key = AuthConfig.SECTION + ".tokens_file";
    FileStamp stamp;
    try {
      stamp = FileStamp.of(file);
    } catch (IOException e) {
      if (lastStamp != null) {
        log.error("{}: cannot read {} ({}); keeping the {} tokens in force", key, file, e, tokenCount());
        lastStamp = null;
      }
      return;
    }
    if (stamp.equals(lastStamp)) {
      return;
    }
    lastStamp = stamp;
    if (stamp.size() == 0) {
      log.warn("{}: {} is empty (a write in progress?); keeping the {} tokens in force", key, file, tokenCount());
      return;
    }
    List<TokenEntry> fromFile;
    try {
      fromFile = TokensFile.read(file);
    } catch (IOException e) {
      log.error("{}: cannot read {} ({}); keeping the {} tokens in force", key, file, e, tokenCount());
      return;
    } catch (TokensFile.FormatException e) {
      log.error("{}: {}; keeping the {} tokens in force", key, e.getMessage(), tokenCount());
      return;
    }
    String clash = clash(config.tokens(), fromFile);
    if (clash != null) {
      log.error("{}: {}; keeping the {} tokens in force", key, clash, tokenCount());
      return;
    }
    int before = tokens.fromFile();
    tokens = Tokens.of(config.tokens(), fromFile, config.clientCertIdentity());
    log.info("{}: reloaded {}: {} token(s), {} before", key, file, fromFile.size(), before);
  }

  private static String human(java.time.Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static String clash(List<TokenEntry> inline, List<TokenEntry> fromFile) {
    for (TokenEntry f : fromFile) {
      for (TokenEntry i : inline) {
        if (f.sameToken(i)) {
          return f.source() + " is the same token as " + i.source();
        }
      }
    }
    return null;
  }
}

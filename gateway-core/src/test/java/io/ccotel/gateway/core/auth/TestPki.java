package io.ccotel.gateway.core.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * A throw-away PKI made at test time (no private key is committed), with the JDK alone: X.509 v3
 * certificates written in DER here and signed with {@link Signature}, EC P-256 keys as PKCS#8 PEM.
 * (keytool would do, but each call is a JVM start: on a 2-CPU machine the 19 calls took 8 s.)
 *
 * <p>Contents: a CA; two server certificates for {@code localhost} / 127.0.0.1 ({@code server},
 * and {@code server2} for reload tests); a client certificate {@code CN=laptop-42, OU=platform,
 * O=acme}; an {@code expired} client certificate (valid from two days ago until yesterday); and a
 * {@code rogue} client certificate from {@code other-ca}. Made once per JVM.
 */
public final class TestPki {
  private static TestPki instance;

  final Path dir;
  private final Map<String, X509Certificate> certs = new HashMap<>();
  private final Map<String, KeyPair> keys = new HashMap<>();
  private final SecureRandom random = new SecureRandom();

  private TestPki(Path dir) {
    this.dir = dir;
  }

  public static synchronized TestPki get() {
    if (instance == null) {
      try {
        Path dir = Files.createTempDirectory("ccotel-pki");
        TestPki pki = new TestPki(dir);
        pki.generate();
        instance = pki;
      } catch (Exception e) {
        throw new IllegalStateException("could not make the test PKI", e);
      }
    }
    return instance;
  }

  public Path caCert() {
    return cert("ca");
  }

  public Path otherCaCert() {
    return cert("other-ca");
  }

  /** The leaf certificate followed by its CA certificate. */
  public Path certChain(String name) {
    return dir.resolve(name + "-chain.pem");
  }

  public Path cert(String name) {
    return dir.resolve(name + ".pem");
  }

  public Path key(String name) {
    return dir.resolve(name + ".key");
  }

  public X509Certificate x509(String name) {
    return certs.get(name);
  }

  public PrivateKey privateKey(String name) {
    return keys.get(name).getPrivate();
  }

  /** Trusts the test CA only. */
  public X509TrustManager caTrustManager() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", certs.get("ca"));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A client SSLContext (new each time, so no session is resumed) that trusts the test CA and, when
   * {@code clientName} is not null, presents that client certificate.
   */
  public SSLContext clientContext(String clientName) {
    try {
      KeyManager[] kms = null;
      if (clientName != null) {
        char[] pw = "pw".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(clientName, privateKey(clientName), pw, new X509Certificate[] {certs.get(clientName)});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        kms = kmf.getKeyManagers();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kms, new TrustManager[] {caTrustManager()}, null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void generate() throws Exception {
    Instant now = Instant.now();
    Duration day = Duration.ofDays(1);
    make("ca", "CN=ccotel test CA", null, now.minus(day), now.plus(day.multipliedBy(3)), true, false);
    make("other-ca", "CN=some other CA", null, now.minus(day), now.plus(day.multipliedBy(3)), true, false);
    make("server", "CN=localhost", "ca", now.minus(day), now.plus(day.multipliedBy(3)), false, true);
    make("server2", "CN=localhost, O=renewed", "ca", now.minus(day), now.plus(day.multipliedBy(3)), false, true);
    make("client", "CN=laptop-42, OU=platform, O=acme", "ca", now.minus(day), now.plus(day.multipliedBy(3)), false, false);
    make("expired", "CN=old-laptop, O=acme", "ca", now.minus(day.multipliedBy(2)), now.minus(day), false, false);
    make("rogue", "CN=intruder, O=elsewhere", "other-ca", now.minus(day), now.plus(day.multipliedBy(3)), false, false);
  }

  private void make(String name, String subject, String issuerName, Instant from, Instant until, boolean ca, boolean server)
      throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    KeyPair pair = g.generateKeyPair();
    X500Principal subjectName = new X500Principal(subject);
    X500Principal issuer = issuerName == null ? subjectName : certs.get(issuerName).getSubjectX500Principal();
    PrivateKey signer = issuerName == null ? pair.getPrivate() : keys.get(issuerName).getPrivate();

    byte[] ecdsaWithSha256 = seq(oid(1, 2, 840, 10045, 4, 3, 2));
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    if (ca) {
      // basicConstraints (critical): cA TRUE; keyUsage (critical): keyCertSign, cRLSign.
      ext.writeBytes(seq(oid(2, 5, 29, 19), tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, seq(tlv(0x01, new byte[] {(byte) 0xff})))));
      ext.writeBytes(seq(oid(2, 5, 29, 15), tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, tlv(0x03, new byte[] {0x01, 0x06}))));
    }
    if (server) {
      // subjectAltName: DNS localhost, IP 127.0.0.1.
      byte[] san = seq(tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)), tlv(0x87, new byte[] {127, 0, 0, 1}));
      ext.writeBytes(seq(oid(2, 5, 29, 17), tlv(0x04, san)));
    }
    byte[] tbs = seq(
        tlv(0xa0, tlv(0x02, new byte[] {2})),
        tlv(0x02, new BigInteger(63, random).add(BigInteger.ONE).toByteArray()),
        ecdsaWithSha256,
        issuer.getEncoded(),
        seq(time(from), time(until)),
        subjectName.getEncoded(),
        pair.getPublic().getEncoded(),
        ext.size() == 0 ? new byte[0] : tlv(0xa3, seq(ext.toByteArray())));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(signer);
    s.update(tbs);
    byte[] sig = s.sign();
    byte[] bitString = new byte[sig.length + 1];
    System.arraycopy(sig, 0, bitString, 1, sig.length);
    byte[] der = seq(tbs, ecdsaWithSha256, tlv(0x03, bitString));

    X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der));
    certs.put(name, cert);
    keys.put(name, pair);
    String certPem = pem("CERTIFICATE", der);
    Files.writeString(cert(name), certPem);
    Files.writeString(key(name), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    if (issuerName != null) {
      Files.writeString(certChain(name), certPem + Files.readString(cert(issuerName)));
    }
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }

  private static byte[] time(Instant t) {
    String s = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
    return tlv(0x17, s.getBytes(StandardCharsets.US_ASCII)); // UTCTime (years before 2050)
  }

  private static byte[] oid(int... arcs) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(40 * arcs[0] + arcs[1]);
    for (int i = 2; i < arcs.length; i++) {
      int v = arcs[i];
      byte[] tmp = new byte[5];
      int n = 0;
      do {
        tmp[n++] = (byte) (v & 0x7f);
        v >>>= 7;
      } while (v != 0);
      for (int j = n - 1; j >= 0; j--) {
        b.write(tmp[j] | (j > 0 ? 0x80 : 0));
      }
    }
    return tlv(0x06, b.toByteArray());
  }

  private static byte[] seq(byte[]... parts) {
    return PemFiles.sequence(parts);
  }

  private static byte[] tlv(int tag, byte[] value) {
    return PemFiles.tlv(tag, value);
  }
}

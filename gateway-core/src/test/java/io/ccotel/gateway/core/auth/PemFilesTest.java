package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {
  @TempDir Path dir;

  private Path pem(String name, String label, byte[] der) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "-----BEGIN " + label + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + label + "-----\n");
    return p;
  }

  /** The inner key of a PKCS#8 PrivateKeyInfo: the content of its last OCTET STRING. */
  private static byte[] innerKey(byte[] pkcs8) {
    // SEQUENCE { INTEGER 0, SEQUENCE {...}, OCTET STRING {inner} }: walk the three elements.
    int pos = headerLength(pkcs8, 0);
    pos = skip(pkcs8, pos);
    pos = skip(pkcs8, pos);
    int start = pos + headerLength(pkcs8, pos);
    return Arrays.copyOfRange(pkcs8, start, skip(pkcs8, pos));
  }

  private static int headerLength(byte[] b, int pos) {
    int len = b[pos + 1] & 0xff;
    return len < 0x80 ? 2 : 2 + (len & 0x7f);
  }

  private static int skip(byte[] b, int pos) {
    int len = b[pos + 1] & 0xff;
    int header = 2;
    if (len >= 0x80) {
      int n = len & 0x7f;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (b[pos + 2 + i] & 0xff);
      }
      header += n;
    }
    return pos + header + len;
  }

  @Test
  void pkcs8RsaAndEc() throws Exception {
    KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    assertThat(PemFiles.privateKey(pem("rsa.key", "PRIVATE KEY", rsa.getPrivate().getEncoded())))
        .isEqualTo(rsa.getPrivate());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = g.generateKeyPair();
    PrivateKey read = PemFiles.privateKey(pem("ec.key", "PRIVATE KEY", ec.getPrivate().getEncoded()));
    assertThat(read.getAlgorithm()).isEqualTo("EC");
    assertThat(read.getEncoded()).isEqualTo(ec.getPrivate().getEncoded());
  }

  @Test
  void pkcs1Rsa() throws Exception {
    KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    byte[] pkcs1 = innerKey(rsa.getPrivate().getEncoded());
    PrivateKey read = PemFiles.privateKey(pem("rsa1.key", "RSA PRIVATE KEY", pkcs1));
    assertThat(read).isEqualTo(rsa.getPrivate());
  }

  @Test
  void sec1EcWithCurveParameters() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = g.generateKeyPair();
    byte[] sec1 = innerKey(ec.getPrivate().getEncoded()); // SEQUENCE { 1, OCTET STRING } without parameters
    // Add [0] { OID prime256v1 } as openssl writes it, after the EC PARAMETERS block it also writes.
    byte[] curve = {(byte) 0xa0, 0x0a, 0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    int bodyStart = headerLength(sec1, 0);
    byte[] body = Arrays.copyOfRange(sec1, bodyStart, sec1.length);
    byte[] withCurve = new byte[body.length + curve.length];
    System.arraycopy(body, 0, withCurve, 0, body.length);
    System.arraycopy(curve, 0, withCurve, body.length, curve.length);
    byte[] seq = new byte[2 + withCurve.length];
    seq[0] = 0x30;
    seq[1] = (byte) withCurve.length;
    System.arraycopy(withCurve, 0, seq, 2, withCurve.length);
    Path p = dir.resolve("sec1.key");
    Files.writeString(p, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n");
    Files.writeString(pem("tmp", "EC PRIVATE KEY", seq), Files.readString(p) + Files.readString(dir.resolve("tmp")));
    PrivateKey read = PemFiles.privateKey(dir.resolve("tmp"));
    assertThat(read.getAlgorithm()).isEqualTo("EC");
    assertThat(((java.security.interfaces.ECPrivateKey) read).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) ec.getPrivate()).getS());
    // Without the curve it cannot be read; the message says how to convert it.
    assertThatThrownBy(() -> PemFiles.privateKey(pem("nocurve.key", "EC PRIVATE KEY", sec1)))
        .isInstanceOf(InvalidKeySpecException.class)
        .hasMessageContaining("names no curve");
  }

  @Test
  void refusals() throws Exception {
    assertThatThrownBy(() -> PemFiles.privateKey(pem("enc.key", "ENCRYPTED PRIVATE KEY", new byte[] {0x30, 0x00})))
        .isInstanceOf(InvalidKeySpecException.class)
        .hasMessageContaining("encrypted");
    Path cert = dir.resolve("only-cert.pem");
    Files.writeString(cert, "nothing here\n");
    assertThatThrownBy(() -> PemFiles.privateKey(cert))
        .isInstanceOf(InvalidKeySpecException.class)
        .hasMessageContaining("holds no PEM private key");
    assertThatThrownBy(() -> PemFiles.certificates(cert))
        .hasMessageContaining(cert.toString());
  }

  @Test
  void matchesTellsAKeyFromAnother() throws Exception {
    TestPki pki = TestPki.get();
    PrivateKey server = PemFiles.privateKey(pki.key("server"));
    PrivateKey client = PemFiles.privateKey(pki.key("client"));
    var cert = PemFiles.certificates(pki.certChain("server")).get(0);
    assertThat(PemFiles.matches(server, cert)).isTrue();
    assertThat(PemFiles.matches(client, cert)).isFalse();
    assertThat(PemFiles.certificates(pki.certChain("server"))).hasSize(2);
  }
}

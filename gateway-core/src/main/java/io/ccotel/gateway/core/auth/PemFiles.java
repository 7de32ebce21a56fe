package io.ccotel.gateway.core.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys, with the JDK alone (no BouncyCastle). Keys: {@code BEGIN
 * PRIVATE KEY} (PKCS#8: RSA, EC, Ed25519, RSASSA-PSS), {@code BEGIN RSA PRIVATE KEY} (PKCS#1) and
 * {@code BEGIN EC PRIVATE KEY} (SEC1, as {@code openssl ecparam -genkey} writes it), the last two
 * wrapped into PKCS#8 here. Encrypted keys are refused with a hint. Messages never include key
 * material.
 */
final class PemFiles {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");
  // DER of the AlgorithmIdentifier parts.
  private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] DER_NULL = {0x05, 0x00};
  private static final byte[] OID_EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
  private static final byte[] DER_INT_0 = {0x02, 0x01, 0x00};

  private PemFiles() {}

  /** Every certificate in the file, in order (leaf first for a chain). */
  static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
    byte[] bytes = Files.readAllBytes(file);
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (var c : cf.generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new CertificateException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
    }
    if (out.isEmpty()) {
      throw new CertificateException(file + ": holds no certificate (expected -----BEGIN CERTIFICATE-----)");
    }
    return List.copyOf(out);
  }

  /** The first private key in the file. */
  static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    if (text.contains("Proc-Type: 4,ENCRYPTED")) {
      throw new InvalidKeySpecException(
          file + ": the key is encrypted; the gateway needs it unencrypted (openssl pkcs8 -topk8 -nocrypt)");
    }
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String label = m.group(1);
      if (!label.endsWith("PRIVATE KEY")) {
        continue; // e.g. EC PARAMETERS before an EC key
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new InvalidKeySpecException(file + ": the " + label + " block is not valid base64");
      }
      try {
        return switch (label) {
          case "PRIVATE KEY" -> pkcs8(der, file);
          case "RSA PRIVATE KEY" -> KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(rsaToPkcs8(der)));
          case "EC PRIVATE KEY" -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(ecToPkcs8(der, file)));
          case "ENCRYPTED PRIVATE KEY" -> throw new InvalidKeySpecException(
              file + ": the key is encrypted; the gateway needs it unencrypted"
                  + " (openssl pkcs8 -in KEY -out KEY.plain, and protect the file by its permissions)");
          default -> throw new InvalidKeySpecException(file + ": unsupported key type " + label);
        };
      } finally {
        Arrays.fill(der, (byte) 0);
      }
    }
    throw new InvalidKeySpecException(file + ": holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)");
  }

  private static PrivateKey pkcs8(byte[] der, Path file) throws InvalidKeySpecException {
    for (String alg : List.of("RSA", "EC", "EdDSA", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | RuntimeException e) {
        // Not this algorithm; try the next.
      }
    }
    throw new InvalidKeySpecException(file + ": a PKCS#8 key of an unsupported algorithm (RSA, EC and Ed25519 are supported)");
  }

  /** PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo. */
  static byte[] rsaToPkcs8(byte[] pkcs1) {
    return sequence(DER_INT_0, sequence(OID_RSA, DER_NULL), tlv(0x04, pkcs1));
  }

  /**
   * SEC1 ECPrivateKey inside a PKCS#8 PrivateKeyInfo; the curve comes from the key's own
   * parameters field ([0]), which openssl always writes.
   */
  static byte[] ecToPkcs8(byte[] sec1, Path file) throws InvalidKeySpecException {
    byte[] curve = null;
    try {
      Der seq = Der.read(sec1, 0);
      if (seq.tag != 0x30) {
        throw new InvalidKeySpecException(file + ": EC PRIVATE KEY is not a DER sequence");
      }
      int pos = seq.valueStart;
      while (pos < seq.end) {
        Der field = Der.read(sec1, pos);
        if (field.tag == (byte) 0xa0) {
          Der oid = Der.read(sec1, field.valueStart);
          curve = Arrays.copyOfRange(sec1, oid.start, oid.end);
        }
        pos = field.end;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new InvalidKeySpecException(file + ": EC PRIVATE KEY is not valid DER");
    }
    if (curve == null || curve[0] != 0x06) {
      throw new InvalidKeySpecException(
          file + ": EC PRIVATE KEY names no curve; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)");
    }
    return sequence(DER_INT_0, sequence(OID_EC_PUBLIC_KEY, curve), tlv(0x04, sec1));
  }

  /**
   * Whether {@code key} is the private half of {@code cert}'s public key, by signing a random
   * challenge and verifying it. Keys of types it cannot test (RSASSA-PSS) pass.
   */
  static boolean matches(PrivateKey key, X509Certificate cert) {
    PublicKey pub = cert.getPublicKey();
    String alg =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
          default -> null;
        };
    if (alg == null) {
      return key.getAlgorithm().equals(pub.getAlgorithm());
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(challenge);
      return v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** A DER SEQUENCE of these encoded parts (package-private: the test PKI writes certificates with it). */
  static byte[] sequence(byte[]... parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      body.writeBytes(p);
    }
    return tlv(0x30, body.toByteArray());
  }

  /** A DER tag-length-value with a definite length of any size. */
  static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write((n >>> (8 * i)) & 0xff);
      }
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  /** One DER element's position: tag, where its value starts, where it ends. */
  private record Der(byte tag, int start, int valueStart, int end) {
    static Der read(byte[] b, int pos) {
      byte tag = b[pos];
      int len = b[pos + 1] & 0xff;
      int valueStart = pos + 2;
      if (len >= 0x80) {
        int n = len & 0x7f;
        if (n == 0 || n > 4) {
          throw new IndexOutOfBoundsException("bad DER length");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (b[valueStart + i] & 0xff);
        }
        valueStart += n;
      }
      int end = valueStart + len;
      if (len < 0 || end > b.length) {
        throw new IndexOutOfBoundsException("DER length beyond the data");
      }
      return new Der(tag, pos, valueStart, end);
    }
  }
}

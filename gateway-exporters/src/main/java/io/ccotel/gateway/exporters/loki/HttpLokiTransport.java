package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Push requests over {@link java.net.http.HttpClient}: HTTP/1.1 (what Loki's push endpoint serves
 * behind most proxies), keep-alive, redirects not followed, response bodies read up to {@value
 * #MAX_BODY_CHARS} characters. Thread-safe.
 */
final class HttpLokiTransport implements LokiTransport {
  static final int MAX_BODY_CHARS = 4096;

  private final HttpClient client;

  HttpLokiTransport(LokiExporterConfig config) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.timeout());
    if (config.tls().isSet()) {
      b.sslContext(sslContext(config.tls()));
    }
    this.client = b.build();
  }

  @Override
  public Response post(URI uri, Map<String, String> headers, byte[] body, Duration timeout)
      throws IOException, InterruptedException {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(uri).timeout(timeout).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(req::header);
    HttpResponse<InputStream> resp = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    String text;
    try (InputStream in = resp.body()) {
      // An excerpt is all the exporter logs; the rest is drained so the connection can be reused.
      byte[] head = in.readNBytes(MAX_BODY_CHARS);
      in.transferTo(java.io.OutputStream.nullOutputStream());
      text = new String(head, StandardCharsets.UTF_8);
    }
    return new Response(resp.statusCode(), text, resp.headers().firstValue("Retry-After").orElse(""));
  }

  /** An SSLContext trusting the CAs of a PEM file, or anything when insecure_skip_verify is set. */
  static SSLContext sslContext(LokiExporterConfig.Tls tls) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      if (tls.insecureSkipVerify()) {
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        return ctx;
      }
      if (tls.caFile().isEmpty()) {
        ctx.init(null, null, null);
        return ctx;
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      Collection<? extends Certificate> certs;
      try (InputStream in = Files.newInputStream(Path.of(tls.caFile()))) {
        certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certs.isEmpty()) {
        throw new ConfigException("tls.ca_file", "no PEM certificate in " + tls.caFile());
      }
      int i = 0;
      for (Certificate c : certs) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("tls.ca_file", "cannot load " + tls.caFile() + ": " + e.getMessage());
    }
  }

  /**
   * Trusts every certificate and, being an X509ExtendedTrustManager, skips the JDK's host name
   * check too. Only for insecure_skip_verify.
   */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

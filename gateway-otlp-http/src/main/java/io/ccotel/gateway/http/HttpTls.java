package io.ccotel.gateway.http;

import io.ccotel.gateway.core.auth.TlsConfig;
import io.ccotel.gateway.core.auth.TlsCredentials;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The receiver's Netty SslContext. Built once: the key and trust managers of {@link
 * TlsCredentials} re-read renewed files themselves, so the context never needs rebuilding. JDK
 * provider (no native library); TLS 1.3 and 1.2; HTTP/1.1 only, so no ALPN is offered and clients
 * that ask for h2 fall back to HTTP/1.1.
 */
final class HttpTls {
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private HttpTls() {}

  static SslContext serverContext(TlsCredentials credentials) throws SSLException {
    SslContextBuilder b =
        SslContextBuilder.forServer(credentials.keyManager()).sslProvider(SslProvider.JDK).protocols(PROTOCOLS);
    if (credentials.trustManager() != null) {
      b.trustManager(credentials.trustManager())
          .clientAuth(
              credentials.config().clientAuth() == TlsConfig.ClientAuth.REQUIRE
                  ? ClientAuth.REQUIRE
                  : ClientAuth.OPTIONAL);
    }
    return b.build();
  }
}

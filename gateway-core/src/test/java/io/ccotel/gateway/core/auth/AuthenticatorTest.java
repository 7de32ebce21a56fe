package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
  private static final Attributes PLATFORM = Attributes.of("team.id", "platform", "tenant", "acme");
  private final MutableClock clock = new MutableClock();

  @TempDir Path dir;

  private static Authenticator inline(TokenEntry... entries) {
    return Authenticator.create(AuthConfig.ofTokens(List.of(entries)), Clock.systemUTC());
  }

  private static Attributes ok(AuthResult r) {
    assertThat(r).isInstanceOf(AuthResult.Ok.class);
    return ((AuthResult.Ok) r).identity();
  }

  @Test
  void bearerTokensMapToTheirIdentity() {
    Authenticator a = inline(
        TokenEntry.ofToken("tok-platform", PLATFORM, "t0"),
        TokenEntry.ofSha256(AuthConfigTest.sha256Hex("tok-data"), Attributes.of("team.id", "data"), "t1"));
    assertThat(ok(a.authenticate("Bearer tok-platform", null))).isEqualTo(PLATFORM);
    assertThat(ok(a.authenticate("bearer   tok-data  ", null))).isEqualTo(Attributes.of("team.id", "data"));
    assertThat(a.tokenCount()).isEqualTo(2);
    assertThat(a.identityKeys()).containsExactlyInAnyOrder("team.id", "tenant");
  }

  @Test
  void missingAndInvalidCredentials() {
    Authenticator a = inline(TokenEntry.ofToken("tok-platform", PLATFORM, "t0"));
    assertThat(a.authenticate(null, null)).isInstanceOf(AuthResult.Missing.class);
    assertThat(a.authenticate("  ", null)).isInstanceOf(AuthResult.Missing.class);
    assertThat(a.authenticate(null, null).message()).contains("Authorization: Bearer <token>", "OTEL_EXPORTER_OTLP_HEADERS");
    assertThat(a.authenticate("Bearer tok-platfor", null)).isEqualTo(new AuthResult.Invalid("the bearer token is not valid (unknown or revoked)"));
    assertThat(a.authenticate("Bearer tok-platform2", null)).isInstanceOf(AuthResult.Invalid.class);
    assertThat(a.authenticate("Bearer", null)).isEqualTo(new AuthResult.Invalid("the bearer token is empty"));
    assertThat(a.authenticate("Basic dXNlcjpwYXNz", null)).isInstanceOf(AuthResult.Invalid.class);
    assertThat(a.authenticate("tok-platform", null)).isInstanceOf(AuthResult.Invalid.class);
    assertThat(a.authenticate("Bearer tok-platform", null).isOk()).isTrue();
  }

  @Test
  void disabledConfigBuildsNoAuthenticator() {
    assertThatThrownBy(() -> Authenticator.create(AuthConfig.disabled(), clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tokensFileIsReadAtStartAndItsErrorsNameTheKey() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, "tok-file team.id=web\n");
    Authenticator a = Authenticator.create(
        AuthConfig.ofTokens(List.of(TokenEntry.ofToken("tok-inline", PLATFORM, "auth.tokens[0]")))
            .withTokensFile(file, Duration.ofSeconds(5)),
        clock);
    assertThat(ok(a.authenticate("Bearer tok-file", null))).isEqualTo(Attributes.of("team.id", "web"));
    assertThat(ok(a.authenticate("Bearer tok-inline", null))).isEqualTo(PLATFORM);

    Files.writeString(file, "tok-file team.id\n");
    assertThatThrownBy(() -> Authenticator.create(AuthConfig.ofTokensFile(file, Duration.ZERO), clock))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.tokens_file: " + file + " line 1: expected attributes");
    assertThatThrownBy(() -> Authenticator.create(
            AuthConfig.ofTokensFile(dir.resolve("nope.txt"), Duration.ZERO), clock))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.tokens_file: cannot read " + dir.resolve("nope.txt"));
    Files.writeString(file, "tok-inline\n");
    assertThatThrownBy(() -> Authenticator.create(
            AuthConfig.ofTokens(List.of(TokenEntry.ofToken("tok-inline", PLATFORM, "auth.tokens[0]")))
                .withTokensFile(file, Duration.ZERO), clock))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens_file: " + file + " line 1 is the same token as auth.tokens[0]");
  }

  @Test
  void tokensFileIsReloadedWhenItChanges() throws Exception {
    Path file = dir.resolve("tokens.txt");
    Files.writeString(file, "tok-old team.id=platform\n");
    Authenticator a = Authenticator.create(
        AuthConfig.ofTokensFile(file, Duration.ofSeconds(5)), clock);
    assertThat(a.authenticate("Bearer tok-old", null).isOk()).isTrue();

    replace(file, "tok-new team.id=platform, tenant=acme\n");
    // Not yet: the file is checked once per reload_interval.
    clock.advance(Duration.ofSeconds(4));
    assertThat(a.authenticate("Bearer tok-new", null).isOk()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(ok(a.authenticate("Bearer tok-new", null))).isEqualTo(PLATFORM);
    assertThat(a.authenticate("Bearer tok-old", null)).isInstanceOf(AuthResult.Invalid.class);
    assertThat(a.identityKeys()).containsExactlyInAnyOrder("team.id", "tenant");

    // A broken file keeps the tokens in force.
    replace(file, "tok-broken team.id\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(a.authenticate("Bearer tok-new", null).isOk()).isTrue();
    assertThat(a.authenticate("Bearer tok-broken", null).isOk()).isFalse();
    // So does an empty one (a write in progress) and a missing one.
    replace(file, "");
    clock.advance(Duration.ofSeconds(5));
    assertThat(a.authenticate("Bearer tok-new", null).isOk()).isTrue();
    Files.delete(file);
    clock.advance(Duration.ofSeconds(5));
    assertThat(a.authenticate("Bearer tok-new", null).isOk()).isTrue();
    // Fixed again: taken.
    replace(file, "# nobody for now\ntok-later\n");
    clock.advance(Duration.ofSeconds(5));
    assertThat(a.authenticate("Bearer tok-new", null).isOk()).isFalse();
    assertThat(ok(a.authenticate("Bearer tok-later", null))).isEqualTo(Attributes.empty());
  }

  private void replace(Path file, String content) throws Exception {
    Path tmp = dir.resolve("tokens.tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void certificateSubjectBecomesClientAttributes() {
    assertThat(Authenticator.certificateIdentity(new X500Principal("CN=laptop-42, OU=platform, OU=ml, O=acme, C=DE")))
        .isEqualTo(Attributes.of("client.cn", "laptop-42", "client.o", "acme", "client.ou", "platform,ml"));
    assertThat(Authenticator.certificateIdentity(new X500Principal("C=DE"))).isEqualTo(Attributes.empty());
  }

  @Test
  void clientCertificateIdentityWithAndWithoutToken() {
    var cert = TestPki.get().x509("client");
    Authenticator a = Authenticator.create(
        AuthConfig.ofTokens(List.of(TokenEntry.ofToken("tok", Attributes.of("team.id", "platform", "client.o", "from-token"), "t")))
            .withClientCertIdentity(true),
        clock);
    assertThat(ok(a.authenticate(null, cert)))
        .isEqualTo(Attributes.of("client.cn", "laptop-42", "client.o", "acme", "client.ou", "platform"));
    // The token's attributes win over the certificate's.
    assertThat(ok(a.authenticate("Bearer tok", cert)).asMap())
        .containsEntry("client.cn", "laptop-42").containsEntry("client.o", "from-token").containsEntry("team.id", "platform");
    // A wrong token is refused even with a good certificate.
    assertThat(a.authenticate("Bearer nope", cert)).isInstanceOf(AuthResult.Invalid.class);
    assertThat(a.authenticate(null, null)).isInstanceOf(AuthResult.Missing.class);
    assertThat(a.identityKeys()).contains("client.cn", "client.o", "client.ou", "team.id");

    // Without client_cert_identity a certificate is not an identity.
    Authenticator tokensOnly = inline(TokenEntry.ofToken("tok", PLATFORM, "t"));
    assertThat(tokensOnly.authenticate(null, cert)).isInstanceOf(AuthResult.Missing.class);
    assertThat(ok(tokensOnly.authenticate("Bearer tok", cert))).isEqualTo(PLATFORM);
  }

  @Test
  void applyReservesEveryIdentityKey() {
    Authenticator a = inline(
        TokenEntry.ofToken("tok-a", Attributes.of("team.id", "platform"), "a"),
        TokenEntry.ofToken("tok-b", Attributes.of("tenant", "acme"), "b"));
    Resource claimed = Resource.of(Attributes.of("service.name", "claude-code", "tenant", "spoofed", "team.id", "spoofed"));
    LogRecord r = new LogRecord(claimed, Scope.empty(), 1, 0, 0, "", "x",
        Attributes.of("event.name", "api_request", "tenant", "spoofed"), "", "", "", 0, 0);
    LogsBatch out = (LogsBatch) a.apply(new LogsBatch(List.of(r)), Attributes.of("team.id", "platform"));
    assertThat(out.records().get(0).resource().attributes())
        .isEqualTo(Attributes.of("service.name", "claude-code", "team.id", "platform"));
    assertThat(out.records().get(0).attributes()).isEqualTo(Attributes.of("event.name", "api_request"));
  }
}

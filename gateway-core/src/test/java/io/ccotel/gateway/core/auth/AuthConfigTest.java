package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.model.Attributes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthConfigTest {
  static final String SECRET = "s3cr3t-platform-token-0123456789";

  private static ConfigNode node(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return new ConfigNode("auth", m);
  }

  static String sha256Hex(String token) {
    return HexFormat.of().formatHex(TokenEntry.sha256(token));
  }

  @Test
  void absentSectionIsDisabled() {
    AuthConfig c = AuthConfig.parse(ConfigNode.empty("auth"));
    assertThat(c).isEqualTo(AuthConfig.disabled());
    assertThat(c.enabled()).isFalse();
    assertThat(c.overrideClientAttributes()).isTrue();
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.clientCertIdentity()).isFalse();
    assertThat(c.tokensFile()).isNull();
  }

  @Test
  void everyKeyIsRead() {
    AuthConfig c = AuthConfig.parse(node(
        "enabled", true,
        "tokens_file", "/etc/ccotel/tokens.txt",
        "tokens", List.of(
            Map.of("token", SECRET, "attributes", Map.of("team.id", "platform", "tenant", "acme")),
            Map.of("token_sha256", sha256Hex("other").toUpperCase(), "attributes", Map.of("cost_center", 123))),
        "override_client_attributes", false,
        "reload_interval", "250ms",
        "client_cert_identity", true));
    assertThat(c.enabled()).isTrue();
    assertThat(c.tokensFile()).isEqualTo(Path.of("/etc/ccotel/tokens.txt"));
    assertThat(c.tokens()).hasSize(2);
    assertThat(c.tokens().get(0).sha256()).isEqualTo(TokenEntry.sha256(SECRET));
    assertThat(c.tokens().get(0).attributes().asMap()).containsEntry("team.id", "platform").containsEntry("tenant", "acme");
    assertThat(c.tokens().get(1).sha256()).isEqualTo(TokenEntry.sha256("other"));
    assertThat(c.tokens().get(1).attributes()).isEqualTo(Attributes.of("cost_center", "123"));
    assertThat(c.tokens().get(1).source()).isEqualTo("auth.tokens[1]");
    assertThat(c.overrideClientAttributes()).isFalse();
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.clientCertIdentity()).isTrue();
  }

  @Test
  void neverShowsATokenInTextOrErrors() {
    AuthConfig c = AuthConfig.parse(node("enabled", true, "tokens", List.of(Map.of("token", SECRET))));
    assertThat(c.toString()).doesNotContain(SECRET);
    assertThat(c.tokens().get(0).toString()).doesNotContain(SECRET).contains(sha256Hex(SECRET).substring(0, 8));
    assertThatThrownBy(() -> AuthConfig.parse(node("enabled", true, "tokens", List.of(
        Map.of("token", SECRET), Map.of("token", SECRET)))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth: auth.tokens[1] is the same token as auth.tokens[0]")
        .hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("token", "two words")))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens[0].token: the token contains white space or a control character (at position 4)");
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> AuthConfig.parse(node("enable", true)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.enable: unknown key; known keys here: client_cert_identity, enabled, override_client_attributes,"
            + " reload_interval, tokens, tokens_file");
    assertThatThrownBy(() -> AuthConfig.parse(node("enabled", true)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth: auth is enabled but no client could ever authenticate");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", "abc")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens: expected a list of {token: ..., attributes: {...}} entries");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("token", "a", "token_sha256", "b")))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens[0]: give exactly one of token and token_sha256");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("attributes", Map.of("a", "b"))))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens[0]: give exactly one of token and token_sha256");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("token_sha256", "abc")))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens[0].token_sha256: expected a SHA-256 digest of 64 hex digits, got 3 characters");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("token", "abc", "attrs", Map.of())))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.tokens[0].attrs: unknown key");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens", List.of(Map.of("token", "abc", "attributes", Map.of("team.id", ""))))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens[0].attributes.team.id: expected a non-empty attribute value");
    assertThatThrownBy(() -> AuthConfig.parse(node("reload_interval", "soon")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.reload_interval: expected a duration");
    assertThatThrownBy(() -> AuthConfig.parse(node("tokens_file", " ")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("auth.tokens_file: is empty; remove the key or give a path");
  }

  @Test
  void clientCertIdentityAloneIsEnough() {
    AuthConfig c = AuthConfig.parse(node("enabled", true, "client_cert_identity", true));
    assertThat(c.enabled()).isTrue();
    assertThat(c.tokens()).isEmpty();
  }
}

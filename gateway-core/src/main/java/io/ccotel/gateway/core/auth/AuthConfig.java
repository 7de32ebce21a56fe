package io.ccotel.gateway.core.auth;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.model.Attributes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The top-level {@code auth} section of gateway.yaml: who may send telemetry, and which identity
 * attributes their telemetry carries. Used by both receivers through one {@link Authenticator}.
 *
 * <pre>
 * auth:
 *   enabled: true                        # default false: receivers accept every request
 *   tokens_file: /etc/ccotel/tokens.txt  # optional; format below; re-read when it changes
 *   tokens:                              # optional inline list
 *     - token: ${env:PLATFORM_TOKEN}
 *       attributes: {team.id: platform, department: eng, tenant: acme}
 *     - token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *       attributes: {team.id: data, tenant: acme}
 *   override_client_attributes: true     # default true: identity attributes replace what clients send
 *   reload_interval: 5s                  # default 5s; how often tokens_file is checked; 0s = never
 *   client_cert_identity: false          # default false: with mTLS, the client certificate's subject
 *                                        # becomes client.cn / client.o / client.ou
 * </pre>
 *
 * <p>The tokens file has one token per line followed by its attributes:
 *
 * <pre>
 * # comments and blank lines are ignored
 * 6f1c3e0a9b5d4f7e8a2c     team.id=platform, department=eng, tenant=acme
 * sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08   team.id=data, tenant=acme
 * </pre>
 *
 * (a token, or {@code sha256:} and the hex SHA-256 of the token; then {@code key=value} pairs
 * separated by commas). Inline and file tokens are all accepted; the same token twice is an error.
 * Clients send {@code Authorization: Bearer <token>}; for Claude Code: {@code
 * OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <token>"}.
 *
 * <p>An identity attribute {@code tenant} is what the Loki exporter's {@code tenant_from_attribute:
 * tenant} reads to push each team's events under its own {@code X-Scope-OrgID}.
 *
 * @param enabled {@code enabled}: when false no {@link Authenticator} is built and the receivers
 *     accept every request
 * @param tokensFile {@code tokens_file}, or null
 * @param tokens {@code tokens}, digests only (a clear token is hashed while parsing)
 * @param overrideClientAttributes {@code override_client_attributes}
 * @param reloadInterval {@code reload_interval}; zero means the file is read once at start
 * @param clientCertIdentity {@code client_cert_identity}
 */
public record AuthConfig(
    boolean enabled,
    Path tokensFile,
    List<TokenEntry> tokens,
    boolean overrideClientAttributes,
    Duration reloadInterval,
    boolean clientCertIdentity) {

  public static final String SECTION = "auth";
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

  static final List<String> KEYS =
      List.of(
          "enabled",
          "tokens_file",
          "tokens",
          "override_client_attributes",
          "reload_interval",
          "client_cert_identity");

  private static final AuthConfig DISABLED =
      new AuthConfig(false, null, List.of(), true, DEFAULT_RELOAD_INTERVAL, false);

  public AuthConfig {
    tokens = List.copyOf(tokens);
    Objects.requireNonNull(reloadInterval, "reloadInterval");
    if (reloadInterval.isNegative()) {
      throw new IllegalArgumentException("reload_interval must not be negative, got " + reloadInterval);
    }
    if (enabled && tokensFile == null && tokens.isEmpty() && !clientCertIdentity) {
      throw new IllegalArgumentException(
          "auth is enabled but no client could ever authenticate: give tokens_file, tokens or client_cert_identity: true");
    }
    for (int i = 0; i < tokens.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (tokens.get(i).sameToken(tokens.get(j))) {
          throw new IllegalArgumentException(
              tokens.get(i).source() + " is the same token as " + tokens.get(j).source());
        }
      }
    }
  }

  /** No authentication: the zero-config gateway. */
  public static AuthConfig disabled() {
    return DISABLED;
  }

  /** Enabled, with these inline tokens and the defaults for the rest. */
  public static AuthConfig ofTokens(List<TokenEntry> tokens) {
    return new AuthConfig(true, null, tokens, true, DEFAULT_RELOAD_INTERVAL, false);
  }

  /** Enabled, with the tokens of this file (checked every {@code reloadInterval}) and the defaults. */
  public static AuthConfig ofTokensFile(Path file, Duration reloadInterval) {
    return new AuthConfig(true, file, List.of(), true, reloadInterval, false);
  }

  public AuthConfig withTokensFile(Path file, Duration interval) {
    return new AuthConfig(true, file, tokens, overrideClientAttributes, interval, clientCertIdentity);
  }

  public AuthConfig withOverrideClientAttributes(boolean override) {
    return new AuthConfig(enabled, tokensFile, tokens, override, reloadInterval, clientCertIdentity);
  }

  public AuthConfig withClientCertIdentity(boolean on) {
    return new AuthConfig(enabled, tokensFile, tokens, overrideClientAttributes, reloadInterval, on);
  }

  /**
   * Reads the {@code auth} section (an absent section is {@link #disabled()}). Inline tokens are
   * hashed here. Does not read the tokens file (see {@link Authenticator#create}).
   *
   * @throws ConfigException naming the key for an unknown key or a bad value; messages never
   *     quote a token
   */
  public static AuthConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    boolean enabled = node.bool("enabled", false);
    String file = node.string("tokens_file", null);
    if (file != null && file.isBlank()) {
      throw new ConfigException(node.pathOf("tokens_file"), "is empty; remove the key or give a path");
    }
    List<TokenEntry> tokens = tokens(node);
    boolean override = node.bool("override_client_attributes", true);
    Duration interval = node.duration("reload_interval", DEFAULT_RELOAD_INTERVAL);
    boolean certIdentity = node.bool("client_cert_identity", false);
    try {
      return new AuthConfig(enabled, file == null ? null : Path.of(file.trim()), tokens, override, interval, certIdentity);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(node.path(), e.getMessage());
    }
  }

  private static List<TokenEntry> tokens(ConfigNode node) {
    Object raw = node.raw("tokens");
    if (raw == null) {
      return List.of();
    }
    String path = node.pathOf("tokens");
    if (!(raw instanceof List<?> list)) {
      throw new ConfigException(path, "expected a list of {token: ..., attributes: {...}} entries");
    }
    List<TokenEntry> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String at = path + "[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new ConfigException(at, "expected a mapping with token (or token_sha256) and attributes");
      }
      Map<String, Object> entry = new java.util.LinkedHashMap<>();
      m.forEach((k, v) -> entry.put(String.valueOf(k), v));
      ConfigNode e = new ConfigNode(at, entry);
      e.checkKnownKeys(List.of("token", "token_sha256", "attributes"));
      boolean hasToken = e.has("token");
      if (hasToken == e.has("token_sha256")) {
        throw new ConfigException(at, "give exactly one of token and token_sha256");
      }
      Attributes attributes = attributes(e);
      try {
        out.add(
            hasToken
                ? TokenEntry.ofToken(e.string("token", ""), attributes, at)
                : TokenEntry.ofSha256(e.string("token_sha256", ""), attributes, at));
      } catch (IllegalArgumentException ex) {
        throw new ConfigException(e.pathOf(hasToken ? "token" : "token_sha256"), ex.getMessage());
      }
    }
    return out;
  }

  private static Attributes attributes(ConfigNode entry) {
    ConfigNode attrs = entry.child("attributes");
    Attributes.Builder b = Attributes.builder();
    for (String key : attrs.keys()) {
      String value = attrs.string(key, null);
      if (key.isBlank() || value == null || value.isBlank()) {
        throw new ConfigException(attrs.pathOf(key), "expected a non-empty attribute value");
      }
      b.put(key, value);
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "AuthConfig[enabled=" + enabled + ", tokensFile=" + tokensFile + ", tokens=" + tokens.size()
        + ", overrideClientAttributes=" + overrideClientAttributes + ", reloadInterval=" + reloadInterval
        + ", clientCertIdentity=" + clientCertIdentity + "]";
  }
}

package io.ccotel.gateway.core.processing;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of the {@link PrivacyProcessor} (YAML section {@code privacy}). Every key is
 * optional; values are checked at start-up and an error names the key.
 *
 * <pre>
 * privacy:
 *   enabled: true                  # false: no privacy processor (prompts and tool input reach exporters)
 *   allow: []                      # sensitive fields to keep (scrubbed of secrets), from SENSITIVE_FIELDS
 *   remove: []                     # more attribute keys to remove from every item and resource
 *   scrub: [full_command, bash_command]   # more attribute keys whose values are scrubbed of secrets
 *   scrub_secrets: true            # false: allowed fields are kept verbatim
 *   email: hash                    # user.email: keep | hash | drop
 *   email_hash_key: ${env:GATEWAY_EMAIL_HASH_KEY}   # HMAC-SHA256 key for email: hash (16+ characters)
 * </pre>
 *
 * <p>Sensitive fields ({@link #SENSITIVE_FIELDS}), removed unless named in {@code allow}:
 *
 * <ul>
 *   <li>{@code prompt}, {@code prompt_text} (user_prompt events, {@code OTEL_LOG_USER_PROMPTS}),
 *       {@code response} (assistant_response events), {@code tool_parameters}, {@code tool_input}
 *       (tool_decision / tool_result events, {@code OTEL_LOG_TOOL_DETAILS}), {@code user_prompt}
 *       (the interaction span): the attribute of that key on any log record, span, span event or
 *       metric point;
 *   <li>{@code body}: the attribute {@code body} of {@code api_request_body} / {@code
 *       api_response_body} events (raw Messages API bodies, {@code OTEL_LOG_RAW_API_BODIES});
 *   <li>{@code output}, {@code content}, {@code diff}: attributes of span events ({@code
 *       tool.output} events, {@code OTEL_LOG_TOOL_CONTENT}: Bash stdout, files read, edit hunks).
 * </ul>
 *
 * @param enabled {@code enabled} (default true): whether the app puts the processor in the
 *     pipelines at all.
 * @param allow {@code allow} (default none): sensitive fields kept; their values are scrubbed of
 *     known secrets when {@code scrub_secrets} is true. Each must be one of {@link
 *     #SENSITIVE_FIELDS}.
 * @param remove {@code remove} (default none): further attribute keys removed wherever they appear
 *     (item, span event and resource attributes), e.g. {@code full_command}, {@code file_path},
 *     {@code bash_command} to drop the tool details Claude Code puts on spans. A key may not be in
 *     both {@code allow} and {@code remove}.
 * @param scrub {@code scrub} (default {@code [full_command, bash_command]}): further attribute keys
 *     whose string values are scrubbed of known secrets (the Bash command lines on {@code
 *     claude_code.tool} spans and {@code tool.output} events often hold tokens).
 * @param scrubSecrets {@code scrub_secrets} (default true): scrub allowed fields and {@code scrub}
 *     keys; false keeps them as sent.
 * @param email {@code email} (default {@code hash}): what becomes of {@code user.email} (item and
 *     resource attributes): kept, replaced by the lower-case hex HMAC-SHA256 of the trimmed,
 *     lower-cased address under {@code email_hash_key} (so one person is one value, and nobody
 *     without the key can test a guess), or removed.
 * @param emailHashKey {@code email_hash_key} (default none; at least 16 characters): the HMAC key,
 *     best given as {@code ${env:NAME}}. Required when {@code email: hash} is written; when {@code
 *     email} is left at its default and no key is given, {@code user.email} is dropped instead and
 *     the processor logs a WARN at start-up (a random per-process key was rejected: hashes would
 *     change at every restart and differ between replicas, useless for joining). Never printed by
 *     {@link #toString()}.
 */
public record PrivacyConfig(
    boolean enabled,
    Set<String> allow,
    Set<String> remove,
    Set<String> scrub,
    boolean scrubSecrets,
    EmailMode email,
    String emailHashKey) {

  /** What becomes of {@code user.email}. */
  public enum EmailMode {
    KEEP,
    HASH,
    DROP;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The names {@code allow} accepts, each a field removed by default. */
  public static final List<String> SENSITIVE_FIELDS =
      List.of(
          "prompt", "prompt_text", "response", "tool_parameters", "tool_input", "user_prompt", "body", "output",
          "content", "diff");

  public static final List<String> DEFAULT_SCRUB = List.of("full_command", "bash_command");

  static final int MIN_KEY_LENGTH = 16;

  static final List<String> KEYS =
      List.of("enabled", "allow", "remove", "scrub", "scrub_secrets", "email", "email_hash_key");

  public PrivacyConfig {
    allow = Set.copyOf(allow);
    remove = Set.copyOf(remove);
    scrub = Set.copyOf(scrub);
    Objects.requireNonNull(email, "email");
    emailHashKey = emailHashKey == null ? "" : emailHashKey;
    for (String a : allow) {
      if (!SENSITIVE_FIELDS.contains(a)) {
        throw new IllegalArgumentException(
            "allow: unknown field '" + a + "'; known fields: " + String.join(", ", SENSITIVE_FIELDS));
      }
      if (remove.contains(a)) {
        throw new IllegalArgumentException("'" + a + "' is both in allow and in remove");
      }
    }
    if (!emailHashKey.isEmpty() && emailHashKey.length() < MIN_KEY_LENGTH) {
      throw new IllegalArgumentException("email_hash_key must be at least " + MIN_KEY_LENGTH + " characters");
    }
  }

  /** Sensitive fields removed, secrets scrubbed, {@code user.email} hashed if a key is given (else dropped). */
  public static PrivacyConfig defaults() {
    return new PrivacyConfig(true, Set.of(), Set.of(), Set.copyOf(DEFAULT_SCRUB), true, EmailMode.HASH, "");
  }

  /** What the processor does with {@code user.email}: {@code hash} without a key means drop. */
  public EmailMode effectiveEmail() {
    return email == EmailMode.HASH && emailHashKey.isEmpty() ? EmailMode.DROP : email;
  }

  /**
   * Reads the {@code privacy} section; an absent or empty section gives {@link #defaults()}.
   *
   * @throws ConfigException naming the key: unknown key, unknown field in {@code allow}, {@code
   *     email: hash} written without {@code email_hash_key}, a key shorter than 16 characters
   */
  public static PrivacyConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    boolean enabled = node.bool("enabled", true);
    List<String> allow = node.stringList("allow", List.of());
    for (int i = 0; i < allow.size(); i++) {
      if (!SENSITIVE_FIELDS.contains(allow.get(i))) {
        throw new ConfigException(
            node.pathOf("allow") + "[" + i + "]",
            "unknown field \"" + allow.get(i) + "\"; known fields: " + String.join(", ", SENSITIVE_FIELDS));
      }
    }
    List<String> remove = nonBlank(node, "remove", List.of());
    for (String r : remove) {
      if (allow.contains(r)) {
        throw new ConfigException(node.pathOf("remove"), "\"" + r + "\" is also in allow; keep it in one list");
      }
    }
    List<String> scrub = nonBlank(node, "scrub", DEFAULT_SCRUB);
    boolean scrubSecrets = node.bool("scrub_secrets", true);
    EmailMode email =
        EmailMode.valueOf(node.oneOf("email", "hash", "keep", "hash", "drop").toUpperCase(Locale.ROOT));
    String key = node.string("email_hash_key", "");
    if (node.has("email") && email == EmailMode.HASH && key.isEmpty()) {
      throw new ConfigException(
          node.pathOf("email_hash_key"),
          "is required when email is hash (e.g. email_hash_key: ${env:GATEWAY_EMAIL_HASH_KEY}); or set email to drop or keep");
    }
    if (!key.isEmpty() && key.length() < MIN_KEY_LENGTH) {
      throw new ConfigException(
          node.pathOf("email_hash_key"), "must be at least " + MIN_KEY_LENGTH + " characters, got " + key.length());
    }
    return new PrivacyConfig(
        enabled, new LinkedHashSet<>(allow), new LinkedHashSet<>(remove), new LinkedHashSet<>(scrub), scrubSecrets,
        email, key);
  }

  private static List<String> nonBlank(ConfigNode node, String key, List<String> defaults) {
    List<String> list = node.stringList(key, defaults);
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).isBlank()) {
        throw new ConfigException(node.pathOf(key) + "[" + i + "]", "expected an attribute key, got \"\"");
      }
    }
    return list;
  }

  /** Never shows the hash key. */
  @Override
  public String toString() {
    return "PrivacyConfig[enabled=" + enabled + ", allow=" + allow + ", remove=" + remove + ", scrub=" + scrub
        + ", scrubSecrets=" + scrubSecrets + ", email=" + email.id()
        + ", emailHashKey=" + (emailHashKey.isEmpty() ? "(none)" : "(set)") + "]";
  }
}

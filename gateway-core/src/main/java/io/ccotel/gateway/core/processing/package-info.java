/**
 * Processors between the receivers and the exporters: {@link
 * io.ccotel.gateway.core.processing.ValidationProcessor} (OTLP rules and Claude Code's schema; bad
 * items rejected with a partial-success reason, or repaired) and {@link
 * io.ccotel.gateway.core.processing.PrivacyProcessor} (prompts, responses, tool input and raw
 * bodies removed unless allowed; secrets scrubbed; {@code user.email} hashed or dropped).
 *
 * <p>Wiring, per signal and in this order: {@code assembler.processor(signal, validation)} then
 * {@code assembler.processor(signal, privacy)}, so that privacy sees only valid items and an item
 * rejected by validation is never exported; each processor instance may serve every signal.
 * Configuration: {@link io.ccotel.gateway.core.processing.ValidationConfig} (YAML {@code
 * validation}) and {@link io.ccotel.gateway.core.processing.PrivacyConfig} (YAML {@code privacy}).
 */
package io.ccotel.gateway.core.processing;

/**
 * Identity and transport security shared by the receivers.
 *
 * <ul>
 *   <li>{@link io.ccotel.gateway.core.auth.AuthConfig} (the {@code auth} section) and {@link
 *       io.ccotel.gateway.core.auth.Authenticator}: bearer tokens (and optionally the mTLS client
 *       certificate) mapped to identity attributes such as {@code team.id} or {@code tenant};
 *   <li>{@link io.ccotel.gateway.core.auth.Identity}: puts those attributes on a batch, replacing
 *       what the client claimed (anti-spoofing);
 *   <li>{@link io.ccotel.gateway.core.auth.TlsConfig} (a receiver's {@code tls} section) and
 *       {@link io.ccotel.gateway.core.auth.TlsCredentials}: PEM certificate, key and client CA
 *       files as JSSE key and trust managers that pick up renewed files without a restart.
 * </ul>
 *
 * <p>Secrets: tokens are kept as SHA-256 digests only and never logged; at most the first eight hex
 * digits of a digest appear in a log line. Values are non-null unless a method says otherwise.
 */
package io.ccotel.gateway.core.auth;

/**
 * A Loki-protocol test fixture: {@link io.ccotel.gateway.testkit.loki.LokiFixture}, a push
 * endpoint that decodes protobuf (snappy) and JSON bodies as Loki does, validates with Loki's
 * default limits, stores what it accepted, and can be told to answer 429/500, hang, or go down and
 * come back on the same port.
 */
package io.ccotel.gateway.testkit.loki;

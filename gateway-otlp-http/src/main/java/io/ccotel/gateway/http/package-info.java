/**
 * The OTLP/HTTP receiver: {@link io.ccotel.gateway.http.OtlpHttpReceiver} (Netty, HTTP/1.1) with
 * its config record and factory, and {@link io.ccotel.gateway.http.OtlpJsonDecoder} for OTLP/JSON.
 * Everything else in the package is an implementation detail. Values are non-null unless a method
 * says otherwise.
 */
package io.ccotel.gateway.http;

/**
 * The Loki exporter: Claude Code events (OTLP log records) pushed to Loki's push API in
 * low-cardinality streams ({@code service_name}, {@code event_name} and a configured few), each
 * entry a JSON line that keeps every attribute with numbers numeric, so that LogQL's {@code | json
 * | unwrap cost_usd} works; ids optionally as Loki 3 structured metadata.
 *
 * <p>Example line (event {@code api_request}, stream {@code {event_name="api_request",
 * service_name="claude-code"}}):
 *
 * <pre>
 * {"body":"claude_code.api_request","user.id":"9b45…","session.id":"ed1d3fc4-…","anthropic.provider":"firstParty",
 *  "anthropic.custom_base_url":true,"terminal.type":"dumb","event.name":"api_request",
 *  "event.timestamp":"2026-11-25T12:41:02.515Z","event.sequence":6,"prompt.id":"2a2f44c3-…","model":"claude-opus-5-5",
 *  "input_tokens":111,"output_tokens":58,"cache_read_tokens":11009,"cache_creation_tokens":2101,…,"cost_usd":0.0143108,
 *  "cost_usd_micros":14311,"duration_ms":92,"ttft_ms":42,"request_id":"req_fake_1",…,"host.arch":"amd64",
 *  "os.type":"linux","os.version":"…","service.name":"claude-code","service.version":"2.1.328"}
 * </pre>
 *
 * Protobuf (snappy) or JSON bodies, tenant header, basic or bearer auth, batching by bytes,
 * entries and time, retries with backoff and Retry-After, permanent refusals counted. Entry
 * point: {@link io.ccotel.gateway.exporters.loki.LokiExporterFactory}; configuration: {@link
 * io.ccotel.gateway.exporters.loki.LokiExporterConfig}; behaviour: {@link
 * io.ccotel.gateway.exporters.loki.LokiExporter}; line format: {@code LokiRecordFormat}.
 */
package io.ccotel.gateway.exporters.loki;

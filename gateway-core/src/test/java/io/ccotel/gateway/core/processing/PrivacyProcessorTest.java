package io.ccotel.gateway.core.processing;

import static io.ccotel.gateway.core.processing.TestData.CLOCK;
import static io.ccotel.gateway.core.processing.TestData.event;
import static io.ccotel.gateway.core.processing.TestData.point;
import static io.ccotel.gateway.core.processing.TestData.span;
import static io.ccotel.gateway.core.processing.TestData.sum;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import io.ccotel.gateway.core.metrics.GatewayMetrics;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.model.TracesBatch;
import io.ccotel.gateway.core.pipeline.BatchConsumer;
import io.ccotel.gateway.core.pipeline.ConsumeResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrivacyProcessorTest {
  private static final String KEY = "test-hash-key-0123456789";
  /** HMAC-SHA256("test-hash-key-0123456789", "dev@example.com"), computed apart with Python's hmac. */
  private static final String DEV_HASH = "d007db6f43bcc9ed5aef632b652aaecef74befb4825a5c657bff1063f4e21c44";

  private static final Set<String> ANYWHERE =
      Set.of("prompt", "prompt_text", "response", "tool_parameters", "tool_input", "user_prompt");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GatewayMetrics metrics = new GatewayMetrics(registry, CLOCK);

  private PrivacyProcessor processor(PrivacyConfig config) {
    return PrivacyProcessor.create(config, metrics);
  }

  private PrivacyProcessor processor() {
    return processor(PrivacyConfig.defaults());
  }

  private static PrivacyConfig allow(String... fields) {
    return new PrivacyConfig(true, Set.of(fields), Set.of(), Set.copyOf(PrivacyConfig.DEFAULT_SCRUB), true,
        PrivacyConfig.EmailMode.HASH, KEY);
  }

  private double redactions(String kind) {
    Counter c = registry.find("gateway.redactions").tag("kind", kind).counter();
    return c == null ? -1 : c.count();
  }

  private static Map<String, Integer> sensitiveKeys(LogsBatch b) {
    Map<String, Integer> n = new TreeMap<>();
    for (LogRecord r : b.records()) {
      r.attributes().forEach((k, v) -> {
        if (ANYWHERE.contains(k)) {
          n.merge(k, 1, Integer::sum);
        }
      });
    }
    return n;
  }

  // ---------------------------------------------------------------- defaults on the captures

  @Test
  void defaultsRemoveExactlyTheSensitiveFieldsOfTheOptInCapture() {
    LogsBatch in = (LogsBatch) Captures.load("http-protobuf/optins/0001-http-logs.bin");
    assertThat(sensitiveKeys(in))
        .containsExactly(Map.entry("prompt", 1), Map.entry("prompt_text", 1), Map.entry("response", 7),
            Map.entry("tool_input", 5), Map.entry("tool_parameters", 6));

    LogsBatch out = (LogsBatch) processor().apply(in);

    assertThat(out.records()).hasSize(30);
    assertThat(sensitiveKeys(out)).isEmpty();
    assertThat(out.records().stream().filter(r -> r.effectiveEventName().equals("user_prompt")).count()).isEqualTo(1);
    for (int i = 0; i < 30; i++) {
      LogRecord before = in.records().get(i);
      LogRecord after = out.records().get(i);
      assertThat(after.attributes()).isEqualTo(without(before.attributes(), ANYWHERE));
      assertThat(after.resource()).isSameAs(before.resource());
      assertThat(after.scope()).isSameAs(before.scope());
      assertThat(after.body()).isEqualTo(before.body());
      assertThat(after.timeNanos()).isEqualTo(before.timeNanos());
      assertThat(after.traceId()).isEqualTo(before.traceId());
    }
    assertThat(redactions("removed_attribute")).isEqualTo(20.0);
    assertThat(redactions("email_hashed")).isZero();
  }

  @Test
  void recordsWithoutSensitiveFieldsStayTheSameObjects() {
    LogsBatch in = (LogsBatch) Captures.load("http-protobuf/optins/0001-http-logs.bin");
    LogsBatch out = (LogsBatch) processor().apply(in);
    int same = 0;
    for (int i = 0; i < in.records().size(); i++) {
      if (out.records().get(i) == in.records().get(i)) {
        same++;
      }
    }
    // 30 records; user_prompt, 7 assistant_response, 3 tool_decision (Bash) and 5 tool_result changed.
    assertThat(same).isEqualTo(14);
  }

  @Test
  void everyCaptureLosesExactlyTheDefaultFieldsAndNothingElse() {
    PrivacyProcessor p = processor();
    for (Captures.Capture c : Captures.all()) {
      TelemetryBatch out = p.apply(c.batch());
      assertThat(out.itemCount()).as(c.name()).isEqualTo(c.batch().itemCount());
      if (c.batch() instanceof MetricsBatch m) {
        // No prompt or email on Claude Code's metric points: nothing to do, nothing copied.
        assertThat(out).as(c.name()).isSameAs(m);
      } else if (c.batch() instanceof LogsBatch l) {
        List<LogRecord> after = ((LogsBatch) out).records();
        for (int i = 0; i < l.records().size(); i++) {
          assertThat(after.get(i).attributes()).as(c.name()).isEqualTo(without(l.records().get(i).attributes(), ANYWHERE));
        }
      } else {
        List<Span> before = ((TracesBatch) c.batch()).spans();
        List<Span> after = ((TracesBatch) out).spans();
        for (int i = 0; i < before.size(); i++) {
          assertThat(after.get(i).attributes()).as(c.name()).isEqualTo(without(before.get(i).attributes(), ANYWHERE));
          for (int j = 0; j < before.get(i).events().size(); j++) {
            assertThat(after.get(i).events().get(j).attributes())
                .as(c.name())
                .isEqualTo(without(before.get(i).events().get(j).attributes(), Set.of("output", "content", "diff")));
          }
        }
      }
    }
  }

  @Test
  void userPromptSpanAttributeIsRemoved() {
    TracesBatch in = (TracesBatch) Captures.load("http-protobuf/traces/0001-http-traces.bin");
    TracesBatch out = (TracesBatch) processor().apply(in);
    Span interaction = out.spans().stream().filter(s -> s.name().equals("claude_code.interaction")).findFirst().orElseThrow();
    assertThat(interaction.attributes().get("user_prompt")).isNull();
    assertThat(interaction.attributes().get("user_prompt_length")).isEqualTo(68L);
    assertThat(redactions("removed_attribute")).isEqualTo(1.0);
    int same = 0;
    for (int i = 0; i < in.spans().size(); i++) {
      same += out.spans().get(i) == in.spans().get(i) ? 1 : 0;
    }
    assertThat(same).isEqualTo(24);
  }

  @Test
  void toolOutputSpanEventsLoseOutputContentAndDiffButKeepTheRest() {
    // http-json/extras: OTEL_LOG_TOOL_CONTENT=1 + OTEL_LOG_TOOL_DETAILS=1 + OTEL_LOG_USER_PROMPTS=1.
    TracesBatch in = (TracesBatch) Captures.load("http-json/extras/0005-http-traces.bin");
    TracesBatch out = (TracesBatch) processor().apply(in);
    List<Attributes> toolOutputs = new ArrayList<>();
    for (Span s : out.spans()) {
      for (Span.Event e : s.events()) {
        if (e.name().equals("tool.output")) {
          toolOutputs.add(e.attributes());
        }
      }
    }
    assertThat(toolOutputs)
        .containsExactly(
            Attributes.of("bash_command", "echo hello"),
            Attributes.of("file_path", "/home/dev/acme-app/hello.txt"),
            Attributes.of("file_path", "/home/dev/acme-app/hello.txt"),
            Attributes.of("bash_command", "git add -A && git commit -q -m \"Update hello.txt\""),
            Attributes.of("bash_command", "gh pr create --title \"Update hello.txt\" --body \"Edits hello.txt\""));
    // 3 output + 1 content + 1 diff on span events, user_prompt on the interaction span.
    assertThat(redactions("removed_attribute")).isEqualTo(6.0);
  }

  // ---------------------------------------------------------------- allow-list and secrets

  @Test
  void allowedPromptIsKeptVerbatimWhenItHoldsNoSecret() {
    LogsBatch in = (LogsBatch) Captures.load("http-protobuf/optins/0001-http-logs.bin");
    LogsBatch out = (LogsBatch) processor(allow("prompt", "tool_input")).apply(in);
    LogRecord prompt = out.records().stream().filter(r -> r.effectiveEventName().equals("user_prompt")).findFirst().orElseThrow();
    assertThat(prompt.attributes().get("prompt"))
        .isEqualTo("Run echo hello, then read hello.txt, edit it, and commit the change.");
    assertThat(prompt.attributes().get("prompt_text")).isNull();
    assertThat(sensitiveKeys(out)).containsExactly(Map.entry("prompt", 1), Map.entry("tool_input", 5));
    // prompt_text 1 + response 7 + tool_parameters 6
    assertThat(redactions("removed_attribute")).isEqualTo(14.0);
  }

  static Stream<Arguments> secrets() {
    return Stream.of(
        Arguments.of("use sk-ant-api03-AbCdEf123456_XYZ-789xyz now", "use [REDACTED:anthropic_api_key] now",
            Map.of("anthropic_api_key", 1)),
        Arguments.of("OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90KlMn_op-QR", "OPENAI_API_KEY=[REDACTED:openai_api_key]",
            Map.of("openai_api_key", 1)),
        Arguments.of("key sk-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUvWx", "key [REDACTED:openai_api_key]",
            Map.of("openai_api_key", 1)),
        Arguments.of("AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A",
            "[REDACTED:aws_access_key_id] and [REDACTED:aws_access_key_id]", Map.of("aws_access_key_id", 2)),
        Arguments.of("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED:aws_secret_access_key]", Map.of("aws_secret_access_key", 1)),
        Arguments.of("{\"AWS_SECRET_ACCESS_KEY\":\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"}",
            "{\"AWS_SECRET_ACCESS_KEY\":\"[REDACTED:aws_secret_access_key]\"}", Map.of("aws_secret_access_key", 1)),
        Arguments.of("git clone https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/x/y",
            "git clone https://[REDACTED:github_token]@github.com/x/y", Map.of("github_token", 1)),
        Arguments.of("token github_pat_11AAAAAAA0123456789_abcdefghijklmnopqrstuvwxyzABCDEF and ghs_abcdefghijklmnopqrstuvwxyz0123456789",
            "token [REDACTED:github_token] and [REDACTED:github_token]", Map.of("github_token", 2)),
        Arguments.of("SLACK_TOKEN=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "SLACK_TOKEN=[REDACTED:slack_token]", Map.of("slack_token", 1)),
        Arguments.of("curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-def_ghi' https://api",
            "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://api", Map.of("bearer_token", 1)),
        Arguments.of("key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAA\n-----END OPENSSH PRIVATE KEY-----\ndone",
            "key:\n[REDACTED:private_key]\ndone", Map.of("private_key", 1)),
        Arguments.of("cut: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", "cut: [REDACTED:private_key]",
            Map.of("private_key", 1)),
        Arguments.of("mysql -u root --password=hunter2 db", "mysql -u root --password=[REDACTED:password] db",
            Map.of("password", 1)),
        Arguments.of("password: hunter2", "password: [REDACTED:password]", Map.of("password", 1)),
        Arguments.of("{\"password\":\"hun\\\"ter2\",\"user\":\"bob\"}", "{\"password\":\"[REDACTED:password]\",\"user\":\"bob\"}",
            Map.of("password", 1)),
        Arguments.of("{\"command\":\"PGPASSWORD=s3cret psql -h db\"}", "{\"command\":\"PGPASSWORD=[REDACTED:password] psql -h db\"}",
            Map.of("password", 1)),
        Arguments.of("{\"content\":\"{\\\"db_password\\\": \\\"s3 cret\\\"}\"}",
            "{\"content\":\"{\\\"db_password\\\": \\\"[REDACTED:password]\\\"}\"}", Map.of("password", 1)),
        Arguments.of("Authorization: Bearer sk-ant-api03-AbCdEf123456", "Authorization: Bearer [REDACTED:anthropic_api_key]",
            Map.of("anthropic_api_key", 1)),
        Arguments.of("password=sk-ant-api03-AbCdEf123456", "password=[REDACTED:anthropic_api_key]",
            Map.of("anthropic_api_key", 1)));
  }

  @ParameterizedTest
  @MethodSource("secrets")
  void allowedPromptIsScrubbedOfEachSecretKind(String prompt, String expected, Map<String, Integer> kinds) {
    LogsBatch in = new LogsBatch(List.of(event("user_prompt", "prompt", prompt, "prompt_length", "9")));
    LogsBatch out = (LogsBatch) processor(allow("prompt")).apply(in);
    assertThat(out.records().get(0).attributes())
        .isEqualTo(Attributes.of("event.name", "user_prompt", "prompt", expected, "prompt_length", "9"));
    for (SecretScrubber.Kind k : SecretScrubber.Kind.values()) {
      assertThat(redactions(k.id())).as(k.id()).isEqualTo(kinds.getOrDefault(k.id(), 0).doubleValue());
    }
  }

  @Test
  void noSecretNoCopy() {
    LogsBatch in = new LogsBatch(List.of(event("user_prompt", "prompt", "sk-learn is a library; Bearer auth", "x", 1L)));
    assertThat(processor(allow("prompt")).apply(in)).isSameAs(in);
  }

  @Test
  void allowedFieldsAreKeptVerbatimWhenScrubbingIsOff() {
    PrivacyConfig verbatim = new PrivacyConfig(true, Set.of("prompt"), Set.of(), Set.of(), false,
        PrivacyConfig.EmailMode.KEEP, "");
    LogsBatch in = new LogsBatch(List.of(event("user_prompt", "prompt", "password=hunter2")));
    assertThat(processor(verbatim).apply(in)).isSameAs(in);
  }

  @Test
  void commandLinesOnSpansAreScrubbedByDefaultAndCanBeRemoved() {
    Span tool = span("claude_code.tool", Attributes.of("tool_name", "Bash", "full_command",
        "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345 && gh pr list", "file_path", "/tmp/x"));
    TracesBatch in = new TracesBatch(List.of(tool));

    Span scrubbed = ((TracesBatch) processor().apply(in)).spans().get(0);
    assertThat(scrubbed.attributes().get("full_command"))
        .isEqualTo("export GITHUB_TOKEN=[REDACTED:github_token] && gh pr list");

    PrivacyConfig remove = new PrivacyConfig(true, Set.of(), Set.of("full_command", "file_path"),
        Set.copyOf(PrivacyConfig.DEFAULT_SCRUB), true, PrivacyConfig.EmailMode.DROP, "");
    Span removed = ((TracesBatch) processor(remove).apply(in)).spans().get(0);
    assertThat(removed.attributes()).isEqualTo(Attributes.of("tool_name", "Bash"));
  }

  @Test
  void rawApiBodiesAreRemovedOnlyFromTheirEvents() {
    String json = "{\"model\":\"claude-opus-5-5\",\"messages\":[{\"role\":\"user\",\"content\":\"password=hunter2\"}]}";
    LogRecord request = event("api_request_body", "body", json, "body_length", "87", "model", "claude-opus-5-5");
    LogRecord response = event("api_response_body", "body", "{}", "body_length", "2");
    LogRecord other = event("custom_event", "body", "not an API body");
    LogsBatch in = new LogsBatch(List.of(request, response, other));

    LogsBatch out = (LogsBatch) processor().apply(in);
    assertThat(out.records().get(0).attributes())
        .isEqualTo(Attributes.of("event.name", "api_request_body", "body_length", "87", "model", "claude-opus-5-5"));
    assertThat(out.records().get(1).attributes()).isEqualTo(Attributes.of("event.name", "api_response_body", "body_length", "2"));
    assertThat(out.records().get(2)).isSameAs(other);

    LogsBatch allowed = (LogsBatch) processor(allow("body")).apply(in);
    assertThat(allowed.records().get(0).attributes().get("body"))
        .isEqualTo("{\"model\":\"claude-opus-5-5\",\"messages\":[{\"role\":\"user\",\"content\":\"password=[REDACTED:password]\"}]}");
  }

  @Test
  void outputContentAndDiffAreRemovedFromSpanEventsOnly() {
    Span s = span("claude_code.tool", Attributes.of("content", "span attribute stays"),
        new Span.Event("tool.output", TestData.T, Attributes.of("content", "file text", "file_path", "/a")));
    Span out = ((TracesBatch) processor().apply(new TracesBatch(List.of(s)))).spans().get(0);
    assertThat(out.attributes()).isSameAs(s.attributes());
    assertThat(out.events()).containsExactly(new Span.Event("tool.output", TestData.T, Attributes.of("file_path", "/a")));
  }

  @Test
  void metricPointAttributesAreCoveredToo() {
    Metric m = sum("claude_code.cost.usage", point(0.5, "model", "opus", "user.email", "dev@example.com", "prompt", "hi"));
    MetricsBatch out = (MetricsBatch) processor(allow()).apply(new MetricsBatch(List.of(m)));
    DataPoint p = out.metrics().get(0).points().get(0);
    assertThat(p.attributes()).isEqualTo(Attributes.of("model", "opus", "user.email", DEV_HASH));
    assertThat(out.metrics().get(0).resource()).isSameAs(m.resource());
  }

  // ---------------------------------------------------------------- user.email

  @Test
  void emailHashIsKeyedDeterministicAndCaseInsensitive() {
    Resource resource = Resource.of(Attributes.of("service.name", "claude-code", "user.email", "Dev@Example.com "));
    LogRecord a = withResource(event("user_prompt", "user.email", "dev@example.com", "prompt_length", "1"), resource);
    LogRecord b = withResource(event("api_request", "user.email", "DEV@EXAMPLE.COM", "model", "m"), resource);
    LogsBatch out = (LogsBatch) processor(allow()).apply(new LogsBatch(List.of(a, b)));

    assertThat(out.records().get(0).attributes().get("user.email")).isEqualTo(DEV_HASH);
    assertThat(out.records().get(1).attributes().get("user.email")).isEqualTo(DEV_HASH);
    // The shared resource is rewritten once and still shared.
    assertThat(out.records().get(0).resource()).isSameAs(out.records().get(1).resource());
    assertThat(out.records().get(0).resource().attributes())
        .isEqualTo(Attributes.of("service.name", "claude-code", "user.email", DEV_HASH));
    assertThat(redactions("email_hashed")).isEqualTo(3.0);

    PrivacyConfig otherKey = new PrivacyConfig(true, Set.of(), Set.of(), Set.of(), true,
        PrivacyConfig.EmailMode.HASH, "another-key-9876543210");
    LogsBatch other = (LogsBatch) processor(otherKey).apply(new LogsBatch(List.of(a)));
    assertThat(other.records().get(0).attributes().get("user.email"))
        .isEqualTo("42fdd0d6d80e4c64527c4683a526b448fe0a34ecf0f8c0f625856875ef465ccc");
  }

  @Test
  void emailIsDroppedByDefaultWhenNoKeyIsGivenAndKeptWhenAsked() {
    LogRecord r = event("user_prompt", "user.email", "dev@example.com", "prompt_length", "1");
    LogsBatch in = new LogsBatch(List.of(r));
    assertThat(PrivacyConfig.defaults().effectiveEmail()).isEqualTo(PrivacyConfig.EmailMode.DROP);

    LogsBatch dropped = (LogsBatch) processor().apply(in);
    assertThat(dropped.records().get(0).attributes()).isEqualTo(Attributes.of("event.name", "user_prompt", "prompt_length", "1"));
    assertThat(redactions("removed_attribute")).isEqualTo(1.0);

    PrivacyConfig keep = new PrivacyConfig(true, Set.of(), Set.of(), Set.of(), true, PrivacyConfig.EmailMode.KEEP, "");
    assertThat(processor(keep).apply(in)).isSameAs(in);
  }

  private static LogRecord withResource(LogRecord r, Resource resource) {
    return new LogRecord(resource, r.scope(), r.timeNanos(), r.observedTimeNanos(), r.severityNumber(), r.severityText(),
        r.body(), r.attributes(), r.eventName(), r.traceId(), r.spanId(), r.flags(), r.droppedAttributesCount());
  }

  // ---------------------------------------------------------------- counters, wiring

  @Test
  void everyKindIsRegisteredAtZero() {
    processor();
    List<String> kinds = new ArrayList<>();
    registry.find("gateway.redactions").counters().forEach(c -> {
      kinds.add(c.getId().getTag("kind"));
      assertThat(c.count()).isZero();
    });
    assertThat(kinds)
        .containsExactlyInAnyOrder("private_key", "anthropic_api_key", "openai_api_key", "aws_secret_access_key",
            "aws_access_key_id", "github_token", "slack_token", "bearer_token", "password", "removed_attribute",
            "email_hashed");
  }

  @Test
  void validationThenPrivacyAsTheAppWiresThem() {
    List<TelemetryBatch> got = new ArrayList<>();
    BatchConsumer sink = b -> {
      got.add(b);
      return ConsumeResult.ok();
    };
    ValidationProcessor validation = ValidationProcessor.create(ValidationConfig.defaults(), metrics, CLOCK);
    PrivacyProcessor privacy = processor();
    // PipelineAssembler wraps the last processor first: validation.wrap(privacy.wrap(fanout)).
    BatchConsumer chain = validation.wrap(privacy.wrap(sink));

    LogsBatch in = (LogsBatch) Captures.load("http-protobuf/optins/0001-http-logs.bin");
    List<LogRecord> records = new ArrayList<>(in.records());
    records.add(event("api_request", "cost_usd", "abc", "model", "m", "prompt", "never exported"));
    ConsumeResult r = chain.consume(new LogsBatch(records));

    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.PARTIAL);
    assertThat(r.rejectedItems()).isEqualTo(1);
    assertThat(got).hasSize(1);
    assertThat(got.get(0).itemCount()).isEqualTo(30);
    assertThat(sensitiveKeys((LogsBatch) got.get(0))).isEmpty();
    assertThat(redactions("removed_attribute")).isEqualTo(20.0);
  }

  // ---------------------------------------------------------------- configuration

  @Test
  void configDefaultsAndParsing() {
    PrivacyConfig d = PrivacyConfig.defaults();
    assertThat(d.enabled()).isTrue();
    assertThat(d.allow()).isEmpty();
    assertThat(d.remove()).isEmpty();
    assertThat(d.scrub()).containsExactlyInAnyOrder("full_command", "bash_command");
    assertThat(d.scrubSecrets()).isTrue();
    assertThat(d.email()).isEqualTo(PrivacyConfig.EmailMode.HASH);
    assertThat(PrivacyConfig.parse(ConfigNode.empty("privacy"))).isEqualTo(d);

    Map<String, Object> yaml = new LinkedHashMap<>();
    yaml.put("allow", List.of("prompt", "tool_input"));
    yaml.put("remove", List.of("file_path"));
    yaml.put("scrub", List.of("error"));
    yaml.put("scrub_secrets", true);
    yaml.put("email", "hash");
    yaml.put("email_hash_key", KEY);
    PrivacyConfig c = PrivacyConfig.parse(new ConfigNode("privacy", yaml));
    assertThat(c.allow()).containsExactlyInAnyOrder("prompt", "tool_input");
    assertThat(c.remove()).containsExactly("file_path");
    assertThat(c.scrub()).containsExactly("error");
    assertThat(c.effectiveEmail()).isEqualTo(PrivacyConfig.EmailMode.HASH);
    assertThat(c.toString()).doesNotContain(KEY).contains("emailHashKey=(set)");
  }

  static Stream<Arguments> badPrivacyConfigs() {
    return Stream.of(
        Arguments.of(Map.of("allow", List.of("prompts")),
            "privacy.allow[0]: unknown field \"prompts\"; known fields: prompt, prompt_text, response, tool_parameters, "
                + "tool_input, user_prompt, body, output, content, diff"),
        Arguments.of(Map.of("email", "hash"),
            "privacy.email_hash_key: is required when email is hash (e.g. email_hash_key: ${env:GATEWAY_EMAIL_HASH_KEY}); "
                + "or set email to drop or keep"),
        Arguments.of(Map.of("email_hash_key", "short"), "privacy.email_hash_key: must be at least 16 characters, got 5"),
        Arguments.of(Map.of("email", "sha256"), "privacy.email: expected one of keep, hash, drop, got \"sha256\""),
        Arguments.of(Map.of("allow", List.of("prompt"), "remove", List.of("prompt")),
            "privacy.remove: \"prompt\" is also in allow; keep it in one list"),
        Arguments.of(Map.of("redact", true),
            "privacy.redact: unknown key; known keys here: allow, email, email_hash_key, enabled, remove, scrub, scrub_secrets"));
  }

  @ParameterizedTest
  @MethodSource("badPrivacyConfigs")
  void badConfigIsRefusedNamingTheKey(Map<String, Object> yaml, String message) {
    assertThatThrownBy(() -> PrivacyConfig.parse(new ConfigNode("privacy", yaml)))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  private static Attributes without(Attributes a, Set<String> keys) {
    Attributes.Builder b = Attributes.builder();
    for (int i = 0; i < a.size(); i++) {
      if (!keys.contains(a.key(i))) {
        b.add(a.key(i), a.value(i));
      }
    }
    return b.build();
  }
}

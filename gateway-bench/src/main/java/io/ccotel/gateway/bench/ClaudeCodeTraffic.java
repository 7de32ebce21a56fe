package io.ccotel.gateway.bench;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Claude-Code-shaped OTLP traffic, as the captures in {@code src-test-fixtures/captures/claude-code}
 * show it (TELEMETRY-FACTS.md): DELTA monotonic sums with every value as {@code as_double}, the
 * standard point attributes ({@code user.id}, {@code session.id}, {@code anthropic.provider},
 * {@code anthropic.custom_base_url}, {@code terminal.type}) plus the {@code OTEL_RESOURCE_ATTRIBUTES}
 * team tags copied onto every point, and the metric's own attributes: 8 to 12 attributes per point.
 * Events are {@code api_request} and {@code tool_result} log records with the attributes the CLI
 * sends (TELEMETRY-FACTS.md section 4) plus the team tags: about 875 and 710 bytes in protobuf, as
 * in the captured {@code optins} run (862 and 750 to 860; without team tags the CLI's are 785 and
 * 610).
 *
 * <p>Many simulated sessions, users, teams and models. Each session belongs to one user (and the
 * user to one team) and uses one model. A metrics request holds one ResourceMetrics per session
 * (what a batching collector in front of many CLIs would send; a single CLI sends one session per
 * request, so {@code pointsPerRequest} around 10 to 30 is the CLI's own shape).
 *
 * <p>Every point gets a distinct end time (a nanosecond sequence from the generator's creation
 * time), so no two generated points are exact repeats and the Prometheus exporter adds every one
 * of them (it drops exact repeats as client retries).
 *
 * <p>The series a run can create in Prometheus, with the default label policy ({@code session.id}
 * dropped): per (user, model) 4 token types + cost + 2 line types = 7, per user 2 active-time types
 * + 4 edit decisions = 6, so {@code users * (7 * models + 6)}; keep it under the exporter's caps
 * ({@code max_series} 100,000 and 20,000 per metric: {@code users * models * 4} for token usage).
 *
 * <p>Not thread-safe: one instance per generating thread.
 */
public final class ClaudeCodeTraffic {
  static final String CLI_VERSION = "2.1.328";
  static final String[] MODELS = {
    "claude-opus-5-5", "claude-sonnet-5", "claude-haiku-5", "claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5",
    "claude-opus-4", "claude-sonnet-4"
  };
  private static final String[] TOKEN_TYPES = {"input", "output", "cacheRead", "cacheCreation"};
  private static final String[] DEPARTMENTS = {"engineering", "research", "data", "product", "security"};
  private static final String[] TERMINALS = {"vscode", "iTerm.app", "tmux", "cursor", "dumb", "WezTerm"};
  private static final String[] LANGUAGES = {"TypeScript", "Python", "Java", "Go", "Rust", "Plain text"};
  private static final String[] TOOLS = {"Bash", "Read", "Edit", "Grep", "Write"};
  private static final HexFormat HEX = HexFormat.of();

  /**
   * The population.
   *
   * @param users distinct {@code user.id}s
   * @param teams distinct {@code team.id}s (a user belongs to {@code user % teams})
   * @param models distinct models, at most {@value #MAX_MODELS}
   * @param sessions distinct {@code session.id}s (session {@code s} is user {@code s % users}'s, with
   *     model {@code (s / users) % models}: with {@code sessions >= users * models} every user uses
   *     every model)
   */
  public record Shape(int users, int teams, int models, int sessions, long seed) {
    public static final int MAX_MODELS = 8;

    public Shape {
      if (users < 1 || teams < 1 || sessions < 1 || models < 1 || models > MAX_MODELS) {
        throw new IllegalArgumentException("users, teams, sessions >= 1 and 1 <= models <= " + MAX_MODELS);
      }
    }

    public static Shape defaults() {
      return new Shape(1000, 25, 4, 5000, 42);
    }

    /** The claude_code_* series this population can create (see the class comment). */
    public long maxSeries() {
      return (long) users * (7L * models + 6);
    }
  }

  private record User(String id, List<KeyValue> standard, Resource resource, String language) {}

  private record Session(User user, String id, String model, KeyValue sessionAttr, List<KeyValue> prefix) {}

  private final Shape shape;
  private final User[] users;
  private final Session[] sessions;
  private final SplittableRandom random;
  private final InstrumentationScope metricsScope =
      InstrumentationScope.newBuilder().setName("com.anthropic.claude_code").setVersion(CLI_VERSION).build();
  private final InstrumentationScope eventsScope =
      InstrumentationScope.newBuilder().setName("com.anthropic.claude_code.events").setVersion(CLI_VERSION).build();
  private int cursor;
  private long timeSeq;
  private final long baseNanos;
  private long eventSeq;
  private long chunks;

  public ClaudeCodeTraffic(Shape shape) {
    this(shape, 0);
  }

  /**
   * @param stream several generators of one shape (one per thread) pass 0, 1, 2, ...: they share
   *     the population but start at different sessions and never produce the same end time
   */
  public ClaudeCodeTraffic(Shape shape, int stream) {
    this.shape = shape;
    this.random = new SplittableRandom(shape.seed() * 1_000_003L + stream);
    SplittableRandom popRandom = new SplittableRandom(shape.seed());
    this.users = new User[shape.users()];
    for (int u = 0; u < users.length; u++) {
      byte[] id = new byte[32];
      popRandom.nextBytes(id);
      int team = u % shape.teams();
      String dept = DEPARTMENTS[team % DEPARTMENTS.length];
      List<KeyValue> standard = new ArrayList<>();
      // Order as the CLI sends them: resource-attribute copies first, then the standard ones.
      standard.add(str("department", dept));
      standard.add(str("team.id", "team-" + team));
      standard.add(str("cost_center", "cc-" + (1000 + team)));
      standard.add(str("user.id", HEX.formatHex(id)));
      Resource resource =
          Resource.newBuilder()
              .addAttributes(str("department", dept))
              .addAttributes(str("team.id", "team-" + team))
              .addAttributes(str("cost_center", "cc-" + (1000 + team)))
              .addAttributes(str("host.arch", u % 5 == 0 ? "arm64" : "amd64"))
              .addAttributes(str("os.type", u % 3 == 0 ? "darwin" : "linux"))
              .addAttributes(str("os.version", u % 3 == 0 ? "24.6.0" : "6.8.0-49-generic"))
              .addAttributes(str("service.name", "claude-code"))
              .addAttributes(str("service.version", CLI_VERSION))
              .build();
      users[u] = new User(HEX.formatHex(id), List.copyOf(standard), resource, LANGUAGES[u % LANGUAGES.length]);
    }
    this.sessions = new Session[shape.sessions()];
    for (int s = 0; s < sessions.length; s++) {
      String sid = new UUID(popRandom.nextLong(), popRandom.nextLong()).toString();
      sessions[s] = session(s % users.length, sid, MODELS[(s / users.length) % shape.models()]);
    }
    this.cursor = (int) ((long) stream * 7919 % sessions.length);
    // Distinct end times per stream: each generator steps 1,000 ns per session chunk from "now" +
    // its stream number (ns), so up to 1,000 streams never meet, and no time is in the future (the
    // gateway refuses points more than a few minutes ahead of its clock).
    this.baseNanos = System.currentTimeMillis() * 1_000_000L + (stream % 1000);
  }

  private Session session(int u, String sid, String model) {
    User user = users[u];
    KeyValue sessionAttr = str("session.id", sid);
    List<KeyValue> prefix = new ArrayList<>(user.standard());
    prefix.add(sessionAttr);
    prefix.add(str("anthropic.provider", "firstParty"));
    prefix.add(KeyValue.newBuilder().setKey("anthropic.custom_base_url").setValue(AnyValue.newBuilder().setBoolValue(false)).build());
    prefix.add(str("terminal.type", TERMINALS[u % TERMINALS.length]));
    return new Session(user, sid, model, sessionAttr, List.copyOf(prefix));
  }

  public Shape shape() {
    return shape;
  }

  // ------------------------------------------------------------------------------------ metrics

  /** A metrics request of about {@code points} data points (whole metrics; at least one session). */
  public ExportMetricsServiceRequest metrics(int points) {
    ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
    int n = 0;
    while (n < points) {
      Session s = sessions[cursor];
      cursor = (cursor + 1) % sessions.length;
      long time = baseNanos + (timeSeq += 1000);
      long start = time - 60_000_000_000L;
      long chunk = chunks++;
      ScopeMetrics.Builder sm = ScopeMetrics.newBuilder().setScope(metricsScope);
      List<KeyValue> modelAttrs = List.of(str("model", s.model()), str("query_source", "main"), str("effort", "medium"));
      // token.usage: one point per type (4)
      Sum.Builder tokens = deltaSum();
      for (String type : TOKEN_TYPES) {
        NumberDataPoint.Builder p = point(s, start, time, tokenValue(type));
        p.addAllAttributes(modelAttrs).addAttributes(str("type", type));
        tokens.addDataPoints(p);
      }
      sm.addMetrics(Metric.newBuilder().setName("claude_code.token.usage").setDescription("Number of tokens used").setUnit("tokens").setSum(tokens));
      n += 4;
      if (n < points) {
        Sum.Builder cost = deltaSum();
        cost.addDataPoints(point(s, start, time, 0.001 + random.nextDouble() * 0.2).addAllAttributes(modelAttrs));
        sm.addMetrics(Metric.newBuilder().setName("claude_code.cost.usage").setDescription("Cost of the Claude Code session").setUnit("USD").setSum(cost));
        n += 1;
      }
      if (n < points) {
        Sum.Builder loc = deltaSum();
        loc.addDataPoints(point(s, start, time, 1 + random.nextInt(200)).addAttributes(str("type", "added")).addAttributes(str("model", s.model())));
        loc.addDataPoints(point(s, start, time, 1 + random.nextInt(50)).addAttributes(str("type", "removed")).addAttributes(str("model", s.model())));
        sm.addMetrics(
            Metric.newBuilder()
                .setName("claude_code.lines_of_code.count")
                .setDescription("Count of lines of code modified, with the 'type' attribute indicating whether lines were added or removed and the 'model' attribute indicating which model made the change")
                .setSum(loc));
        n += 2;
      }
      if (n < points) {
        Sum.Builder active = deltaSum();
        active.addDataPoints(point(s, start, time, random.nextDouble() * 30).addAttributes(str("type", (chunk & 1) == 0 ? "user" : "cli")));
        sm.addMetrics(Metric.newBuilder().setName("claude_code.active_time.total").setDescription("Total active time in seconds").setUnit("s").setSum(active));
        n += 1;
      }
      if (n < points && (chunk & 2) == 0) {
        Sum.Builder edits = deltaSum();
        boolean accept = random.nextInt(5) != 0;
        edits.addDataPoints(
            point(s, start, time, 1)
                .addAttributes(str("decision", accept ? "accept" : "reject"))
                .addAttributes(str("source", "config"))
                .addAttributes(str("tool_name", random.nextBoolean() ? "Edit" : "Write"))
                .addAttributes(str("language", s.user().language())));
        sm.addMetrics(
            Metric.newBuilder()
                .setName("claude_code.code_edit_tool.decision")
                .setDescription("Count of code editing tool permission decisions (accept/reject) for Edit, Write, and NotebookEdit tools")
                .setSum(edits));
        n += 1;
      }
      req.addResourceMetrics(ResourceMetrics.newBuilder().setResource(s.user().resource()).addScopeMetrics(sm));
    }
    return req.build();
  }

  /**
   * One point of every series of user {@code u} (all models of the shape): {@code 7 * models + 6}
   * points. Used to fill an exporter with an exact number of series.
   */
  public ExportMetricsServiceRequest allSeriesOfUser(int u) {
    ExportMetricsServiceRequest.Builder req = ExportMetricsServiceRequest.newBuilder();
    for (int m = 0; m < shape.models(); m++) {
      String sid = new UUID(u, m).toString();
      req.addResourceMetrics(oneOfEach(session(u, sid, MODELS[m]), m == 0));
    }
    return req.build();
  }

  private ResourceMetrics oneOfEach(Session s, boolean perUser) {
    long time = baseNanos + (timeSeq += 1000);
    long start = time - 60_000_000_000L;
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder().setScope(metricsScope);
    List<KeyValue> modelAttrs = List.of(str("model", s.model()), str("query_source", "main"), str("effort", "medium"));
    Sum.Builder tokens = deltaSum();
    for (String type : TOKEN_TYPES) {
      tokens.addDataPoints(point(s, start, time, tokenValue(type)).addAllAttributes(modelAttrs).addAttributes(str("type", type)));
    }
    sm.addMetrics(Metric.newBuilder().setName("claude_code.token.usage").setUnit("tokens").setSum(tokens));
    sm.addMetrics(
        Metric.newBuilder().setName("claude_code.cost.usage").setUnit("USD")
            .setSum(deltaSum().addDataPoints(point(s, start, time, 0.01).addAllAttributes(modelAttrs))));
    sm.addMetrics(
        Metric.newBuilder().setName("claude_code.lines_of_code.count")
            .setSum(deltaSum()
                .addDataPoints(point(s, start, time, 3).addAttributes(str("type", "added")).addAttributes(str("model", s.model())))
                .addDataPoints(point(s, start, time, 1).addAttributes(str("type", "removed")).addAttributes(str("model", s.model())))));
    if (perUser) {
      sm.addMetrics(
          Metric.newBuilder().setName("claude_code.active_time.total").setUnit("s")
              .setSum(deltaSum()
                  .addDataPoints(point(s, start, time, 2).addAttributes(str("type", "user")))
                  .addDataPoints(point(s, start, time, 5).addAttributes(str("type", "cli")))));
      Sum.Builder edits = deltaSum();
      for (String tool : new String[] {"Edit", "Write"}) {
        for (String decision : new String[] {"accept", "reject"}) {
          edits.addDataPoints(
              point(s, start, time, 1)
                  .addAttributes(str("decision", decision))
                  .addAttributes(str("source", "config"))
                  .addAttributes(str("tool_name", tool))
                  .addAttributes(str("language", s.user().language())));
        }
      }
      sm.addMetrics(Metric.newBuilder().setName("claude_code.code_edit_tool.decision").setSum(edits));
    }
    return ResourceMetrics.newBuilder().setResource(s.user().resource()).addScopeMetrics(sm).build();
  }

  private double tokenValue(String type) {
    return switch (type) {
      case "input" -> 50 + random.nextInt(5000);
      case "output" -> 20 + random.nextInt(4000);
      case "cacheRead" -> 1000 + random.nextInt(200_000);
      default -> random.nextInt(20_000);
    };
  }

  private static Sum.Builder deltaSum() {
    return Sum.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .setIsMonotonic(true);
  }

  private static NumberDataPoint.Builder point(Session s, long start, long time, double value) {
    return NumberDataPoint.newBuilder()
        .setStartTimeUnixNano(start)
        .setTimeUnixNano(time)
        .setAsDouble(value)
        .addAllAttributes(s.prefix());
  }

  // ------------------------------------------------------------------------------------- events

  /**
   * A logs request of {@code records} events, alternating {@code api_request} and {@code
   * tool_result} (about 820 bytes on average in protobuf), {@code perSession} consecutive records per
   * session (one ResourceLogs each), as the CLI's batch processor sends them.
   */
  public ExportLogsServiceRequest logs(int records, int perSession) {
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    int n = 0;
    while (n < records) {
      Session s = sessions[cursor];
      cursor = (cursor + 1) % sessions.length;
      ScopeLogs.Builder sl = ScopeLogs.newBuilder().setScope(eventsScope);
      String promptId = new UUID(random.nextLong(), random.nextLong()).toString();
      for (int i = 0; i < perSession && n < records; i++, n++) {
        long time = baseNanos + (timeSeq += 1000);
        // Millisecond precision, as the CLI sends.
        long timeMs = time / 1_000_000L * 1_000_000L;
        boolean api = (n & 1) == 0;
        LogRecord.Builder r =
            LogRecord.newBuilder()
                .setTimeUnixNano(timeMs)
                .setObservedTimeUnixNano(timeMs)
                .setBody(AnyValue.newBuilder().setStringValue(api ? "claude_code.api_request" : "claude_code.tool_result"))
                .addAllAttributes(s.user().standard())
                .addAttributes(s.sessionAttr())
                .addAttributes(str("anthropic.provider", "firstParty"))
                .addAttributes(KeyValue.newBuilder().setKey("anthropic.custom_base_url").setValue(AnyValue.newBuilder().setBoolValue(false)))
                .addAttributes(str("terminal.type", "vscode"))
                .addAttributes(str("event.name", api ? "api_request" : "tool_result"))
                .addAttributes(str("event.timestamp", Instant.ofEpochSecond(0, timeMs).toString()))
                .addAttributes(integer("event.sequence", eventSeq++ & 0xffff))
                .addAttributes(str("prompt.id", promptId));
        String requestId = "req_011C" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
        if (api) {
          int in = 50 + random.nextInt(5000);
          int out = 20 + random.nextInt(4000);
          double cost = (in * 15 + out * 75) / 1e6;
          r.addAttributes(str("model", s.model()))
              .addAttributes(integer("input_tokens", in))
              .addAttributes(integer("output_tokens", out))
              .addAttributes(integer("cache_read_tokens", random.nextInt(200_000)))
              .addAttributes(integer("cache_creation_tokens", random.nextInt(20_000)))
              .addAttributes(integer("cache_creation_5m_tokens", 0))
              .addAttributes(integer("cache_creation_1h_tokens", 0))
              .addAttributes(dbl("cost_usd", cost))
              .addAttributes(integer("cost_usd_micros", Math.round(cost * 1e6)))
              .addAttributes(integer("duration_ms", 200 + random.nextInt(30_000)))
              .addAttributes(integer("ttft_ms", 100 + random.nextInt(3000)))
              .addAttributes(str("request_id", requestId))
              .addAttributes(str("speed", "normal"))
              .addAttributes(str("query_source", "sdk"))
              .addAttributes(str("effort", "medium"));
        } else {
          r.addAttributes(str("tool_name", TOOLS[random.nextInt(TOOLS.length)]))
              .addAttributes(str("tool_use_id", "toolu_01" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)))
              .addAttributes(str("success", random.nextInt(20) == 0 ? "false" : "true"))
              .addAttributes(str("duration_ms", Integer.toString(5 + random.nextInt(5000))))
              .addAttributes(str("tool_input_size_bytes", Integer.toString(20 + random.nextInt(2000))))
              .addAttributes(str("tool_result_size_bytes", Integer.toString(random.nextInt(50_000))))
              .addAttributes(str("request_id", requestId));
        }
        sl.addLogRecords(r);
      }
      req.addResourceLogs(ResourceLogs.newBuilder().setResource(s.user().resource()).addScopeLogs(sl));
    }
    return req.build();
  }

  // -------------------------------------------------------------------------------------- util

  static KeyValue str(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  static KeyValue dbl(String key, double value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setDoubleValue(value)).build();
  }

  /** Data points of a metrics request. */
  public static int points(ExportMetricsServiceRequest req) {
    int n = 0;
    for (ResourceMetrics rm : req.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          n += switch (m.getDataCase()) {
            case SUM -> m.getSum().getDataPointsCount();
            case GAUGE -> m.getGauge().getDataPointsCount();
            case HISTOGRAM -> m.getHistogram().getDataPointsCount();
            case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
            case SUMMARY -> m.getSummary().getDataPointsCount();
            default -> 0;
          };
        }
      }
    }
    return n;
  }

  /** Log records of a logs request. */
  public static int records(ExportLogsServiceRequest req) {
    int n = 0;
    for (ResourceLogs rl : req.getResourceLogsList()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        n += sl.getLogRecordsCount();
      }
    }
    return n;
  }
}

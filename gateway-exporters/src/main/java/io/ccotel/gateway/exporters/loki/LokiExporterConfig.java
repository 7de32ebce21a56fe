package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.config.ConfigException;
import io.ccotel.gateway.core.config.ConfigNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Configuration of the Loki exporter, the YAML section {@code exporters.loki} (or {@code
 * exporters.loki/<name>}). Every value is checked at start-up; an error names the key.
 *
 * <pre>
 * exporters:
 *   loki:
 *     endpoint: http://loki:3100          # pushes to {endpoint}/loki/api/v1/push
 *     encoding: protobuf                  # or json (compression: gzip|none)
 *     tenant: team-a                      # X-Scope-OrgID; or tenant_from_attribute: team.id
 *     auth: {basic: {username: u, password: "${LOKI_PASSWORD}"}}   # or {bearer_token: ...}
 *     tls: {ca_file: /etc/gateway/loki-ca.pem, insecure_skip_verify: false}
 *     stream_labels: [team.id]            # besides service_name and event_name
 *     structured_metadata: true           # ids as Loki 3 structured metadata
 *     batch_max_bytes: 1MiB
 *     batch_max_entries: 10000
 *     batch_linger: 1s
 *     max_line_bytes: 256KiB
 *     retry: {initial_backoff: 500ms, max_backoff: 30s, max_elapsed: 10m}
 *     timeout: 10s
 * </pre>
 *
 * @param endpoint {@code endpoint} (required in YAML; {@link #defaults()} uses {@code
 *     http://localhost:3100}): Loki's base URL, {@code http} or {@code https}. Entries are pushed
 *     to {@code {endpoint}/loki/api/v1/push}; an endpoint that already ends in that path is used
 *     as it is.
 * @param encoding {@code encoding} (default {@code protobuf}): {@code protobuf} sends a
 *     snappy-compressed (block format) {@code logproto.PushRequest} as {@code
 *     application/x-protobuf}, what Promtail and Alloy send; {@code json} sends {@code
 *     application/json} ({@code {"streams":[{"stream":{...},"values":[[ns, line, {metadata}]]}]}}).
 * @param compression {@code compression} (default {@code none}; json only): {@code gzip} adds
 *     {@code Content-Encoding: gzip}. Protobuf bodies are always snappy-compressed, as Loki expects.
 * @param tenant {@code tenant} (default none): a static tenant sent as {@code X-Scope-OrgID}
 *     (multi-tenant Loki, {@code auth_enabled: true}); also the fallback when {@code
 *     tenant_from_attribute} finds nothing.
 * @param tenantFromAttribute {@code tenant_from_attribute} (default none): a record attribute key
 *     (then the resource's) whose value is the tenant of that record, e.g. an identity attribute
 *     set from the client's token. Records are batched per tenant. Characters Loki does not allow
 *     in a tenant id become {@code _}; the value is cut to 150 characters.
 * @param auth {@code auth} (default none): {@code {basic: {username, password}}} or {@code
 *     {bearer_token: ...}}; never logged.
 * @param tls {@code tls} (default none): {@code {ca_file, insecure_skip_verify}} for an {@code
 *     https} endpoint.
 * @param streamLabels {@code stream_labels} (default {@code []}): attribute keys (record, else
 *     resource) that become stream labels besides {@code service_name} and {@code event_name};
 *     names sanitized to {@code [a-zA-Z_][a-zA-Z0-9_]*} ({@code team.id} -> {@code team_id}). At
 *     most {@value #MAX_STREAM_LABELS} labels in total (Loki's {@code
 *     max_label_names_per_series}). Unbounded keys ({@link #REFUSED_STREAM_LABELS}) are refused.
 * @param structuredMetadata {@code structured_metadata} (default false): also send the ids in
 *     session.id, user.id, user.account_uuid, user.account_id, organization.id, prompt.id,
 *     request_id, client_request_id, message.uuid and tool_use_id (as session_id, user_id, ...) and
 *     the trace/span ids as Loki 3 structured metadata (needs Loki 3 with {@code
 *     allow_structured_metadata}, schema v13). They stay in the line too.
 * @param batchMaxBytes {@code batch_max_bytes} (default 1MiB, at most 5MiB): a push holds at most
 *     this many bytes of lines, structured metadata and labels (what Loki's rate limiter counts),
 *     so one push stays below Loki's default burst of 6 MB ({@code ingestion_burst_size_mb}).
 * @param batchMaxEntries {@code batch_max_entries} (default 10000): at most this many entries per
 *     push.
 * @param batchLinger {@code batch_linger} (default 1s, at most 1m): how long entries wait for
 *     more before a push that is not full is sent.
 * @param maxLineBytes {@code max_line_bytes} (default 256KiB, Loki's default {@code
 *     max_line_size}): a longer line is shortened by the gateway, keeping it valid JSON (the longest string values
 *     are cut and end in {@code …[truncated by gateway: N bytes]}) and counted in {@code gateway_loki_truncated_lines_total}.
 * @param retry {@code retry}: backoff and give-up policy for 429, 5xx and network errors.
 * @param timeout {@code timeout} (default 10s): per push request, connecting included.
 * @param maxConcurrentPushes (default 1, at most {@value #MAX_MAX_CONCURRENT_PUSHES}; YAML
 *     {@code max_concurrent_pushes}): how many push requests may be in
 *     flight at once. With 1, pushes
 *     go one after the other, so the entries of a stream reach Loki in the order they were
 *     batched, as Loki before 2.4 (or with {@code unordered_writes: false}) requires. With more,
 *     batches are pushed in parallel (and retried independently), which hides Loki's answer time
 *     when it is far away or busy, but a later push may land before an earlier one: use it with
 *     Loki 2.4+ whose default {@code unordered_writes} accepts that. Each push in flight holds one
 *     batch ({@code batch_max_bytes}) in memory.
 */
public record LokiExporterConfig(
    URI endpoint,
    Encoding encoding,
    Compression compression,
    String tenant,
    String tenantFromAttribute,
    Auth auth,
    Tls tls,
    List<String> streamLabels,
    boolean structuredMetadata,
    long batchMaxBytes,
    int batchMaxEntries,
    Duration batchLinger,
    int maxLineBytes,
    Retry retry,
    Duration timeout,
    int maxConcurrentPushes) {

  /** Loki's default {@code max_label_names_per_series}. */
  public static final int MAX_STREAM_LABELS = 15;

  public static final URI DEFAULT_ENDPOINT = URI.create("http://localhost:3100");
  public static final String PUSH_PATH = "/loki/api/v1/push";
  public static final long DEFAULT_BATCH_MAX_BYTES = 1024L * 1024;
  /** Below Loki's default ingestion burst (6 MB), with room for what is not counted exactly. */
  public static final long MAX_BATCH_MAX_BYTES = 5L * 1024 * 1024;
  public static final int DEFAULT_BATCH_MAX_ENTRIES = 10_000;
  public static final Duration DEFAULT_BATCH_LINGER = Duration.ofSeconds(1);
  public static final int DEFAULT_MAX_LINE_BYTES = 256 * 1024;
  public static final int MIN_MAX_LINE_BYTES = 1024;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  /** One push at a time: entries of a stream reach Loki in push order (Loki before 2.4 needs that). */
  public static final int DEFAULT_MAX_CONCURRENT_PUSHES = 1;
  public static final int MAX_MAX_CONCURRENT_PUSHES = 16;

  /**
   * Attribute keys that can never be stream labels, with the reason: each has one value per
   * session, user, request, message or event, so every value would open a new Loki stream
   * (unbounded streams make Loki slow and hit {@code max_global_streams_per_user}). They stay in
   * the line, and go to structured metadata when that is on.
   */
  public static final Map<String, String> REFUSED_STREAM_LABELS = refused();

  /** Labels every stream has. */
  public static final List<String> FIXED_STREAM_LABELS = List.of("service_name", "event_name");

  static final Set<String> KEYS =
      Set.of(
          "endpoint",
          "encoding",
          "compression",
          "tenant",
          "tenant_from_attribute",
          "auth",
          "tls",
          "stream_labels",
          "structured_metadata",
          "batch_max_bytes",
          "batch_max_entries",
          "batch_linger",
          "max_line_bytes",
          "retry",
          "timeout",
          "max_concurrent_pushes");

  static final Set<String> AUTH_KEYS = Set.of("basic", "bearer_token");
  static final Set<String> BASIC_KEYS = Set.of("username", "password");
  static final Set<String> TLS_KEYS = Set.of("ca_file", "insecure_skip_verify");
  static final Set<String> RETRY_KEYS = Set.of("initial_backoff", "max_backoff", "max_elapsed");

  private static final LokiExporterConfig DEFAULTS =
      new LokiExporterConfig(
          DEFAULT_ENDPOINT,
          Encoding.PROTOBUF,
          Compression.NONE,
          "",
          "",
          Auth.NONE,
          Tls.NONE,
          List.of(),
          false,
          DEFAULT_BATCH_MAX_BYTES,
          DEFAULT_BATCH_MAX_ENTRIES,
          DEFAULT_BATCH_LINGER,
          DEFAULT_MAX_LINE_BYTES,
          Retry.DEFAULTS,
          DEFAULT_TIMEOUT,
          DEFAULT_MAX_CONCURRENT_PUSHES);

  /** How push bodies are encoded. */
  public enum Encoding {
    PROTOBUF,
    JSON
  }

  /** Extra compression of JSON bodies. */
  public enum Compression {
    NONE,
    GZIP
  }

  /**
   * Credentials sent with every push. {@link #toString} never shows the secret.
   *
   * @param username basic auth user, or empty
   * @param password basic auth password, or empty
   * @param bearerToken bearer token, or empty (never both kinds)
   */
  public record Auth(String username, String password, String bearerToken) {
    public static final Auth NONE = new Auth("", "", "");

    public Auth {
      username = username == null ? "" : username;
      password = password == null ? "" : password;
      bearerToken = bearerToken == null ? "" : bearerToken;
      if (!bearerToken.isEmpty() && !(username.isEmpty() && password.isEmpty())) {
        throw new IllegalArgumentException("auth: either basic or bearer_token, not both");
      }
      if (username.isEmpty() && !password.isEmpty()) {
        throw new IllegalArgumentException("auth.basic.username is required with a password");
      }
    }

    public static Auth basic(String username, String password) {
      return new Auth(username, password, "");
    }

    public static Auth bearer(String token) {
      return new Auth("", "", token);
    }

    public boolean isBasic() {
      return !username.isEmpty();
    }

    public boolean isBearer() {
      return !bearerToken.isEmpty();
    }

    @Override
    public String toString() {
      if (isBasic()) {
        return "Auth[basic, username=" + username + ", password=***]";
      }
      return isBearer() ? "Auth[bearer_token=***]" : "Auth[none]";
    }
  }

  /**
   * TLS towards an {@code https} endpoint.
   *
   * @param caFile PEM file with the CA certificate(s) to trust instead of the JVM's defaults; empty
   *     = the JVM's trust store
   * @param insecureSkipVerify trust any certificate and any host name (tests only; logged as a
   *     warning at start)
   */
  public record Tls(String caFile, boolean insecureSkipVerify) {
    public static final Tls NONE = new Tls("", false);

    public Tls {
      caFile = caFile == null ? "" : caFile.trim();
    }

    public boolean isSet() {
      return !caFile.isEmpty() || insecureSkipVerify;
    }
  }

  /**
   * Retries of 429, 5xx and network errors: exponential backoff with full jitter (a random wait
   * between 0 and {@code min(max_backoff, initial_backoff * 2^(attempt-1))}), never shorter than
   * the server's {@code Retry-After}.
   *
   * @param initialBackoff {@code initial_backoff} (default 500ms)
   * @param maxBackoff {@code max_backoff} (default 30s)
   * @param maxElapsed {@code max_elapsed} (default 10m; {@code 0s} = never give up): a push still
   *     failing after this long (or whose next try would come later) is dropped and counted as
   *     {@code gateway_loki_dropped_entries_total{reason="gave_up"}}
   */
  public record Retry(Duration initialBackoff, Duration maxBackoff, Duration maxElapsed) {
    public static final Retry DEFAULTS =
        new Retry(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(10));

    public Retry {
      Objects.requireNonNull(initialBackoff, "initialBackoff");
      Objects.requireNonNull(maxBackoff, "maxBackoff");
      Objects.requireNonNull(maxElapsed, "maxElapsed");
      if (initialBackoff.isNegative() || initialBackoff.isZero()) {
        throw new IllegalArgumentException("retry.initial_backoff must be positive");
      }
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("retry.max_backoff must not be shorter than retry.initial_backoff");
      }
      if (maxElapsed.isNegative()) {
        throw new IllegalArgumentException("retry.max_elapsed must not be negative");
      }
    }
  }

  public LokiExporterConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    checkEndpoint(endpoint);
    Objects.requireNonNull(encoding, "encoding");
    Objects.requireNonNull(compression, "compression");
    if (encoding == Encoding.PROTOBUF && compression != Compression.NONE) {
      throw new IllegalArgumentException("compression applies to encoding json only (protobuf is always snappy)");
    }
    tenant = tenant == null ? "" : tenant.trim();
    tenantFromAttribute = tenantFromAttribute == null ? "" : tenantFromAttribute.trim();
    auth = auth == null ? Auth.NONE : auth;
    tls = tls == null ? Tls.NONE : tls;
    if (tls.isSet() && !"https".equalsIgnoreCase(endpoint.getScheme())) {
      throw new IllegalArgumentException("tls is set but the endpoint is not https: " + endpoint);
    }
    streamLabels = List.copyOf(streamLabels);
    String problem = streamLabelProblem(streamLabels);
    if (problem != null) {
      throw new IllegalArgumentException("stream_labels: " + problem);
    }
    if (batchMaxBytes < MIN_MAX_LINE_BYTES || batchMaxBytes > MAX_BATCH_MAX_BYTES) {
      throw new IllegalArgumentException(
          "batch_max_bytes must be between " + MIN_MAX_LINE_BYTES + " and " + MAX_BATCH_MAX_BYTES + ", got " + batchMaxBytes);
    }
    if (batchMaxEntries < 1) {
      throw new IllegalArgumentException("batch_max_entries must be at least 1, got " + batchMaxEntries);
    }
    Objects.requireNonNull(batchLinger, "batchLinger");
    if (batchLinger.isNegative() || batchLinger.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("batch_linger must be between 0s and 1m, got " + batchLinger);
    }
    if (maxLineBytes < MIN_MAX_LINE_BYTES || maxLineBytes > batchMaxBytes) {
      throw new IllegalArgumentException(
          "max_line_bytes must be between " + MIN_MAX_LINE_BYTES + " and batch_max_bytes (" + batchMaxBytes + "), got "
              + maxLineBytes);
    }
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("timeout must be at least 100ms, got " + timeout);
    }
    if (maxConcurrentPushes < 1 || maxConcurrentPushes > MAX_MAX_CONCURRENT_PUSHES) {
      throw new IllegalArgumentException(
          "max_concurrent_pushes must be between 1 and " + MAX_MAX_CONCURRENT_PUSHES + ", got " + maxConcurrentPushes);
    }
  }

  /** The configuration with {@code max_concurrent_pushes} at its default (one push at a time). */
  public LokiExporterConfig(
      URI endpoint,
      Encoding encoding,
      Compression compression,
      String tenant,
      String tenantFromAttribute,
      Auth auth,
      Tls tls,
      List<String> streamLabels,
      boolean structuredMetadata,
      long batchMaxBytes,
      int batchMaxEntries,
      Duration batchLinger,
      int maxLineBytes,
      Retry retry,
      Duration timeout) {
    this(endpoint, encoding, compression, tenant, tenantFromAttribute, auth, tls, streamLabels, structuredMetadata,
        batchMaxBytes, batchMaxEntries, batchLinger, maxLineBytes, retry, timeout, DEFAULT_MAX_CONCURRENT_PUSHES);
  }

  public static LokiExporterConfig defaults() {
    return DEFAULTS;
  }

  /** A builder starting from {@link #defaults()} with this endpoint. */
  public static Builder builder(URI endpoint) {
    return new Builder(DEFAULTS).endpoint(endpoint);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Where pushes go: {@code {endpoint}/loki/api/v1/push}. */
  public URI pushUri() {
    String s = endpoint.toString();
    if (s.endsWith(PUSH_PATH)) {
      return endpoint;
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s + PUSH_PATH);
  }

  /** The stream label names in use: service_name, event_name, then the sanitized extra ones. */
  public List<String> streamLabelNames() {
    List<String> names = new java.util.ArrayList<>(FIXED_STREAM_LABELS);
    for (String k : streamLabels) {
      names.add(LokiLabels.sanitize(k));
    }
    return List.copyOf(names);
  }

  /** Reads the YAML section; errors name the key ({@code exporters.loki.stream_labels[0]: ...}). */
  public static LokiExporterConfig parse(ConfigNode node) {
    node.checkKnownKeys(KEYS);
    String endpointText = node.requiredString("endpoint").trim();
    URI endpoint;
    try {
      endpoint = new URI(endpointText);
      checkEndpoint(endpoint);
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new ConfigException(
          node.pathOf("endpoint"),
          "expected Loki's base URL such as http://localhost:3100, got \"" + endpointText + "\"");
    }
    Encoding encoding = Encoding.valueOf(node.oneOf("encoding", "protobuf", "protobuf", "json").toUpperCase(Locale.ROOT));
    Compression compression =
        Compression.valueOf(node.oneOf("compression", "none", "none", "gzip").toUpperCase(Locale.ROOT));
    if (encoding == Encoding.PROTOBUF && compression != Compression.NONE) {
      throw new ConfigException(
          node.pathOf("compression"), "applies to encoding: json only; protobuf bodies are always snappy-compressed");
    }
    String tenant = node.string("tenant", "").trim();
    if (!tenant.isEmpty() && !LokiLabels.sanitizeTenant(tenant).equals(tenant)) {
      throw new ConfigException(
          node.pathOf("tenant"),
          "a Loki tenant id has at most 150 characters among letters, digits and !-_.*'() (and is not . or ..), got \""
              + tenant + "\"");
    }
    String tenantAttr = node.string("tenant_from_attribute", "").trim();
    Auth auth = parseAuth(node.child("auth"));
    Tls tls = parseTls(node.child("tls"));
    if (tls.isSet() && !"https".equalsIgnoreCase(endpoint.getScheme())) {
      throw new ConfigException(node.pathOf("tls"), "is set but the endpoint is not https: " + endpoint);
    }
    List<String> labels = node.stringList("stream_labels", List.of());
    checkStreamLabels(node, labels);
    boolean metadata = node.bool("structured_metadata", false);
    long batchBytes = node.bytes("batch_max_bytes", DEFAULT_BATCH_MAX_BYTES, 0, Long.MAX_VALUE);
    if (batchBytes < MIN_MAX_LINE_BYTES) {
      throw new ConfigException(node.pathOf("batch_max_bytes"), "must be at least 1KiB, got " + batchBytes);
    }
    if (batchBytes > MAX_BATCH_MAX_BYTES) {
      throw new ConfigException(
          node.pathOf("batch_max_bytes"),
          "must stay below Loki's default ingestion burst of 6 MB (ingestion_burst_size_mb): at most 5MiB, got "
              + batchBytes);
    }
    int batchEntries = node.intValue("batch_max_entries", DEFAULT_BATCH_MAX_ENTRIES, 1, 1_000_000);
    Duration linger = node.duration("batch_linger", DEFAULT_BATCH_LINGER);
    if (linger.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new ConfigException(node.pathOf("batch_linger"), "must be at most 1m, got " + linger.toSeconds() + "s");
    }
    long maxLine = node.bytes("max_line_bytes", DEFAULT_MAX_LINE_BYTES, 0, Long.MAX_VALUE);
    if (maxLine < MIN_MAX_LINE_BYTES) {
      throw new ConfigException(node.pathOf("max_line_bytes"), "must be at least 1KiB, got " + maxLine);
    }
    if (maxLine > batchBytes) {
      throw new ConfigException(
          node.pathOf("max_line_bytes"), "must not exceed batch_max_bytes (" + batchBytes + "), got " + maxLine);
    }
    Retry retry = parseRetry(node.child("retry"));
    Duration timeout = node.duration("timeout", DEFAULT_TIMEOUT);
    if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
      throw new ConfigException(node.pathOf("timeout"), "must be at least 100ms, got " + timeout.toMillis() + "ms");
    }
    int concurrentPushes = node.intValue("max_concurrent_pushes", 1, 1, MAX_MAX_CONCURRENT_PUSHES);
    return new LokiExporterConfig(
        endpoint, encoding, compression, tenant, tenantAttr, auth, tls, labels, metadata, batchBytes, batchEntries,
        linger, (int) maxLine, retry, timeout, concurrentPushes);
  }

  private static Auth parseAuth(ConfigNode auth) {
    if (auth.isEmpty()) {
      return Auth.NONE;
    }
    auth.checkKnownKeys(AUTH_KEYS);
    boolean basic = auth.has("basic");
    boolean bearer = auth.has("bearer_token");
    if (basic && bearer) {
      throw new ConfigException(auth.path(), "set either basic or bearer_token, not both");
    }
    if (bearer) {
      return Auth.bearer(auth.requiredString("bearer_token"));
    }
    if (!basic) {
      throw new ConfigException(auth.path(), "expected basic: {username, password} or bearer_token");
    }
    ConfigNode b = auth.child("basic");
    b.checkKnownKeys(BASIC_KEYS);
    String user = b.requiredString("username");
    if (user.contains(":")) {
      throw new ConfigException(b.pathOf("username"), "must not contain ':' (basic auth)");
    }
    return Auth.basic(user, b.string("password", ""));
  }

  private static Tls parseTls(ConfigNode tls) {
    if (tls.isEmpty()) {
      return Tls.NONE;
    }
    tls.checkKnownKeys(TLS_KEYS);
    String ca = tls.string("ca_file", "").trim();
    if (!ca.isEmpty()) {
      try {
        if (!Files.isReadable(Path.of(ca))) {
          throw new ConfigException(tls.pathOf("ca_file"), "cannot read " + ca);
        }
      } catch (InvalidPathException e) {
        throw new ConfigException(tls.pathOf("ca_file"), "not a valid file path: " + e.getMessage());
      }
    }
    return new Tls(ca, tls.bool("insecure_skip_verify", false));
  }

  private static Retry parseRetry(ConfigNode retry) {
    retry.checkKnownKeys(RETRY_KEYS);
    Duration initial = retry.duration("initial_backoff", Retry.DEFAULTS.initialBackoff());
    if (initial.isZero()) {
      throw new ConfigException(retry.pathOf("initial_backoff"), "must be positive");
    }
    Duration max = retry.duration("max_backoff", Retry.DEFAULTS.maxBackoff());
    if (max.compareTo(initial) < 0) {
      throw new ConfigException(
          retry.pathOf("max_backoff"), "must not be shorter than initial_backoff (" + initial.toMillis() + "ms)");
    }
    Duration elapsed = retry.duration("max_elapsed", Retry.DEFAULTS.maxElapsed());
    return new Retry(initial, max, elapsed);
  }

  private static void checkStreamLabels(ConfigNode node, List<String> labels) {
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      String at = node.pathOf("stream_labels") + "[" + i + "]";
      String problem = labelProblem(labels.get(i), seen);
      if (problem != null) {
        throw new ConfigException(at, problem);
      }
    }
    if (FIXED_STREAM_LABELS.size() + labels.size() > MAX_STREAM_LABELS) {
      throw new ConfigException(
          node.pathOf("stream_labels"),
          "at most " + (MAX_STREAM_LABELS - FIXED_STREAM_LABELS.size()) + " keys: Loki allows " + MAX_STREAM_LABELS
              + " labels per stream (max_label_names_per_series) and service_name and event_name take two; got "
              + labels.size());
    }
  }

  private static String streamLabelProblem(List<String> labels) {
    Map<String, String> seen = new HashMap<>();
    for (String label : labels) {
      String problem = labelProblem(label, seen);
      if (problem != null) {
        return problem;
      }
    }
    if (FIXED_STREAM_LABELS.size() + labels.size() > MAX_STREAM_LABELS) {
      return "at most " + (MAX_STREAM_LABELS - FIXED_STREAM_LABELS.size()) + " keys, got " + labels.size();
    }
    return null;
  }

  private static String labelProblem(String key, Map<String, String> seen) {
    if (key == null || key.isBlank()) {
      return "an attribute key must not be empty";
    }
    String name = LokiLabels.sanitize(key);
    for (Map.Entry<String, String> refused : REFUSED_STREAM_LABELS.entrySet()) {
      if (refused.getKey().equals(key) || LokiLabels.sanitize(refused.getKey()).equals(name)) {
        return key + " cannot be a stream label: it has " + refused.getValue()
            + ", so each value would open a new Loki stream (unbounded streams make Loki slow and hit"
            + " max_global_streams_per_user); it stays in the JSON line (and goes to structured metadata with"
            + " structured_metadata: true)";
      }
    }
    if (FIXED_STREAM_LABELS.contains(name) || key.equals("service.name") || key.equals("event.name")) {
      return key + " is always a stream label (as service_name or event_name); leave it out";
    }
    if (name.startsWith("__")) {
      return key + " would become the label " + name + "; names starting with __ are reserved";
    }
    String before = seen.putIfAbsent(name, key);
    if (before != null) {
      return key + " and " + before + " would both become the label " + name;
    }
    return null;
  }

  private static Map<String, String> refused() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("session.id", "one value per session");
    m.put("prompt.id", "one value per prompt");
    m.put("user.id", "one value per user (install)");
    m.put("user.account_uuid", "one value per user");
    m.put("user.account_id", "one value per user");
    m.put("user.email", "one value per user");
    m.put("request_id", "one value per API request");
    m.put("client_request_id", "one value per API request");
    m.put("message.uuid", "one value per message");
    m.put("tool_use_id", "one value per tool call");
    m.put("event.sequence", "a new value for every event");
    m.put("event.timestamp", "a new value for every event");
    return java.util.Collections.unmodifiableMap(m);
  }

  private static void checkEndpoint(URI endpoint) {
    String scheme = endpoint.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || endpoint.getHost() == null
        || endpoint.getRawQuery() != null
        || endpoint.getRawFragment() != null) {
      throw new IllegalArgumentException("endpoint must be an http or https URL without query, got " + endpoint);
    }
  }

  /** Builds a configuration key by key, for code and tests. */
  public static final class Builder {
    private URI endpoint;
    private Encoding encoding;
    private Compression compression;
    private String tenant;
    private String tenantFromAttribute;
    private Auth auth;
    private Tls tls;
    private List<String> streamLabels;
    private boolean structuredMetadata;
    private long batchMaxBytes;
    private int batchMaxEntries;
    private Duration batchLinger;
    private int maxLineBytes;
    private Retry retry;
    private Duration timeout;
    private int maxConcurrentPushes;

    private Builder(LokiExporterConfig c) {
      endpoint = c.endpoint;
      encoding = c.encoding;
      compression = c.compression;
      tenant = c.tenant;
      tenantFromAttribute = c.tenantFromAttribute;
      auth = c.auth;
      tls = c.tls;
      streamLabels = c.streamLabels;
      structuredMetadata = c.structuredMetadata;
      batchMaxBytes = c.batchMaxBytes;
      batchMaxEntries = c.batchMaxEntries;
      batchLinger = c.batchLinger;
      maxLineBytes = c.maxLineBytes;
      retry = c.retry;
      timeout = c.timeout;
      maxConcurrentPushes = c.maxConcurrentPushes;
    }

    public Builder endpoint(URI v) {
      endpoint = v;
      return this;
    }

    public Builder encoding(Encoding v) {
      encoding = v;
      return this;
    }

    public Builder compression(Compression v) {
      compression = v;
      return this;
    }

    public Builder tenant(String v) {
      tenant = v;
      return this;
    }

    public Builder tenantFromAttribute(String v) {
      tenantFromAttribute = v;
      return this;
    }

    public Builder auth(Auth v) {
      auth = v;
      return this;
    }

    public Builder tls(Tls v) {
      tls = v;
      return this;
    }

    public Builder streamLabels(List<String> v) {
      streamLabels = v;
      return this;
    }

    public Builder structuredMetadata(boolean v) {
      structuredMetadata = v;
      return this;
    }

    public Builder batchMaxBytes(long v) {
      batchMaxBytes = v;
      return this;
    }

    public Builder batchMaxEntries(int v) {
      batchMaxEntries = v;
      return this;
    }

    public Builder batchLinger(Duration v) {
      batchLinger = v;
      return this;
    }

    public Builder maxLineBytes(int v) {
      maxLineBytes = v;
      return this;
    }

    public Builder retry(Retry v) {
      retry = v;
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    public Builder maxConcurrentPushes(int v) {
      maxConcurrentPushes = v;
      return this;
    }

    public LokiExporterConfig build() {
      return new LokiExporterConfig(
          endpoint, encoding, compression, tenant, tenantFromAttribute, auth, tls, streamLabels, structuredMetadata,
          batchMaxBytes, batchMaxEntries, batchLinger, maxLineBytes, retry, timeout, maxConcurrentPushes);
    }
  }
}

package io.ccotel.gateway.testkit.loki;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * A Loki push endpoint for tests: {@code POST /loki/api/v1/push} on a free loopback port, decoding
 * and validating as Loki does with its default limits, storing what it accepted for assertions.
 *
 * <h2>Protocol</h2>
 *
 * <ul>
 *   <li>{@code Content-Type: application/json} (parameters allowed): the JSON push format;
 *       anything else, or none: snappy block + {@code logproto.PushRequest} (decoded by hand,
 *       unknown fields skipped), as Loki does. {@code Content-Encoding: gzip} is undone first;
 *       another encoding is answered 415.
 *   <li>Undecodable body: 400. Wrong path: 404 ({@code /ready} answers 200). Not POST: 405.
 *   <li>With {@link #requireTenant(boolean)}: no {@code X-Scope-OrgID} is 401 {@code no org id}
 *       (Loki with {@code auth_enabled: true}). Otherwise entries without the header belong to the
 *       tenant {@value #DEFAULT_TENANT}, as in Loki.
 * </ul>
 *
 * <h2>Validation (Loki's defaults, each adjustable)</h2>
 *
 * A stream whose label string does not parse (names {@code [a-zA-Z_][a-zA-Z0-9_]*}), has no label,
 * a duplicate name, more than {@link #maxLabelNames(int) 15} labels, a name over 1024 or a value
 * over 2048 characters, is refused whole. An entry is refused when its line is longer than {@link
 * #maxLineBytes(int) 256 KiB}, its timestamp older than {@link #rejectOldSamples(Duration) 168h}
 * or more than {@link #creationGracePeriod(Duration) 10m} in the future (by {@link #clock(Clock)}),
 * it has structured metadata while {@link #allowStructuredMetadata(boolean)} is off, or it is out
 * of order in its stream: by default (Loki 2.x before unordered writes) older than the stream's
 * last accepted entry; with {@link #unorderedWrites(boolean)} more than an hour behind its newest.
 * An exact repeat (same stream, timestamp and line) is ignored silently, as Loki does. Valid
 * entries are stored even when others of the same push are refused; the answer is then 400 with
 * Loki-like messages, one per line, ending in {@code total ignored: N out of M}. Else 204.
 *
 * <h2>Modes (settable at any time, from any thread)</h2>
 *
 * {@link #normal()}, {@link #answer429(Duration)} (with {@code Retry-After}), {@link #answer500()},
 * {@link #failNext(int, int)} (the next N pushes get a status, then normal), {@link #hang()} (read
 * the request, never answer; when the mode changes the connection is closed unanswered and nothing
 * is stored), {@link #down()} (stop listening) and {@link #up()} (listen again on the same port).
 *
 * <p>Thread-safe. Every request is recorded ({@link #requests()}), answered or not.
 */
public final class LokiFixture implements AutoCloseable {
  public static final String PUSH_PATH = "/loki/api/v1/push";
  /** The tenant of entries pushed without X-Scope-OrgID (Loki's single-tenant name). */
  public static final String DEFAULT_TENANT = "fake";

  private static final int MAX_NAME_LENGTH = 1024;
  private static final int MAX_VALUE_LENGTH = 2048;
  private static final long UNORDERED_WINDOW_NANOS = TimeUnit.HOURS.toNanos(1);
  private static final int ERRORS_SHOWN = 20;

  /** What the fixture does with a push. */
  public enum Mode {
    NORMAL,
    TOO_MANY_REQUESTS,
    SERVER_ERROR,
    HANG,
    DOWN
  }

  /**
   * One accepted entry.
   *
   * @param tenant X-Scope-OrgID, or {@value #DEFAULT_TENANT}
   * @param labels the stream's canonical label set, e.g. {@code {event_name="api_request",
   *     service_name="claude-code"}}
   * @param timestampNanos Unix nanoseconds
   * @param structuredMetadata name to value, in the order sent
   */
  public record Entry(String tenant, String labels, long timestampNanos, String line, Map<String, String> structuredMetadata) {
    public Entry {
      structuredMetadata = Map.copyOf(structuredMetadata);
    }
  }

  /**
   * One request as the fixture saw it.
   *
   * @param receivedNanos {@link System#nanoTime()} when it arrived (headers read)
   * @param answeredNanos {@link System#nanoTime()} just before the answer was sent (or the
   *     connection closed unanswered)
   * @param headers lower-case names
   * @param entries entries decoded from the body (0 when not decoded)
   * @param lineBytes bytes of the lines decoded
   * @param accepted entries stored
   * @param status the answer, 0 when never answered (hang)
   * @param answer the answer's body
   */
  public record Request(
      Instant receivedAt,
      long receivedNanos,
      long answeredNanos,
      String method,
      String path,
      Map<String, List<String>> headers,
      int bodyBytes,
      int entries,
      long lineBytes,
      int accepted,
      int status,
      String answer) {
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? "" : v.get(0);
    }

    public String contentType() {
      return header("content-type");
    }

    public String contentEncoding() {
      return header("content-encoding");
    }

    /** X-Scope-OrgID, empty when absent. */
    public String tenant() {
      return header("x-scope-orgid");
    }
  }

  private final int port;
  private final ExecutorService executor;
  private HttpServer server; // guarded by this
  private boolean closed; // guarded by this

  private Mode mode = Mode.NORMAL; // guarded by this
  private String retryAfter = ""; // guarded by this
  private int failNextCount; // guarded by this
  private int failNextStatus; // guarded by this

  private volatile int maxLineBytes = 256 * 1024;
  private volatile int maxLabelNames = 15;
  private volatile Duration rejectOldSamplesMaxAge = Duration.ofHours(168);
  private volatile Duration creationGracePeriod = Duration.ofMinutes(10);
  private volatile boolean unorderedWrites;
  private volatile boolean allowStructuredMetadata = true;
  private volatile boolean requireTenant;
  private volatile Clock clock = Clock.systemUTC();

  private final List<Entry> entries = new ArrayList<>(); // guarded by this
  private final Map<String, StreamState> streams = new LinkedHashMap<>(); // tenant + labels; guarded by this
  private final List<Request> requests = new ArrayList<>(); // guarded by this

  private static final class StreamState {
    final List<Entry> entries = new ArrayList<>();
    final Set<String> seen = new HashSet<>();
    long last = Long.MIN_VALUE;
    long newest = Long.MIN_VALUE;
  }

  private LokiFixture(int port) throws IOException {
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "loki-fixture");
              t.setDaemon(true);
              return t;
            });
    this.server = bind(port);
    this.port = server.getAddress().getPort();
  }

  /** Starts on a free loopback port. */
  public static LokiFixture start() throws IOException {
    return new LokiFixture(0);
  }

  private HttpServer bind(int port) throws IOException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      try {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        s.createContext("/", this::handle);
        s.setExecutor(executor);
        s.start();
        return s;
      } catch (BindException e) {
        // The same port again after down(): the old socket may take a moment to go.
        if (port == 0 || System.nanoTime() > end) {
          throw e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  public int port() {
    return port;
  }

  /** Loki's base URL, {@code http://127.0.0.1:<port>}: what the exporter's endpoint is set to. */
  public URI endpoint() {
    return URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port);
  }

  public URI pushUri() {
    return endpoint().resolve(PUSH_PATH);
  }

  // --- modes -------------------------------------------------------------------------------------

  public synchronized Mode mode() {
    return mode;
  }

  /** Accept pushes (and listen, if down). */
  public synchronized LokiFixture normal() {
    if (mode == Mode.DOWN) {
      return up();
    }
    setMode(Mode.NORMAL);
    return this;
  }

  /** Answer every push 429 with {@code Retry-After: <seconds, rounded up>}. */
  public LokiFixture answer429(Duration retryAfter) {
    long seconds = (retryAfter.toMillis() + 999) / 1000;
    return answer429(Long.toString(seconds));
  }

  /** Answer every push 429 with this Retry-After header (seconds or an HTTP date; empty: none). */
  public synchronized LokiFixture answer429(String retryAfterHeader) {
    retryAfter = retryAfterHeader;
    setMode(Mode.TOO_MANY_REQUESTS);
    return this;
  }

  /** Answer every push 500. */
  public synchronized LokiFixture answer500() {
    setMode(Mode.SERVER_ERROR);
    return this;
  }

  /** The next {@code count} pushes get {@code status} (with a Loki-like body), then as the mode says. */
  public synchronized LokiFixture failNext(int count, int status) {
    failNextCount = count;
    failNextStatus = status;
    return this;
  }

  /** Read pushes and never answer them, until the mode changes. */
  public synchronized LokiFixture hang() {
    setMode(Mode.HANG);
    return this;
  }

  /** Stop listening: connections are refused until {@link #up()}. */
  public synchronized LokiFixture down() {
    setMode(Mode.DOWN);
    if (server != null) {
      server.stop(0);
      server = null;
    }
    return this;
  }

  /** Listen again, on the same port, and accept pushes. */
  public synchronized LokiFixture up() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (server == null) {
      try {
        server = bind(port);
      } catch (IOException e) {
        throw new IllegalStateException("cannot listen on port " + port + " again", e);
      }
    }
    setMode(Mode.NORMAL);
    return this;
  }

  private void setMode(Mode m) {
    mode = m;
    notifyAll(); // wakes hung handlers
  }

  // --- limits ------------------------------------------------------------------------------------

  /** Loki's {@code max_line_size} (default 256 KiB). */
  public LokiFixture maxLineBytes(int bytes) {
    maxLineBytes = bytes;
    return this;
  }

  /** Loki's {@code max_label_names_per_series} (default 15). */
  public LokiFixture maxLabelNames(int n) {
    maxLabelNames = n;
    return this;
  }

  /** Loki's {@code reject_old_samples_max_age} (default 168h); null turns {@code reject_old_samples} off. */
  public LokiFixture rejectOldSamples(Duration maxAge) {
    rejectOldSamplesMaxAge = maxAge;
    return this;
  }

  /** Loki's {@code creation_grace_period} (default 10m): how far in the future an entry may be. */
  public LokiFixture creationGracePeriod(Duration grace) {
    creationGracePeriod = grace;
    return this;
  }

  /** Loki's {@code unordered_writes} (off here by default, as before Loki 2.4). */
  public LokiFixture unorderedWrites(boolean on) {
    unorderedWrites = on;
    return this;
  }

  /** Loki's {@code allow_structured_metadata} (on by default, as in Loki 3). */
  public LokiFixture allowStructuredMetadata(boolean on) {
    allowStructuredMetadata = on;
    return this;
  }

  /** Refuse pushes without X-Scope-OrgID (Loki's {@code auth_enabled: true}). */
  public LokiFixture requireTenant(boolean on) {
    requireTenant = on;
    return this;
  }

  /** The clock timestamps are checked against (e.g. fixed at a capture's time). */
  public LokiFixture clock(Clock c) {
    clock = c;
    return this;
  }

  // --- what was stored ---------------------------------------------------------------------------

  /** Every accepted entry, in the order accepted. */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** Accepted entries by stream label set (all tenants), streams in order of their first entry. */
  public synchronized Map<String, List<Entry>> streams() {
    Map<String, List<Entry>> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      out.computeIfAbsent(e.labels(), k -> new ArrayList<>()).add(e);
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  /** Accepted entries of one tenant by stream label set. */
  public synchronized Map<String, List<Entry>> streams(String tenant) {
    Map<String, List<Entry>> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (e.tenant().equals(tenant)) {
        out.computeIfAbsent(e.labels(), k -> new ArrayList<>()).add(e);
      }
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return out;
  }

  /** Tenants with accepted entries. */
  public synchronized Set<String> tenants() {
    Set<String> out = new LinkedHashSet<>();
    for (Entry e : entries) {
      out.add(e.tenant());
    }
    return out;
  }

  /** Every request, in the order answered. */
  public synchronized List<Request> requests() {
    return List.copyOf(requests);
  }

  /** Waits until at least {@code count} entries were accepted; false on timeout. */
  public synchronized boolean awaitEntries(int count, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (entries.size() < count) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    }
    return true;
  }

  /** Forgets stored entries, stream state and requests (modes and limits stay). */
  public synchronized void reset() {
    entries.clear();
    streams.clear();
    requests.clear();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      mode = Mode.DOWN;
      notifyAll();
      if (server != null) {
        server.stop(0);
        server = null;
      }
    }
    executor.shutdownNow();
  }

  // --- HTTP --------------------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    Instant receivedAt = Instant.now();
    long received = System.nanoTime();
    Map<String, List<String>> headers = new TreeMap<>();
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readAllBytes();
    }
    RequestInfo info = new RequestInfo(receivedAt, received, method, path, headers, body.length);
    try {
      if (path.equals("/ready")) {
        answer(ex, info, 200, "ready\n", Map.of());
        return;
      }
      if (!path.equals(PUSH_PATH)) {
        answer(ex, info, 404, "404 page not found\n", Map.of());
        return;
      }
      if (!method.equals("POST")) {
        answer(ex, info, 405, "method not allowed\n", Map.of());
        return;
      }
      Decoded decoded = decode(info, body);
      if (decoded.streams != null) {
        for (LokiPushDecoder.Stream s : decoded.streams) {
          for (LokiPushDecoder.RawEntry e : s.entries()) {
            info.entries++;
            info.lineBytes += e.line().getBytes(StandardCharsets.UTF_8).length;
          }
        }
      }
      Mode m;
      String ra;
      int failStatus = 0;
      synchronized (this) {
        m = mode;
        ra = retryAfter;
        if (failNextCount > 0 && m != Mode.HANG) {
          failNextCount--;
          failStatus = failNextStatus;
        }
        if (m == Mode.HANG) {
          while (mode == Mode.HANG && !closed) {
            try {
              wait();
            } catch (InterruptedException e) {
              break;
            }
          }
        }
      }
      if (m == Mode.HANG) {
        info.answered = System.nanoTime();
        record(info, 0, "");
        ex.close(); // no answer: the connection is closed
        return;
      }
      if (failStatus != 0) {
        answer(ex, info, failStatus, failBody(failStatus, info), Map.of());
        return;
      }
      if (m == Mode.TOO_MANY_REQUESTS) {
        answer(ex, info, 429, failBody(429, info), ra.isEmpty() ? Map.of() : Map.of("Retry-After", ra));
        return;
      }
      if (m == Mode.SERVER_ERROR || m == Mode.DOWN) {
        answer(ex, info, 500, failBody(500, info), Map.of());
        return;
      }
      if (requireTenant && info.tenant().isEmpty()) {
        answer(ex, info, 401, "no org id\n", Map.of());
        return;
      }
      if (decoded.status != 0) {
        answer(ex, info, decoded.status, decoded.error + "\n", Map.of());
        return;
      }
      String tenant = info.tenant().isEmpty() ? DEFAULT_TENANT : info.tenant();
      List<String> errors = store(tenant, decoded.streams, info);
      if (errors.isEmpty()) {
        answer(ex, info, 204, "", Map.of());
      } else {
        StringBuilder msg = new StringBuilder();
        for (int i = 0; i < errors.size() && i < ERRORS_SHOWN; i++) {
          msg.append(errors.get(i)).append('\n');
        }
        if (errors.size() > ERRORS_SHOWN) {
          msg.append("and ").append(errors.size() - ERRORS_SHOWN).append(" more errors\n");
        }
        msg.append("user '").append(tenant).append("', total ignored: ").append(info.entries - info.accepted)
            .append(" out of ").append(info.entries).append('\n');
        answer(ex, info, 400, msg.toString(), Map.of());
      }
    } catch (IOException e) {
      // the client went away (e.g. it timed out); nothing to answer
      info.answered = System.nanoTime();
      record(info, 0, "");
    }
  }

  private static String failBody(int status, RequestInfo info) {
    return switch (status) {
      case 429 -> "Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest '"
          + info.entries + "' lines totaling '" + info.lineBytes
          + "' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased\n";
      case 500 -> "rpc error: code = Unavailable desc = at least 1 live replicas required, could only find 0 (fixture)\n";
      default -> "fixture answer " + status + "\n";
    };
  }

  /** Mutable per-request bookkeeping, frozen into a {@link Request} when answered. */
  private static final class RequestInfo {
    final Instant receivedAt;
    final long received;
    final String method;
    final String path;
    final Map<String, List<String>> headers;
    final int bodyBytes;
    int entries;
    long lineBytes;
    int accepted;
    long answered;

    RequestInfo(Instant receivedAt, long received, String method, String path, Map<String, List<String>> headers, int bodyBytes) {
      this.receivedAt = receivedAt;
      this.received = received;
      this.method = method;
      this.path = path;
      this.headers = Map.copyOf(headers);
      this.bodyBytes = bodyBytes;
    }

    String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? "" : v.get(0);
    }

    String tenant() {
      return header("x-scope-orgid").trim();
    }
  }

  private record Decoded(List<LokiPushDecoder.Stream> streams, int status, String error) {}

  private static Decoded decode(RequestInfo info, byte[] body) {
    String encoding = info.header("content-encoding").trim().toLowerCase(Locale.ROOT);
    if (!encoding.isEmpty() && !encoding.equals("identity")) {
      if (!encoding.equals("gzip")) {
        return new Decoded(null, 415, "Content-Encoding \"" + encoding + "\" not supported");
      }
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
        body = in.readNBytes(LokiPushDecoder.MAX_DECOMPRESSED_BYTES + 1);
        if (body.length > LokiPushDecoder.MAX_DECOMPRESSED_BYTES) {
          return new Decoded(null, 413, "request body too large");
        }
      } catch (IOException e) {
        return new Decoded(null, 400, "gzip: invalid body (" + e.getMessage() + ")");
      }
    }
    String type = info.header("content-type");
    int semi = type.indexOf(';');
    String mediaType = (semi >= 0 ? type.substring(0, semi) : type).trim().toLowerCase(Locale.ROOT);
    try {
      List<LokiPushDecoder.Stream> streams =
          mediaType.equals("application/json") ? LokiPushDecoder.json(body) : LokiPushDecoder.protobuf(body);
      return new Decoded(streams, 0, "");
    } catch (LokiPushDecoder.BadBody e) {
      return new Decoded(null, 400, e.getMessage());
    }
  }

  /** Validates and stores; returns Loki-like messages for what was refused. */
  private synchronized List<String> store(String tenant, List<LokiPushDecoder.Stream> pushed, RequestInfo info) {
    List<String> errors = new ArrayList<>();
    Instant now = clock.instant();
    long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    Duration maxAge = rejectOldSamplesMaxAge;
    long oldest = maxAge == null ? Long.MIN_VALUE : nowNanos - maxAge.toNanos();
    long newest = nowNanos + creationGracePeriod.toNanos();
    for (LokiPushDecoder.Stream s : pushed) {
      String labels;
      try {
        labels = validLabels(s.labels());
      } catch (InvalidStream e) {
        errors.add(e.getMessage());
        continue;
      }
      StreamState state = streams.computeIfAbsent(tenant + "\u0000" + labels, k -> new StreamState());
      for (LokiPushDecoder.RawEntry e : s.entries()) {
        int lineBytes = e.line().getBytes(StandardCharsets.UTF_8).length;
        long ts = e.timestampNanos();
        if (lineBytes > maxLineBytes) {
          errors.add("max entry size '" + maxLineBytes + "' bytes exceeded for stream '" + labels
              + "' while adding an entry with length '" + lineBytes + "' bytes");
        } else if (ts < oldest) {
          errors.add("entry for stream '" + labels + "' has timestamp too old: " + time(ts)
              + ", oldest acceptable timestamp is: " + time(oldest));
        } else if (ts > newest) {
          errors.add("entry for stream '" + labels + "' has timestamp too new: " + time(ts));
        } else if (!allowStructuredMetadata && !e.metadata().isEmpty()) {
          errors.add("stream '" + labels + "' includes structured metadata, but this feature is disallowed. Please see"
              + " `limits_config.structured_metadata` or contact your Loki administrator to enable it.");
        } else if (!state.seen.add(ts + "\u0000" + e.line())) {
          info.accepted++; // an exact repeat: Loki ignores it without an error
        } else if (!unorderedWrites && ts < state.last) {
          state.seen.remove(ts + "\u0000" + e.line());
          errors.add("entry with timestamp " + time(ts) + " ignored, reason: 'entry out of order' for stream: " + labels);
        } else if (unorderedWrites && state.newest != Long.MIN_VALUE && ts < state.newest - UNORDERED_WINDOW_NANOS) {
          state.seen.remove(ts + "\u0000" + e.line());
          errors.add("entry with timestamp " + time(ts) + " ignored, reason: 'entry too far behind, entry timestamp is: "
              + time(ts) + ", oldest acceptable timestamp is: " + time(state.newest - UNORDERED_WINDOW_NANOS)
              + "' for stream: " + labels);
        } else {
          Entry stored = new Entry(tenant, labels, ts, e.line(), e.metadata());
          state.entries.add(stored);
          state.last = Math.max(state.last, ts);
          state.newest = Math.max(state.newest, ts);
          entries.add(stored);
          info.accepted++;
        }
      }
    }
    notifyAll();
    return errors;
  }

  private static final class InvalidStream extends Exception {
    InvalidStream(String message) {
      super(message);
    }
  }

  private String validLabels(String text) throws InvalidStream {
    List<Map.Entry<String, String>> pairs;
    try {
      pairs = LokiLabelParser.parse(text);
    } catch (LokiLabelParser.ParseException e) {
      throw new InvalidStream("error parsing labels '" + text + "' with error: " + e.getMessage());
    }
    if (pairs.isEmpty()) {
      throw new InvalidStream("error at least one label pair is required per stream");
    }
    TreeMap<String, String> labels = new TreeMap<>();
    for (Map.Entry<String, String> p : pairs) {
      if (!LokiLabelParser.validName(p.getKey())) {
        throw new InvalidStream("error parsing labels '" + text + "' with error: invalid label name " + p.getKey());
      }
      if (labels.put(p.getKey(), p.getValue()) != null) {
        throw new InvalidStream("stream '" + text + "' has duplicate label name: '" + p.getKey() + "'");
      }
    }
    String canonical = LokiLabelParser.format(labels);
    if (labels.size() > maxLabelNames) {
      throw new InvalidStream(
          "entry for stream '" + canonical + "' has " + labels.size() + " label names; limit " + maxLabelNames);
    }
    for (Map.Entry<String, String> l : labels.entrySet()) {
      if (l.getKey().length() > MAX_NAME_LENGTH) {
        throw new InvalidStream("stream '" + canonical + "' has label name too long: '" + l.getKey() + "'");
      }
      if (l.getValue().length() > MAX_VALUE_LENGTH) {
        throw new InvalidStream("stream '" + canonical + "' has label value too long: '" + l.getValue() + "'");
      }
    }
    return canonical;
  }

  private static String time(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)).toString();
  }

  private void answer(HttpExchange ex, RequestInfo info, int status, String body, Map<String, String> headers)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    if (bytes.length > 0) {
      ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
    }
    // Recorded before the answer goes out: a client can only react after this moment.
    info.answered = System.nanoTime();
    record(info, status, body);
    if (status == 204 || bytes.length == 0) {
      ex.sendResponseHeaders(status, -1);
    } else {
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  private synchronized void record(RequestInfo info, int status, String answer) {
    requests.add(
        new Request(
            info.receivedAt, info.received, info.answered, info.method, info.path, info.headers, info.bodyBytes,
            info.entries, info.lineBytes, info.accepted, status, answer));
    notifyAll();
  }
}

package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Signal;
import io.ccotel.gateway.core.model.TelemetryBatch;
import io.ccotel.gateway.core.pipeline.Exporter;
import io.ccotel.gateway.core.pipeline.ExporterSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes log records (Claude Code events) to Loki's push API, {@code POST
 * {endpoint}/loki/api/v1/push}. Configuration: {@link LokiExporterConfig}; line and metadata
 * format: {@link LokiRecordFormat}; stream labels: {@code service_name}, {@code event_name} and
 * the configured {@code stream_labels}.
 *
 * <h2>Batching</h2>
 *
 * {@link #export} turns the records into entries and adds them to the open batch of their tenant;
 * a batch is sealed when the next entry would take it past {@code batch_max_bytes}, when it holds
 * {@code batch_max_entries}, or {@code batch_linger} after its first entry. One sender thread
 * ({@code loki-sender-<id>}) pushes sealed batches one at a time (with {@code
 * max_concurrent_pushes} N > 1, N threads {@code loki-sender-<id>-<i>} push up to N batches at
 * once, each in the order sealed but answered in any order), streams' entries sorted by
 * timestamp. At most {@value #MAX_READY_BATCHES} sealed batches wait; beyond that {@code export}
 * blocks, so a slow or dead Loki fills this exporter's queue (and the client is told to retry)
 * instead of memory. The pipeline's queue counts a batch as exported once {@code export} returns;
 * what then reaches Loki is counted in {@code gateway_loki_sent_entries_total} and what is given
 * up in {@code gateway_loki_dropped_entries_total{reason}} (see {@link LokiMetrics}).
 *
 * <h2>Answers</h2>
 *
 * <ul>
 *   <li>2xx: delivered.
 *   <li>429 and 5xx, network errors and time-outs: retried with exponential backoff and full
 *       jitter ({@link LokiExporterConfig.Retry}), never before the server's {@code Retry-After}
 *       (seconds or an HTTP date). A push still failing after {@code retry.max_elapsed} is
 *       dropped, counted ({@code reason="gave_up"}) and logged.
 *   <li>Other 4xx: permanent, never retried; counted as {@code reason="http_<code>"} (when Loki's
 *       answer says {@code total ignored: N out of M}, only the N ignored entries, the rest as
 *       sent) and logged with an excerpt of Loki's answer, once a minute per reason.
 * </ul>
 *
 * <h2>Lifecycle</h2>
 *
 * {@link #shutdown} stops intake, seals what is batched and lets the senders push it until the
 * deadline; what is left then is counted as {@code reason="shutdown"} and logged. Credentials are
 * never logged.
 *
 * <p>Thread safety: {@link #export} is called by one queue worker; {@link #flush}, {@link
 * #shutdown} and the metrics may be called from any thread.
 */
public final class LokiExporter implements Exporter {
  private static final Logger log = LoggerFactory.getLogger(LokiExporter.class);

  /** Sealed batches that may wait for the sender before {@link #export} blocks. */
  static final int MAX_READY_BATCHES = 4;

  private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final int EXCERPT_CHARS = 512;
  private static final Pattern IGNORED = Pattern.compile("total ignored: (\\d+) out of (\\d+)");

  /** Waits between retries; the real one sleeps, tests move a fake clock. */
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final String id;
  private final LokiExporterConfig config;
  private final Clock clock;
  private final LokiMetrics metrics;
  private final LokiRecordFormat format;
  private final LokiLabels labels;
  private final LokiTransport transport;
  private final LongSupplier ticker;
  private final Sleeper sleeper;
  private final DoubleSupplier jitter;
  private final URI pushUri;
  private final Map<String, String> fixedHeaders;
  private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

  private final Object lock = new Object();
  private final Map<String, LokiBatch> open = new LinkedHashMap<>(); // by tenant; guarded by lock
  private final ArrayDeque<LokiBatch> ready = new ArrayDeque<>(); // guarded by lock
  private final AtomicLong pendingEntries = new AtomicLong(); // open + ready + in flight
  private boolean started; // guarded by lock
  private volatile boolean closing;
  private boolean closed; // guarded by lock
  private volatile long shutdownDeadlineNanos;
  private final List<Thread> senders = new ArrayList<>(); // guarded by lock

  /** An exporter pushing over HTTP, as the {@link LokiExporterFactory} builds it. */
  public LokiExporter(ExporterSettings settings, LokiExporterConfig config) {
    this(settings, config, new HttpLokiTransport(config), System::nanoTime, LokiExporter::sleepNanos,
        () -> ThreadLocalRandom.current().nextDouble());
  }

  LokiExporter(
      ExporterSettings settings,
      LokiExporterConfig config,
      LokiTransport transport,
      LongSupplier ticker,
      Sleeper sleeper,
      DoubleSupplier jitter) {
    this.id = Objects.requireNonNull(settings.id(), "id");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = settings.clock();
    this.metrics = new LokiMetrics(settings.metrics().registry(), id);
    this.format = new LokiRecordFormat(config.maxLineBytes(), config.structuredMetadata());
    this.labels = new LokiLabels(config.streamLabels());
    this.transport = transport;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.jitter = jitter;
    this.pushUri = config.pushUri();
    this.fixedHeaders = fixedHeaders(config);
    metrics.pendingGauge(pendingEntries::get);
  }

  private static Map<String, String> fixedHeaders(LokiExporterConfig config) {
    Map<String, String> h = new LinkedHashMap<>();
    if (config.encoding() == LokiExporterConfig.Encoding.PROTOBUF) {
      h.put("Content-Type", "application/x-protobuf");
    } else {
      h.put("Content-Type", "application/json");
      if (config.compression() == LokiExporterConfig.Compression.GZIP) {
        h.put("Content-Encoding", "gzip");
      }
    }
    LokiExporterConfig.Auth auth = config.auth();
    if (auth.isBasic()) {
      String pair = auth.username() + ":" + auth.password();
      h.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    } else if (auth.isBearer()) {
      h.put("Authorization", "Bearer " + auth.bearerToken());
    }
    h.put("User-Agent", "ccotel-gateway");
    return Map.copyOf(h);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Set<Signal> supportedSignals() {
    return Set.of(Signal.LOGS);
  }

  public LokiExporterConfig config() {
    return config;
  }

  /** Where pushes go. */
  public URI pushUri() {
    return pushUri;
  }

  /** Entries batched, waiting or being sent. */
  public long pendingEntries() {
    return pendingEntries.get();
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (started || closed) {
        return;
      }
      started = true;
      if (config.tls().insecureSkipVerify()) {
        log.warn("Loki exporter {}: tls.insecure_skip_verify is on, Loki's certificate is not checked", id);
      }
      int n = config.maxConcurrentPushes();
      for (int i = 0; i < n; i++) {
        Thread t = new Thread(this::runSender, n == 1 ? "loki-sender-" + id : "loki-sender-" + id + "-" + i);
        t.setDaemon(true);
        senders.add(t);
      }
      senders.forEach(Thread::start);
    }
  }

  /**
   * Batches the records of a {@link LogsBatch}. Blocks while {@value #MAX_READY_BATCHES} sealed
   * batches wait for the sender (Loki slow or down). The batch is not kept after the call.
   *
   * @throws IllegalArgumentException for another signal
   * @throws IllegalStateException when not started or already shut down
   * @throws InterruptedException when interrupted while waiting (the records are not taken)
   */
  @Override
  public void export(TelemetryBatch batch) throws InterruptedException {
    if (!(batch instanceof LogsBatch logs)) {
      throw new IllegalArgumentException("the Loki exporter takes logs only, got " + batch.signal().id());
    }
    if (logs.isEmpty()) {
      return;
    }
    List<Prepared> prepared = new ArrayList<>(logs.itemCount());
    long now = -1;
    for (LogRecord r : logs.records()) {
      SortedMap<String, String> streamLabels = labels.of(r);
      LokiRecordFormat.Formatted f = format.format(r);
      if (f.truncated()) {
        metrics.truncated();
      }
      long ts = r.effectiveTimeNanos();
      if (ts == 0) {
        if (now < 0) {
          Instant i = clock.instant();
          now = i.getEpochSecond() * 1_000_000_000L + i.getNano();
        }
        ts = now;
      }
      prepared.add(new Prepared(tenantOf(r), streamLabels, LokiLabels.format(streamLabels), LokiBatch.Entry.of(ts, f)));
    }
    synchronized (lock) {
      if (!started || closed) {
        throw new IllegalStateException("Loki exporter " + id + (closed ? " is shut down" : " is not started"));
      }
      while (ready.size() >= MAX_READY_BATCHES && !closing) {
        lock.wait();
      }
      for (Prepared p : prepared) {
        add(p);
      }
      if (config.batchLinger().isZero()) {
        sealAll();
      }
      lock.notifyAll();
    }
  }

  private record Prepared(String tenant, SortedMap<String, String> labels, String labelsText, LokiBatch.Entry entry) {}

  private String tenantOf(LogRecord r) {
    if (!config.tenantFromAttribute().isEmpty()) {
      String v = LokiLabels.attribute(r, config.tenantFromAttribute());
      if (v != null && !v.isBlank()) {
        return LokiLabels.sanitizeTenant(v.trim());
      }
    }
    return config.tenant();
  }

  // guarded by lock
  private void add(Prepared p) {
    LokiBatch b = open.get(p.tenant());
    if (b != null
        && (b.entries() >= config.batchMaxEntries() || b.bytes() + b.cost(p.labelsText(), p.entry()) > config.batchMaxBytes())) {
      seal(p.tenant());
      b = null;
    }
    if (b == null) {
      b = new LokiBatch(p.tenant(), ticker.getAsLong());
      open.put(p.tenant(), b);
    }
    b.add(p.labels(), p.labelsText(), p.entry());
    pendingEntries.incrementAndGet();
    if (b.entries() >= config.batchMaxEntries() || b.bytes() >= config.batchMaxBytes()) {
      seal(p.tenant());
    }
  }

  // guarded by lock
  private void seal(String tenant) {
    LokiBatch b = open.remove(tenant);
    if (b != null && !b.isEmpty()) {
      ready.add(b);
    }
  }

  // guarded by lock
  private void sealAll() {
    for (String tenant : new ArrayList<>(open.keySet())) {
      seal(tenant);
    }
  }

  /**
   * Seals what is batched and waits until everything handed to {@link #export} so far has been
   * delivered or given up, or the timeout passed. For tests and tools; true when nothing is left.
   */
  public boolean flush(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      sealAll();
      lock.notifyAll();
      while (pendingEntries.get() > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
      }
      return true;
    }
  }

  // --- sender ------------------------------------------------------------------------------------

  private void runSender() {
    while (true) {
      LokiBatch batch;
      synchronized (lock) {
        try {
          batch = nextBatch();
        } catch (InterruptedException e) {
          return; // shutdown passed its deadline; shutdown() counts what is left
        }
        if (batch == null) {
          return;
        }
      }
      try {
        send(batch);
      } catch (InterruptedException e) {
        drop(batch, "shutdown", "the shutdown deadline passed while it was being retried");
        return;
      } catch (RuntimeException | LinkageError e) {
        metrics.dropped("error", batch.entries());
        log.error("Loki exporter {}: {} entries dropped after an unexpected error", id, batch.entries(), e);
      } finally {
        synchronized (lock) {
          pendingEntries.addAndGet(-batch.entries());
          lock.notifyAll();
        }
      }
    }
  }

  /** The next sealed batch, sealing batches whose linger expired; null once closing and empty. */
  // guarded by lock
  private LokiBatch nextBatch() throws InterruptedException {
    while (true) {
      long now = ticker.getAsLong();
      long lingerNanos = config.batchLinger().toNanos();
      long nextDue = Long.MAX_VALUE;
      for (Iterator<Map.Entry<String, LokiBatch>> it = open.entrySet().iterator(); it.hasNext(); ) {
        LokiBatch b = it.next().getValue();
        long due = b.createdNanos() + lingerNanos;
        if (closing || due - now <= 0) {
          it.remove();
          if (!b.isEmpty()) {
            ready.add(b);
          }
        } else {
          nextDue = Math.min(nextDue, due);
        }
      }
      LokiBatch b = ready.poll();
      if (b != null) {
        lock.notifyAll(); // room for a blocked export()
        return b;
      }
      if (closing) {
        return null;
      }
      long waitMillis = nextDue == Long.MAX_VALUE ? 1000 : TimeUnit.NANOSECONDS.toMillis(nextDue - now) + 1;
      lock.wait(Math.max(1, Math.min(waitMillis, 1000)));
    }
  }

  private void send(LokiBatch batch) throws InterruptedException {
    Collection<LokiBatch.Stream> streams = batch.sortedStreams();
    byte[] body =
        config.encoding() == LokiExporterConfig.Encoding.PROTOBUF
            ? LokiPushEncoder.snappy(LokiPushEncoder.protobuf(streams))
            : config.compression() == LokiExporterConfig.Compression.GZIP
                ? LokiPushEncoder.gzip(LokiPushEncoder.json(streams))
                : LokiPushEncoder.json(streams);
    Map<String, String> headers = fixedHeaders;
    if (!batch.tenant().isEmpty()) {
      headers = new LinkedHashMap<>(fixedHeaders);
      headers.put("X-Scope-OrgID", batch.tenant());
    }
    int entries = batch.entries();
    long start = ticker.getAsLong();
    long maxElapsed = config.retry().maxElapsed().toNanos();
    for (int attempt = 1; ; attempt++) {
      String problem;
      String retryAfter = "";
      try {
        LokiTransport.Response r = transport.post(pushUri, headers, body, config.timeout());
        metrics.request(Integer.toString(r.status()));
        if (r.status() >= 200 && r.status() < 300) {
          metrics.sent(entries);
          return;
        }
        if (r.status() != 429 && r.status() < 500) {
          permanent(batch, r);
          return;
        }
        problem = "HTTP " + r.status() + (r.body().isBlank() ? "" : ": " + excerpt(r.body()));
        retryAfter = r.retryAfter();
      } catch (HttpConnectTimeoutException e) {
        metrics.request("timeout");
        problem = "connect timeout after " + config.timeout().toMillis() + "ms";
      } catch (HttpTimeoutException e) {
        metrics.request("timeout");
        problem = "no answer within " + config.timeout().toMillis() + "ms";
      } catch (IOException e) {
        metrics.request("network_error");
        problem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
      long delay = backoffNanos(attempt);
      long serverDelay = retryAfterNanos(retryAfter);
      if (serverDelay > delay) {
        delay = serverDelay;
      }
      long now = ticker.getAsLong();
      if (maxElapsed > 0 && now + delay - start > maxElapsed) {
        metrics.dropped("gave_up", entries);
        log.warn(
            "Loki exporter {}: gave up on a push of {} entries to {} after {} attempts in {} ms (retry.max_elapsed {}); last"
                + " problem: {}",
            id, entries, pushUri, attempt, TimeUnit.NANOSECONDS.toMillis(now - start),
            config.retry().maxElapsed(), problem);
        return;
      }
      if (closing && now + delay - shutdownDeadlineNanos > 0) {
        drop(batch, "shutdown", "Loki did not accept it before the shutdown deadline (" + problem + ")");
        return;
      }
      logRetry(problem, attempt, delay);
      metrics.retry();
      sleeper.sleep(delay);
    }
  }

  /** Full jitter: uniform in [0, min(max_backoff, initial_backoff * 2^(attempt-1))). */
  long backoffNanos(int attempt) {
    long initial = config.retry().initialBackoff().toNanos();
    long max = config.retry().maxBackoff().toNanos();
    long cap = Math.min(initial, max);
    for (int i = 1; i < attempt && cap < max; i++) {
      cap = cap > max / 2 ? max : cap * 2;
    }
    return (long) (jitter.getAsDouble() * cap);
  }

  /** Retry-After as seconds or an HTTP date, in nanoseconds from now; 0 when absent or unreadable. */
  long retryAfterNanos(String retryAfter) {
    if (retryAfter.isEmpty()) {
      return 0;
    }
    if (retryAfter.chars().allMatch(Character::isDigit)) {
      try {
        return TimeUnit.SECONDS.toNanos(Math.min(Long.parseLong(retryAfter), TimeUnit.DAYS.toSeconds(1)));
      } catch (NumberFormatException e) {
        return TimeUnit.DAYS.toNanos(1);
      }
    }
    try {
      Instant at = ZonedDateTime.parse(retryAfter, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      long nanos = Duration.between(clock.instant(), at).toNanos();
      return Math.max(0, nanos);
    } catch (DateTimeParseException | ArithmeticException e) {
      return 0;
    }
  }

  private void permanent(LokiBatch batch, LokiTransport.Response r) {
    int entries = batch.entries();
    long ignored = ignoredEntries(r.body(), entries);
    String reason = "http_" + r.status();
    metrics.dropped(reason, ignored);
    if (ignored < entries) {
      metrics.sent(entries - ignored);
    }
    if (shouldLog(reason)) {
      log.warn(
          "Loki exporter {}: Loki refused {} of {} entries with HTTP {} (not retried; further refusals for this reason within"
              + " a minute are only counted in gateway_loki_dropped_entries_total{reason=\"{}\"}): {}",
          id, ignored, entries, r.status(), reason, excerpt(r.body()));
    }
  }

  /** Loki names the entries it ignored ("total ignored: N out of M"); else all were refused. */
  static long ignoredEntries(String body, int entries) {
    Matcher m = IGNORED.matcher(body);
    long ignored = 0;
    boolean found = false;
    while (m.find()) {
      found = true;
      try {
        ignored += Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        return entries;
      }
    }
    return found ? Math.min(ignored, entries) : entries;
  }

  private void drop(LokiBatch batch, String reason, String why) {
    metrics.dropped(reason, batch.entries());
    log.warn("Loki exporter {}: {} entries dropped: {}", id, batch.entries(), why);
  }

  private void logRetry(String problem, int attempt, long delayNanos) {
    if (shouldLog("retry")) {
      log.warn(
          "Loki exporter {}: push to {} failed ({}), attempt {}, retrying in {} ms (further retries within a minute are only"
              + " counted in gateway_loki_retries_total)",
          id, pushUri, problem, attempt, TimeUnit.NANOSECONDS.toMillis(delayNanos));
    }
  }

  private boolean shouldLog(String reason) {
    long now = System.nanoTime();
    Long last = lastLogged.get(reason);
    if (last != null && now - last < LOG_INTERVAL_NANOS) {
      return false;
    }
    lastLogged.put(reason, now);
    return true;
  }

  private static String excerpt(String body) {
    String s = body.strip();
    return s.length() <= EXCERPT_CHARS ? s : s.substring(0, EXCERPT_CHARS) + "…";
  }

  /** Sleeps at least this long (never wakes early: Retry-After is a lower bound). */
  private static void sleepNanos(long nanos) throws InterruptedException {
    long end = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - System.nanoTime()) {
      TimeUnit.NANOSECONDS.sleep(left + 999_999); // rounded up to the next millisecond
    }
  }

  /**
   * Stops intake, pushes what is batched until the deadline, then counts what is left as dropped
   * ({@code reason="shutdown"}). Safe twice and before {@link #start}.
   */
  @Override
  public void shutdown(Duration deadline) {
    List<Thread> threads;
    synchronized (lock) {
      if (closed || closing) {
        return;
      }
      shutdownDeadlineNanos = ticker.getAsLong() + deadline.toNanos();
      closing = true;
      sealAll();
      lock.notifyAll();
      threads = List.copyOf(senders);
    }
    long joinEnd = System.nanoTime() + Math.max(1, deadline.toMillis()) * 1_000_000L;
    try {
      for (Thread t : threads) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinEnd - System.nanoTime())));
      }
      for (Thread t : threads) {
        if (t.isAlive()) {
          t.interrupt();
        }
      }
      for (Thread t : threads) {
        t.join(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean sendersDone = threads.stream().noneMatch(Thread::isAlive);
    long left = 0;
    synchronized (lock) {
      closed = true;
      sealAll();
      for (LokiBatch b : ready) {
        left += b.entries();
      }
      ready.clear();
      if (sendersDone) {
        pendingEntries.set(0);
      }
      lock.notifyAll();
    }
    if (left > 0) {
      metrics.dropped("shutdown", left);
      log.warn("Loki exporter {}: {} entries not pushed before the shutdown deadline were dropped", id, left);
    }
    metrics.close();
  }
}

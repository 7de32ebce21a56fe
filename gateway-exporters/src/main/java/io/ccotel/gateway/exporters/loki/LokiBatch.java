package io.ccotel.gateway.exporters.loki;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The entries of one future push request: one tenant, grouped by stream. Its size is counted as
 * Loki's rate limiter counts a push (line bytes plus structured metadata bytes) plus the label
 * strings, which is what {@code batch_max_bytes} bounds. Not thread-safe: guarded by the
 * exporter's lock until sealed, then owned by the sender.
 */
final class LokiBatch {
  /** One entry: timestamp in Unix nanoseconds, line, structured metadata pairs. */
  record Entry(long timestampNanos, String line, List<Map.Entry<String, String>> metadata, int bytes) {
    static Entry of(long timestampNanos, LokiRecordFormat.Formatted f) {
      int bytes = f.lineBytes();
      for (Map.Entry<String, String> m : f.metadata()) {
        bytes += LokiRecordFormat.utf8Length(m.getKey()) + LokiRecordFormat.utf8Length(m.getValue());
      }
      return new Entry(timestampNanos, f.line(), f.metadata(), bytes);
    }
  }

  /** One stream of the batch: its labels (sorted) and text form, and its entries. */
  static final class Stream {
    final SortedMap<String, String> labels;
    final String labelsText;
    final List<Entry> entries = new ArrayList<>();

    Stream(SortedMap<String, String> labels, String labelsText) {
      this.labels = labels;
      this.labelsText = labelsText;
    }
  }

  private final String tenant;
  private final long createdNanos;
  private final Map<String, Stream> streams = new LinkedHashMap<>();
  private long bytes;
  private int entries;

  LokiBatch(String tenant, long createdNanos) {
    this.tenant = tenant;
    this.createdNanos = createdNanos;
  }

  String tenant() {
    return tenant;
  }

  long createdNanos() {
    return createdNanos;
  }

  long bytes() {
    return bytes;
  }

  int entries() {
    return entries;
  }

  boolean isEmpty() {
    return entries == 0;
  }

  /** The bytes this entry would add (its stream's labels too when the stream is new here). */
  long cost(String labelsText, Entry e) {
    return e.bytes() + (streams.containsKey(labelsText) ? 0 : LokiRecordFormat.utf8Length(labelsText));
  }

  void add(SortedMap<String, String> labels, String labelsText, Entry e) {
    bytes += cost(labelsText, e);
    streams.computeIfAbsent(labelsText, k -> new Stream(labels, labelsText)).entries.add(e);
    entries++;
  }

  /**
   * The streams with their entries sorted by timestamp (stable: equal timestamps keep arrival
   * order), as Loki wants them within a push. Call once the batch is sealed.
   */
  Collection<Stream> sortedStreams() {
    for (Stream s : streams.values()) {
      s.entries.sort(Comparator.comparingLong(Entry::timestampNanos));
    }
    return streams.values();
  }
}

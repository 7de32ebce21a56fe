package io.ccotel.gateway.exporters.loki;

import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import java.util.List;
import java.util.SortedMap;

/**
 * Benchmark access to the Loki exporter's package-private encoding steps (gateway-bench only; the
 * package is split across jars on the class path, which works without JPMS). Mirrors {@code
 * LokiExporter.export} (stream labels, JSON line, entry) and {@code LokiExporter.send} (push body),
 * without queues, locks or HTTP.
 */
public final class LokiBenchBridge {
  private final LokiLabels labels = new LokiLabels(List.of());
  private final LokiRecordFormat format;

  /** A batch being built; opaque outside this package. */
  public static final class Batch {
    final LokiBatch batch = new LokiBatch("", 0);

    public int entries() {
      return batch.entries();
    }

    public long bytes() {
      return batch.bytes();
    }
  }

  public LokiBenchBridge(boolean structuredMetadata) {
    this.format = new LokiRecordFormat(LokiExporterConfig.DEFAULT_MAX_LINE_BYTES, structuredMetadata);
  }

  /** Labels, line and entry of every record, added to a new batch (what export() does per record). */
  public Batch prepare(LogsBatch logs) {
    Batch b = new Batch();
    for (LogRecord r : logs.records()) {
      SortedMap<String, String> streamLabels = labels.of(r);
      LokiRecordFormat.Formatted f = format.format(r);
      b.batch.add(streamLabels, LokiLabels.format(streamLabels), LokiBatch.Entry.of(r.effectiveTimeNanos(), f));
    }
    return b;
  }

  /** Only the JSON line of one record. */
  public String line(LogRecord r) {
    return format.format(r).line();
  }

  /** The default push body: protobuf PushRequest, snappy-compressed. */
  public byte[] protobufSnappy(Batch b) {
    return LokiPushEncoder.snappy(LokiPushEncoder.protobuf(b.batch.sortedStreams()));
  }

  /** The JSON push body (encoding: json, compression: none). */
  public byte[] json(Batch b) {
    return LokiPushEncoder.json(b.batch.sortedStreams());
  }
}

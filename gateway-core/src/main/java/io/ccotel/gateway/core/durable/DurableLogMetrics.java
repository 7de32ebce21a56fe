package io.ccotel.gateway.core.durable;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The durable log's own metrics. As Prometheus shows them (tag {@code log} = directory name):
 * {@code gateway_durable_log_size_bytes}, {@code gateway_durable_log_segments}, {@code
 * gateway_durable_appended_records_total}, {@code gateway_durable_appended_bytes_total}, {@code
 * gateway_durable_refused_records_total{reason="full"|"backlog"}}, {@code
 * gateway_durable_fsync_seconds_{count,sum,max}}, {@code gateway_durable_commit_group_records}
 * (records per write+fsync: group commit at work), {@code
 * gateway_durable_recovery_truncated_bytes_total}, {@code gateway_durable_recovery_problems_total},
 * {@code gateway_durable_corrupt_skipped_records_total{reader}} and {@code
 * gateway_durable_reader_lag_records{reader}}.
 */
final class DurableLogMetrics {
  private final MeterRegistry registry;
  private final String logTag;
  private final List<Meter> meters = new CopyOnWriteArrayList<>();
  final Counter appendedRecords;
  final Counter appendedBytes;
  final Counter refusedFull;
  final Counter refusedBacklog;
  final Counter recoveryTruncatedBytes;
  final Counter recoveryProblems;
  final Timer fsync;
  final DistributionSummary groupRecords;

  DurableLogMetrics(MeterRegistry registry, String logTag) {
    // No registry: a composite with no children, whose meters do nothing.
    this.registry = registry == null ? new CompositeMeterRegistry() : registry;
    this.logTag = logTag;
    appendedRecords = Counter.builder("gateway.durable.appended.records")
        .description("Records appended to the durable log")
        .tag("log", logTag).register(this.registry);
    appendedBytes = Counter.builder("gateway.durable.appended")
        .description("Bytes appended to the durable log, record headers included")
        .baseUnit("bytes").tag("log", logTag).register(this.registry);
    refusedFull = refused("full");
    refusedBacklog = refused("backlog");
    recoveryTruncatedBytes = Counter.builder("gateway.durable.recovery.truncated")
        .description("Bytes cut off a torn or corrupted segment tail when the log was opened")
        .baseUnit("bytes").tag("log", logTag).register(this.registry);
    recoveryProblems = Counter.builder("gateway.durable.recovery.problems")
        .description("Torn tails, corrupted records and bad headers found when the log was opened")
        .tag("log", logTag).register(this.registry);
    fsync = Timer.builder("gateway.durable.fsync")
        .description("fsyncs of segment files and how long they took")
        .tag("log", logTag).register(this.registry);
    groupRecords = DistributionSummary.builder("gateway.durable.commit.group.records")
        .description("Records written together by one group commit")
        .tag("log", logTag).register(this.registry);
    meters.addAll(List.of(appendedRecords, appendedBytes, refusedFull, refusedBacklog, recoveryTruncatedBytes,
        recoveryProblems, fsync, groupRecords));
  }

  /** Removes this log's meters (at close: a log opened again on the same directory registers anew). */
  void remove() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
  }

  private Counter refused(String reason) {
    return Counter.builder("gateway.durable.refused.records")
        .description("Appends refused with LogFullException (the client was told to retry)")
        .tag("log", logTag).tag("reason", reason).register(registry);
  }

  void logGauges(Supplier<Number> sizeBytes, Supplier<Number> segments) {
    meters.add(Gauge.builder("gateway.durable.log.size", sizeBytes)
        .description("Bytes of the durable log's segment files")
        .baseUnit("bytes").tag("log", logTag).register(registry));
    meters.add(Gauge.builder("gateway.durable.log.segments", segments)
        .description("Segment files of the durable log")
        .tag("log", logTag).register(registry));
  }

  void readerGauge(String reader, Supplier<Number> lag) {
    meters.add(Gauge.builder("gateway.durable.reader.lag", lag)
        .description("Records appended after the reader's committed position")
        .baseUnit("records").tag("log", logTag).tag("reader", reader).register(registry));
  }

  void corruptSkipped(String reader, long records) {
    Counter c = Counter.builder("gateway.durable.corrupt.skipped.records")
        .description("Records a reader could not read (damaged or deleted before it read them) and skipped")
        .tag("log", logTag).tag("reader", reader).register(registry);
    if (!meters.contains(c)) {
      meters.add(c);
    }
    c.increment(records);
  }

  void recordFsync(long nanos) {
    fsync.record(nanos, TimeUnit.NANOSECONDS);
  }
}

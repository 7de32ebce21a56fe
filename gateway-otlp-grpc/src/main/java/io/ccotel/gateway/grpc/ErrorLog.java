package io.ccotel.gateway.grpc;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs unexpected failures on the data path without flooding the log: at most one line (with the
 * exception) per interval; the ones in between are counted and the count goes with the next line.
 * Every failure is also counted in the gateway's metrics by the caller. Thread-safe.
 */
final class ErrorLog {
  private final Logger log;
  private final Clock clock;
  private final long intervalMillis;
  private final AtomicLong nextAllowedMillis = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  ErrorLog(Logger log, Clock clock, Duration interval) {
    this.log = log;
    this.clock = clock;
    this.intervalMillis = interval.toMillis();
  }

  void log(String what, Throwable t) {
    long now = clock.millis();
    long next = nextAllowedMillis.get();
    if (now >= next && nextAllowedMillis.compareAndSet(next, now + intervalMillis)) {
      long skipped = suppressed.getAndSet(0);
      if (skipped == 0) {
        log.error("{}", what, t);
      } else {
        log.error("{} ({} more such failures since the last report)", what, skipped, t);
      }
    } else {
      suppressed.incrementAndGet();
    }
  }
}

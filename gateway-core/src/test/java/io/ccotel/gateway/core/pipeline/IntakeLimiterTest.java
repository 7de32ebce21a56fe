package io.ccotel.gateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IntakeLimiterTest {
  private final MeterRegistry registry = new SimpleMeterRegistry();

  private IntakeLimiter limiter(long bytes, double heap) {
    return new IntakeLimiter(bytes, heap, Duration.ofSeconds(2), registry);
  }

  private double refusals(String reason) {
    return registry.find("gateway.overload.refusals").tag("reason", reason).counter().count();
  }

  private double gauge(String name) {
    return registry.find(name).gauge().value();
  }

  @Test
  void requestsAreTakenWhileTheyFitAndRefusedBeyond() {
    IntakeLimiter l = limiter(1000, 1.0);
    IntakeLimiter.Permit a = l.tryAcquire(600);
    IntakeLimiter.Permit b = l.tryAcquire(400);
    assertThat(a).isNotNull();
    assertThat(b).isNotNull();
    assertThat(l.inflightBytes()).isEqualTo(1000);
    assertThat(gauge("gateway.inflight")).isEqualTo(1000.0);
    assertThat(gauge("gateway.inflight.limit")).isEqualTo(1000.0);

    assertThat(l.tryAcquire(1)).isNull();
    assertThat(refusals("inflight_bytes")).isEqualTo(1.0);
    assertThat(refusals("heap")).isZero();

    a.close();
    a.close(); // twice is harmless: released once
    assertThat(l.inflightBytes()).isEqualTo(400);
    IntakeLimiter.Permit c = l.tryAcquire(600);
    assertThat(c).isNotNull();
    b.close();
    c.close();
    assertThat(l.inflightBytes()).isZero();
  }

  @Test
  void refusesNowAnswersWithoutTakingAPermit() {
    IntakeLimiter l = limiter(1000, 1.0);
    assertThat(l.refusesNow(5000)).isFalse(); // nothing in flight: even a large one would pass
    IntakeLimiter.Permit a = l.tryAcquire(800);
    assertThat(l.refusesNow(200)).isFalse();
    assertThat(l.refusesNow(201)).isTrue();
    assertThat(l.inflightBytes()).isEqualTo(800);
    assertThat(refusals("inflight_bytes")).isEqualTo(1.0);
    a.close();
  }

  @Test
  void aRequestLargerThanTheBudgetIsTakenWhenNothingElseIsInFlight() {
    IntakeLimiter l = limiter(1000, 1.0);
    IntakeLimiter.Permit big = l.tryAcquire(5000);
    assertThat(big).isNotNull();
    assertThat(l.tryAcquire(1)).isNull();
    big.close();
    assertThat(l.tryAcquire(1)).isNotNull();
  }

  @Test
  void theHeapRuleRefusesEverythingUntilAGcBringsTheHeapDown() {
    IntakeLimiter l = new IntakeLimiter(1 << 20, 0.8, Duration.ofSeconds(2), registry, false);
    l.heapAfterGc(0.85);
    assertThat(l.tryAcquire(10)).isNull();
    assertThat(refusals("heap")).isEqualTo(1.0);
    assertThat(gauge("gateway.heap.after.gc.ratio")).isEqualTo(0.85);
    l.heapAfterGc(0.5);
    assertThat(l.tryAcquire(10)).isNotNull();
    l.close();
  }

  @Test
  void aHighHeapAsksForAFullCollectionAtMostEveryTenSeconds() {
    AtomicInteger collections = new AtomicInteger();
    long[] now = {0};
    IntakeLimiter l = new IntakeLimiter(1 << 20, 0.8, Duration.ofSeconds(2), registry, false,
        collections::incrementAndGet, () -> now[0]);
    l.heapAfterGc(0.5);
    assertThat(collections.get()).isZero();
    l.heapAfterGc(0.85); // young GC: old garbage still counted
    assertThat(collections.get()).isEqualTo(1);
    now[0] += Duration.ofSeconds(9).toNanos();
    l.heapAfterGc(0.86);
    assertThat(collections.get()).isEqualTo(1);
    now[0] += Duration.ofSeconds(1).toNanos();
    l.heapAfterGc(0.86);
    assertThat(collections.get()).isEqualTo(2);
    l.heapAfterGc(0.3); // the full collection's figure: taken again
    assertThat(l.tryAcquire(10)).isNotNull();
    assertThat(collections.get()).isEqualTo(2);
  }

  @Test
  void theGcWatcherReportsTheHeapAfterARealCollection() throws InterruptedException {
    IntakeLimiter l = limiter(1 << 20, 0.99);
    try {
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (gauge("gateway.heap.after.gc.ratio") == 0 && System.nanoTime() < end) {
        System.gc();
        Thread.sleep(50); // notifications arrive on a JMX thread
      }
      assertThat(gauge("gateway.heap.after.gc.ratio")).isGreaterThan(0);
      assertThat(gauge("gateway.heap.after.gc.ratio")).isLessThan(0.99);
      assertThat(l.tryAcquire(1)).isNotNull();
    } finally {
      l.close();
    }
  }

  @Test
  void theRefusalIsRetryableWithTheConfiguredHint() {
    ConsumeResult r = limiter(1000, 1.0).refusal();
    assertThat(r.outcome()).isEqualTo(ConsumeResult.Outcome.RETRYABLE);
    assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(2));
    assertThat(r.message()).isEqualTo(
        "the gateway is overloaded (requests in flight or memory at their limit); retry later");
  }

  @Test
  void unlimitedTakesEverything() {
    IntakeLimiter l = IntakeLimiter.unlimited();
    List<IntakeLimiter.Permit> permits = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      permits.add(l.tryAcquire(Integer.MAX_VALUE));
    }
    assertThat(permits).doesNotContainNull();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> limiter(0, 0.9)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInflightBytes must be positive, got 0");
    assertThatThrownBy(() -> limiter(10, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxHeapAfterGc must be in (0, 1], got 0.0");
  }

  @Test
  void concurrentPermitsNeverExceedTheBudgetAndAllReturn() throws Exception {
    IntakeLimiter l = limiter(10_000, 1.0);
    AtomicInteger maxSeen = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 20_000; i++) {
          IntakeLimiter.Permit p = l.tryAcquire(1000);
          if (p != null) {
            maxSeen.accumulateAndGet((int) l.inflightBytes(), Math::max);
            p.close();
          }
        }
      });
      th.start();
      threads.add(th);
    }
    start.countDown();
    for (Thread th : threads) {
      th.join();
    }
    assertThat(maxSeen.get()).isLessThanOrEqualTo(10_000);
    assertThat(l.inflightBytes()).isZero();
  }
}

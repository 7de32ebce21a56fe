package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AppliedPointsTest {

  private static Fingerprint fp(long hi, long lo) {
    return new Fingerprint(hi, lo);
  }

  @Test
  void remembersFingerprintsAndTheirTimesInInsertionOrder() {
    AppliedPoints a = new AppliedPoints();
    assertThat(a.isEmpty()).isTrue();
    a.put(fp(1, 2), 10);
    a.put(fp(3, 4), 20);
    a.put(fp(2, 1), 30);
    assertThat(a.size()).isEqualTo(3);
    assertThat(a.contains(fp(1, 2))).isTrue();
    assertThat(a.contains(fp(2, 1))).isTrue();
    assertThat(a.contains(fp(1, 1))).isFalse();
    assertThat(a.get(fp(3, 4))).isEqualTo(20L);
    assertThat(a.get(fp(4, 3))).isNull();
    assertThat(new long[] {a.hi(0), a.lo(0), a.at(0), a.hi(2), a.lo(2), a.at(2)}).containsExactly(1, 2, 10, 2, 1, 30);
    assertThat(a.eldestAt()).isEqualTo(10);
  }

  @Test
  void aFingerprintPutAgainKeepsItsPlaceAndTakesTheNewTime() {
    AppliedPoints a = new AppliedPoints();
    a.put(fp(1, 1), 10);
    a.put(fp(2, 2), 20);
    a.put(fp(1, 1), 30);
    assertThat(a.size()).isEqualTo(2);
    assertThat(a.hi(0)).isEqualTo(1);
    assertThat(a.at(0)).isEqualTo(30);
  }

  @Test
  void forgetRemovesTheEldestWhileTooOldOrTooMany() {
    AppliedPoints a = new AppliedPoints();
    for (int i = 0; i < 10; i++) {
      a.put(fp(i, i), i * 10L);
    }
    a.forget(35, 100); // 0, 10, 20, 30 are older than 35
    assertThat(a.size()).isEqualTo(6);
    assertThat(a.at(0)).isEqualTo(40);
    assertThat(a.contains(fp(3, 3))).isFalse();
    assertThat(a.contains(fp(4, 4))).isTrue();
    a.forget(0, 4); // too many: the two eldest go
    assertThat(a.size()).isEqualTo(4);
    assertThat(a.at(0)).isEqualTo(60);
    // Stops at the first entry that is recent enough, even if a later one is older.
    a.put(fp(100, 100), 5);
    a.forget(50, 100);
    assertThat(a.size()).isEqualTo(5);
    a.clear();
    assertThat(a.size()).isZero();
    assertThat(a.contains(fp(6, 6))).isFalse();
    a.put(fp(6, 6), 1);
    assertThat(a.contains(fp(6, 6))).isTrue();
  }

  @Test
  void collidingFingerprintsAreFoundAfterEldestRemovals() {
    // Same hash (hi ^ lo folded) for all: one long probe cluster, emptied from its start.
    AppliedPoints a = new AppliedPoints();
    for (int i = 0; i < 12; i++) {
      a.put(fp(i, i), i);
    }
    for (int i = 0; i < 12; i++) {
      assertThat(a.contains(fp(i, i))).isTrue();
    }
    for (int removed = 0; removed < 12; removed++) {
      a.removeEldest();
      for (int i = 0; i < 12; i++) {
        assertThat(a.contains(fp(i, i))).as("%d after %d removals", i, removed + 1).isEqualTo(i > removed);
      }
    }
  }

  /** Random puts, repeats and evictions against the LinkedHashMap it replaces. */
  @Test
  void behavesAsAnInsertionOrderedLinkedHashMapWithEldestFirstRemoval() {
    SplittableRandom random = new SplittableRandom(7);
    AppliedPoints a = new AppliedPoints(4);
    LinkedHashMap<Fingerprint, Long> model = new LinkedHashMap<>();
    List<Fingerprint> seen = new ArrayList<>();
    long now = 0;
    for (int step = 0; step < 200_000; step++) {
      now += random.nextInt(3);
      int op = random.nextInt(10);
      if (op < 6 || seen.isEmpty()) {
        // Few distinct hash values so that probe clusters are long, wrapping the index too.
        Fingerprint f = fp(random.nextLong(), random.nextInt(50_000));
        seen.add(f);
        a.put(f, now);
        model.put(f, now);
      } else if (op < 8) {
        Fingerprint f = seen.get(random.nextInt(seen.size()));
        assertThat(a.contains(f)).isEqualTo(model.containsKey(f));
        assertThat(a.get(f)).isEqualTo(model.get(f));
        if (random.nextBoolean()) {
          a.put(f, now);
          model.put(f, now);
        }
      } else {
        long cutoff = now - random.nextInt(2_000);
        int max = 1_000 + random.nextInt(3_000);
        a.forget(cutoff, max);
        Iterator<Map.Entry<Fingerprint, Long>> it = model.entrySet().iterator();
        while (it.hasNext()) {
          Map.Entry<Fingerprint, Long> e = it.next();
          if (e.getValue() >= cutoff && model.size() <= max) {
            break;
          }
          it.remove();
        }
      }
      assertThat(a.size()).isEqualTo(model.size());
    }
    int k = 0;
    for (Map.Entry<Fingerprint, Long> e : model.entrySet()) {
      assertThat(new long[] {a.hi(k), a.lo(k), a.at(k)})
          .containsExactly(e.getKey().hi(), e.getKey().lo(), e.getValue());
      k++;
    }
  }
}

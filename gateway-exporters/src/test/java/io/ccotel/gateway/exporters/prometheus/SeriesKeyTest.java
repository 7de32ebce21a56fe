package io.ccotel.gateway.exporters.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.snapshots.Labels;
import org.junit.jupiter.api.Test;

class SeriesKeyTest {

  @Test
  void equalNamesAndValuesMakeEqualKeysWhateverTheLabelsOrder() {
    SeriesKey a = SeriesKey.of(Labels.of("model", "opus", "type", "input"));
    SeriesKey b = SeriesKey.ofSorted(new String[] {"model", "type"}, new String[] {new String("opus"), "input"});
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.size()).isEqualTo(2);
    assertThat(a.name(0)).isEqualTo("model");
    assertThat(a.value(1)).isEqualTo("input");
    assertThat(a.toString()).isEqualTo("{model=\"opus\",type=\"input\"}");
  }

  @Test
  void anyDifferentNameOrValueMakesADifferentKey() {
    SeriesKey a = SeriesKey.ofSorted(new String[] {"a", "b"}, new String[] {"1", "2"});
    assertThat(a).isNotEqualTo(SeriesKey.ofSorted(new String[] {"a", "b"}, new String[] {"1", "3"}));
    assertThat(a).isNotEqualTo(SeriesKey.ofSorted(new String[] {"a", "c"}, new String[] {"1", "2"}));
    assertThat(a).isNotEqualTo(SeriesKey.ofSorted(new String[] {"a"}, new String[] {"1"}));
    // Same concatenation, other split: still different.
    assertThat(SeriesKey.ofSorted(new String[] {"a"}, new String[] {"xy"}))
        .isNotEqualTo(SeriesKey.ofSorted(new String[] {"ax"}, new String[] {"y"}));
    assertThat(a).isNotEqualTo(null).isNotEqualTo("a");
  }

  @Test
  void ofSortsByNameAsClientJavaDoes() {
    // Labels keeps its own order; the key is always by name (String order: upper case first).
    SeriesKey k = SeriesKey.of(Labels.of("b", "2", "a", "1", "B", "3", "a_b", "4"));
    String[] names = new String[k.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = k.name(i);
    }
    assertThat(names).containsExactly("B", "a", "a_b", "b");
    assertThat(k.value(0)).isEqualTo("3");
    assertThat((Object) k.toLabels()).isEqualTo(Labels.of("a", "1", "a_b", "4", "b", "2", "B", "3"));
  }

  @Test
  void noLabelsIsTheEmptyKeyAndClientJavasEmptyLabels() {
    assertThat(SeriesKey.of(Labels.EMPTY)).isSameAs(SeriesKey.EMPTY);
    assertThat(SeriesKey.ofSorted(new String[0], new String[0])).isSameAs(SeriesKey.EMPTY);
    assertThat((Object) SeriesKey.EMPTY.toLabels()).isSameAs(Labels.EMPTY);
    assertThat(SeriesKey.EMPTY.toString()).isEqualTo("{}");
  }

  @Test
  void toLabelsValidatesNamesAsClientJavaDoes() {
    SeriesKey bad = SeriesKey.ofSorted(new String[] {"__reserved"}, new String[] {"x"});
    assertThatThrownBy(bad::toLabels).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sortByNameIsStableAndMovesValuesAlong() {
    String[] names = {"c", "a", "b", "a"};
    String[] values = {"3", "1", "2", "1bis"};
    SeriesKey.sortByName(names, values, 4);
    assertThat(names).containsExactly("a", "a", "b", "c");
    assertThat(values).containsExactly("1", "1bis", "2", "3");
    String[] partial = {"z", "y", "x"};
    String[] partialValues = {"1", "2", "3"};
    SeriesKey.sortByName(partial, partialValues, 2);
    assertThat(partial).containsExactly("y", "z", "x");
  }
}

package io.ccotel.gateway.exporters.loki;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.exporters.Fixtures;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written JSON line writer produces exactly what Jackson's generator did. */
class LokiJsonRenderTest {
  private final Random rnd = new Random(20261125);

  private String string() {
    int n = rnd.nextInt(12);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      switch (rnd.nextInt(10)) {
        case 0 -> sb.append((char) rnd.nextInt(0x20)); // every control character
        case 1 -> sb.append("\"\\/");
        case 2 -> sb.append((char) (0x7f + rnd.nextInt(0x90)));
        case 3 -> sb.append("日本😀");
        case 4 -> sb.append(rnd.nextBoolean() ? '\ud800' : '\udc00'); // lone surrogates
        case 5 -> sb.append("\u2028\u2029");
        default -> sb.append((char) ('a' + rnd.nextInt(26)));
      }
    }
    return sb.toString();
  }

  private Object value(int depth) {
    switch (rnd.nextInt(depth > 3 ? 8 : 11)) {
      case 0:
        return string();
      case 1:
        return rnd.nextBoolean();
      case 2:
        return rnd.nextLong() >> rnd.nextInt(64);
      case 3: {
        double[] specials = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-7, 1e7,
            123456789.125, Double.MIN_VALUE, Double.MAX_VALUE, 0.1 + 0.2};
        return rnd.nextBoolean() ? specials[rnd.nextInt(specials.length)] : rnd.nextGaussian() * Math.pow(10, rnd.nextInt(40) - 20);
      }
      case 4:
        return new LokiRecordFormat.RawNumber(Integer.toString(rnd.nextInt()) + (rnd.nextBoolean() ? ".5e-3" : ""));
      case 5: {
        byte[] b = new byte[rnd.nextInt(10)];
        rnd.nextBytes(b);
        return ByteBuffer.wrap(b).asReadOnlyBuffer();
      }
      case 6:
        return null;
      case 7:
        return Integer.valueOf(rnd.nextInt()); // a foreign type: its toString, as a string
      case 8: {
        List<Object> l = new ArrayList<>();
        for (int i = rnd.nextInt(4); i > 0; i--) {
          l.add(value(depth + 1));
        }
        return l;
      }
      default: {
        Attributes.Builder b = Attributes.builder();
        for (int i = rnd.nextInt(4); i > 0; i--) {
          Object v = value(depth + 1);
          b.add(rnd.nextBoolean() ? "k" : string(), v == null ? "x" : v); // repeated keys: first wins
        }
        return b.build();
      }
    }
  }

  @Test
  void randomFieldsRenderAsJacksonDid() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    for (int i = 0; i < 3000; i++) {
      Map<String, Object> fields = new LinkedHashMap<>();
      for (int j = rnd.nextInt(8); j > 0; j--) {
        fields.put(string(), value(0));
      }
      String expected = LokiRecordFormat.renderWithJackson(fields);
      assertThat(LokiRecordFormat.render(fields)).as("#" + i).isEqualTo(expected);
      if (!expected.contains("\ud800") && !expected.contains("\udc00")) {
        mapper.readTree(expected); // and it is JSON
      }
    }
  }

  @Test
  void deepNestingIsCutAsBefore() {
    Object v = "leaf";
    for (int i = 0; i < 40; i++) {
      v = List.of(v, Attributes.of("d", (long) i));
    }
    Map<String, Object> fields = Map.of("deep", v);
    assertThat(LokiRecordFormat.render(fields)).isEqualTo(LokiRecordFormat.renderWithJackson(fields));
  }

  @Test
  void capturedEventsRenderAsJacksonDid() {
    for (String capture : List.of("http-protobuf/basic/0001-http-logs.bin", "http-protobuf/optins/0001-http-logs.bin")) {
      for (LogRecord r : Fixtures.logs(capture).records()) {
        Map<String, Object> fields = LokiRecordFormat.fields(r);
        assertThat(LokiRecordFormat.render(fields)).isEqualTo(LokiRecordFormat.renderWithJackson(fields));
      }
    }
  }
}

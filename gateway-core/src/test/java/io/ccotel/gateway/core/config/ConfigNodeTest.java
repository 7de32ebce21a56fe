package io.ccotel.gateway.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigNodeTest {
  private final ConfigNode node =
      new ConfigNode(
          "exporters.prometheus",
          Map.of(
              "size", "64MiB",
              "plain", 1024,
              "kb", "2KB",
              "wait", "250ms",
              "long", "7d",
              "flag", "false",
              "list", List.of("a", "b"),
              "endpoint", "[::1]:9464",
              "child", Map.of("x", 1)));

  @Test
  void typedValues() {
    assertThat(node.bytes("size", 0, 0, Long.MAX_VALUE)).isEqualTo(64L * 1024 * 1024);
    assertThat(node.bytes("plain", 0, 0, Long.MAX_VALUE)).isEqualTo(1024);
    assertThat(node.bytes("kb", 0, 0, Long.MAX_VALUE)).isEqualTo(2000);
    assertThat(node.duration("wait", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
    assertThat(node.duration("long", Duration.ZERO)).isEqualTo(Duration.ofDays(7));
    assertThat(node.bool("flag", true)).isFalse();
    assertThat(node.stringList("list", List.of())).containsExactly("a", "b");
    assertThat(node.hostPort("endpoint", null)).isEqualTo(HostPort.of("::1", 9464));
    assertThat(node.hostPort("missing", HostPort.of("0.0.0.0", 1))).isEqualTo(HostPort.of("0.0.0.0", 1));
    assertThat(node.child("child").path()).isEqualTo("exporters.prometheus.child");
  }

  @Test
  void errorsNameTheFullKey() {
    assertThatThrownBy(() -> node.bytes("wait", 0, 0, 10))
        .hasMessage("exporters.prometheus.wait: expected a size such as 65536, 512KiB or 64MiB, got \"250ms\"");
    assertThatThrownBy(() -> node.bytes("plain", 0, 0, 10)).hasMessage("exporters.prometheus.plain: must be between 0 and 10, got 1024");
    assertThatThrownBy(() -> node.bool("size", true)).hasMessage("exporters.prometheus.size: expected true or false, got \"64MiB\"");
    assertThatThrownBy(() -> node.stringList("size", List.of())).hasMessage("exporters.prometheus.size: expected a list such as [a, b], got \"64MiB\"");
    assertThatThrownBy(() -> node.child("list")).hasMessage("exporters.prometheus.list: expected a mapping (key: value lines), got a list");
    assertThatThrownBy(() -> node.checkKnownKeys(List.of("size")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(": unknown key; known keys here: size");
  }

  @Test
  void hostPortForms() {
    assertThat(HostPort.parse("4317")).isEqualTo(HostPort.of("0.0.0.0", 4317));
    assertThat(HostPort.parse("127.0.0.1:0")).isEqualTo(HostPort.of("127.0.0.1", 0));
    assertThat(HostPort.of("::1", 80).toString()).isEqualTo("[::1]:80");
    assertThatThrownBy(() -> HostPort.parse("host:99999")).hasMessage("port must be between 0 and 65535, got 99999");
  }
}

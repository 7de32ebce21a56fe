package io.ccotel.gateway.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ccotel.gateway.core.model.Attributes;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokensFileTest {
  private static List<TokenEntry> parse(String... lines) throws TokensFile.FormatException {
    return TokensFile.parse(List.of(lines), "tokens.txt");
  }

  @Test
  void tokensDigestsCommentsAndAttributes() throws Exception {
    List<TokenEntry> entries = parse(
        "# team tokens",
        "",
        "tok-platform-1   team.id=platform, department=Platform Engineering ,tenant=acme",
        "  sha256:" + AuthConfigTest.sha256Hex("tok-data").toUpperCase() + "\tteam.id=data",
        "tok-bare",
        "SHA256:" + AuthConfigTest.sha256Hex("tok-x") + " url=https://x.example/?a=b");
    assertThat(entries).hasSize(4);
    assertThat(entries.get(0).sha256()).isEqualTo(TokenEntry.sha256("tok-platform-1"));
    assertThat(entries.get(0).attributes())
        .isEqualTo(Attributes.of("team.id", "platform", "department", "Platform Engineering", "tenant", "acme"));
    assertThat(entries.get(0).source()).isEqualTo("tokens.txt line 3");
    assertThat(entries.get(1).sha256()).isEqualTo(TokenEntry.sha256("tok-data"));
    assertThat(entries.get(1).attributes()).isEqualTo(Attributes.of("team.id", "data"));
    assertThat(entries.get(2).attributes()).isEqualTo(Attributes.empty());
    assertThat(entries.get(3).attributes()).isEqualTo(Attributes.of("url", "https://x.example/?a=b"));
  }

  @Test
  void errorsNameTheLineButNeverQuoteIt() {
    String secret = "tok-very-secret";
    assertThatThrownBy(() -> parse("# x", secret + " team.id"))
        .isInstanceOf(TokensFile.FormatException.class)
        .hasMessage("tokens.txt line 2: expected attributes as key=value pairs separated by commas (pair 1 has no =)");
    assertThatThrownBy(() -> parse(secret + " a=1,,b=2"))
        .hasMessage("tokens.txt line 1: expected attributes as key=value pairs separated by commas (pair 2 has no =)");
    assertThatThrownBy(() -> parse(secret + " a=1, a=2"))
        .hasMessage("tokens.txt line 1: attribute a is given twice");
    assertThatThrownBy(() -> parse(secret + " a="))
        .hasMessage("tokens.txt line 1: an attribute key or value is empty (pair 1)");
    assertThatThrownBy(() -> parse("sha256:1234 a=b"))
        .hasMessage("tokens.txt line 1: expected a SHA-256 digest of 64 hex digits, got 4 characters");
    assertThatThrownBy(() -> parse(secret + " a=b", "# dup", "sha256:" + AuthConfigTest.sha256Hex(secret)))
        .hasMessageStartingWith("tokens.txt line 3: the same token as line 1 (sha256 ")
        .hasMessageNotContaining(secret);
  }
}

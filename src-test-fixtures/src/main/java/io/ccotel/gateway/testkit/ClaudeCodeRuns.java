package io.ccotel.gateway.testkit;

import java.util.List;
import java.util.Map;

/**
 * What each captured run must produce, worked out from the fixtures' README and decoded files (not
 * from the gateway). Every complete run is the same 7-call scenario: tokens input 1008, output 393,
 * cacheRead 98252, cacheCreation 16828, cost 0.11568240000000002 USD, 3 lines added, 1 removed, one
 * commit, one pull request, two code-edit decisions, one session. Only active time, user.id and the
 * opt-in labels differ from run to run.
 */
public final class ClaudeCodeRuns {
  private ClaudeCodeRuns() {}

  /**
   * @param folder run folder under the fixtures root
   * @param userId the run's user.id (a fresh HOME per run)
   * @param activeTimeSeconds the run's claude_code.active_time.total (type=cli)
   * @param logRecords events in the run
   * @param spans spans in the run (traces beta on)
   * @param teamLabels OTEL_RESOURCE_ATTRIBUTES=department=engineering,team.id=platform,cost_center=eng-123
   */
  public record Run(
      String folder, String userId, double activeTimeSeconds, int logRecords, int spans, boolean teamLabels) {
    public String protocol() {
      return folder.substring(0, folder.indexOf('/'));
    }

    @Override
    public String toString() {
      return folder;
    }
  }

  public static final List<Run> COMPLETE_RUNS =
      List.of(
          new Run("http-protobuf/basic", "9b453e4659fc933008e8f3096895033dc8fc9d9956f91da836f36e3103012180", 0.776, 30, 0, false),
          new Run("http-protobuf/optins", "cda59a19fcb62ecab1460b0515e55e4e3a4b4a4d85ea03760ca1d26768b147c5", 0.806, 30, 0, true),
          new Run("http-protobuf/gzip", "49f1887df34d75bc4de8e5b82a76f8632f61167253173c8046800e8ec098729e", 0.803, 30, 0, false),
          new Run("http-protobuf/traces", "f1c926b63c951bafc17f576cc7b85d5f87f9373c3b98ec3e92c2044412a87906", 0.772, 30, 25, false),
          new Run("http-protobuf/cadence-delta", "00b24a9bd2e76b2ef60767441b7beedfa107ce2541ac1344f41eb2f693722726", 11.336, 31, 0, false),
          new Run("http-protobuf/cumulative", "e631d130bfe86be55df6104b0a43ea9dfaf59072441fdccc99cbb3aad471f8a7", 11.282, 31, 0, false),
          new Run("http-json/basic", "dcb6478ff0db05eb3703fdbb0582ef8a3c4ae0401c9eeaaf8a452af780f497d9", 0.77, 30, 0, false),
          new Run("http-json/optins", "51f74d3cda4033ea7c1cc6a0f14b17ec2462bfee2cadea8023b20036efe42027", 0.836, 30, 0, true),
          new Run("http-json/gzip", "ce5e4d7a7667c2ab0c0cf8380c6cae69f4540c49ff031aca5075bfb4190ae3fd", 0.751, 30, 0, false),
          new Run("http-json/traces", "76851764e0e17d8a1f9238853f6adda0a96cf2bb2705c515c804001778f64a4f", 0.797, 30, 25, false),
          new Run("http-json/extras", "25b2adb49ba01b87639f0c36eaff11f070183441ec3219faa3e71a129ee31706", 0.942, 30, 25, false),
          new Run("grpc/basic", "515e3b1c7fac20717a67240509e9303a290bd2ec146914b82b7b880ac880dbf5", 0.792, 30, 0, false),
          new Run("grpc/optins", "00780e24ef0eb2e9c193a491a63b74da54a6c27eb2c3b3fd20b14a3ae582a7da", 1.126, 30, 0, true),
          new Run("grpc/gzip", "853fa2a961fe41c9412f5043fa78ec1eb7d329cb4d3af6bf00eae0e69c48884e", 1.095, 30, 0, false),
          new Run("grpc/traces", "a635b1eb37962689f589847227480c316c8f9a365fd9644153a47fb01a57b971", 0.953, 30, 25, false));

  /** Prometheus series (name, distinguishing labels) and the total every complete run yields. */
  public static final List<Expected> TOTALS =
      List.of(
          new Expected("claude_code_token_usage_tokens_total", Map.of("type", "input"), 1008),
          new Expected("claude_code_token_usage_tokens_total", Map.of("type", "output"), 393),
          new Expected("claude_code_token_usage_tokens_total", Map.of("type", "cacheRead"), 98252),
          new Expected("claude_code_token_usage_tokens_total", Map.of("type", "cacheCreation"), 16828),
          new Expected("claude_code_cost_usage_USD_total", Map.of("model", "claude-opus-5-5"), 0.11568240000000002),
          new Expected("claude_code_lines_of_code_count_total", Map.of("type", "added"), 3),
          new Expected("claude_code_lines_of_code_count_total", Map.of("type", "removed"), 1),
          new Expected("claude_code_commit_count_total", Map.of(), 1),
          new Expected("claude_code_pull_request_count_total", Map.of(), 1),
          new Expected("claude_code_session_count_total", Map.of("start_type", "fresh"), 1),
          new Expected("claude_code_code_edit_tool_decision_total", Map.of("tool_name", "Edit", "decision", "accept"), 1),
          new Expected("claude_code_code_edit_tool_decision_total", Map.of("tool_name", "Write", "decision", "reject"), 1));

  public record Expected(String name, Map<String, String> labels, double value) {}

  /** The labels every Claude Code point carries after the default label policy. */
  public static Map<String, String> standardLabels(Run run) {
    return Map.of(
        "user_id", run.userId(),
        "anthropic_provider", "firstParty",
        "anthropic_custom_base_url", "true",
        "terminal_type", "dumb");
  }

  public static final Map<String, String> TEAM_LABELS =
      Map.of("department", "engineering", "team_id", "platform", "cost_center", "eng-123");

  public static List<Run> runs(String... protocols) {
    return COMPLETE_RUNS.stream().filter(r -> List.of(protocols).contains(r.protocol())).toList();
  }
}

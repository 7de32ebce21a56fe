package io.ccotel.gateway.bench;

import java.util.concurrent.CompletableFuture;

/** Sends one pre-encoded OTLP export request to a running gateway. Thread-safe. */
interface Sender extends AutoCloseable {
  /**
   * What became of one request.
   *
   * @param error empty when the gateway answered success (possibly partial); else its kind:
   *     {@code http_503}, {@code grpc_UNAVAILABLE}, {@code io_ConnectException}, ...
   * @param rejected items the gateway refused in a partial-success answer
   */
  /** Prefix of an error outcome's message when the answer carried a retry hint (Retry-After, RetryInfo). */
  String RETRY_HINT = "retry hint: ";

  record Outcome(String error, long rejected, String message) {
    static final Outcome OK = new Outcome("", 0, "");

    Outcome(String error, long rejected) {
      this(error, rejected, "");
    }

    boolean ok() {
      return error.isEmpty();
    }

    boolean retryHint() {
      return message.startsWith(RETRY_HINT);
    }
  }

  /** Never completes exceptionally: failures are outcomes. */
  CompletableFuture<Outcome> send(Workload.Payload payload);

  @Override
  void close();

  static String ioKind(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return "io_" + c.getClass().getSimpleName();
  }
}

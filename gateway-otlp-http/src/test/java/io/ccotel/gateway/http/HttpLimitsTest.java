package io.ccotel.gateway.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ccotel.gateway.core.config.HostPort;
import io.ccotel.gateway.core.pipeline.ReceiverSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** max_connections and read_timeout over real sockets. */
class HttpLimitsTest {
  private final TestSupport.Metrics metrics = new TestSupport.Metrics();
  private final TestSupport.RecordingConsumer consumer = new TestSupport.RecordingConsumer();
  private OtlpHttpReceiver receiver;

  @AfterEach
  void stop() {
    if (receiver != null) {
      receiver.shutdown(Duration.ofSeconds(5));
    }
  }

  private void start(int maxConnections, Duration readTimeout) throws Exception {
    receiver = OtlpHttpReceiver.create(
        new ReceiverSettings(metrics.gateway, Clock.systemUTC()),
        OtlpHttpReceiverConfig.defaults()
            .withEndpoint(HostPort.of("127.0.0.1", 0))
            .withConnectionLimits(maxConnections, readTimeout),
        consumer);
    receiver.start();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", receiver.boundAddress().getPort());
    s.setSoTimeout(5000);
    return s;
  }

  private static final byte[] REQUEST =
      ("POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
          .getBytes(ISO_8859_1);

  /** Sends one request and reads its answer's status line; the connection stays open. */
  private static String exchange(Socket s) throws IOException {
    s.getOutputStream().write(REQUEST);
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head);
      }
      head.append((char) b);
    }
    int n = Integer.parseInt(head.toString().replaceAll("(?s).*content-length: (\\d+).*", "$1"));
    in.readNBytes(n);
    return head.substring(0, head.indexOf("\r\n"));
  }

  private static boolean closedByServer(Socket s) throws IOException {
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
    start(2, Duration.ofSeconds(30));
    try (Socket a = connect(); Socket b = connect()) {
      assertThat(exchange(a)).isEqualTo("HTTP/1.1 200 OK");
      assertThat(exchange(b)).isEqualTo("HTTP/1.1 200 OK");
      try (Socket c = connect()) {
        assertThat(closedByServer(c)).isTrue();
      }
      assertThat(metrics.closed("max_connections")).isEqualTo(1);
      // The two admitted connections still work.
      assertThat(exchange(a)).isEqualTo("HTTP/1.1 200 OK");
      a.close();
      // Once one is gone, a new one is admitted.
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        try (Socket d = connect()) {
          assertThat(exchange(d)).isEqualTo("HTTP/1.1 200 OK");
        }
      });
      assertThat(exchange(b)).isEqualTo("HTTP/1.1 200 OK");
    }
  }

  @Test
  void aSlowlorisClientIsCutOff() throws Exception {
    start(0, Duration.ofMillis(300));
    long start = System.nanoTime();
    try (Socket s = connect()) {
      OutputStream out = s.getOutputStream();
      boolean cut = false;
      // A byte every 50 ms: the whole request would take about 5 s.
      for (int i = 0; i < REQUEST.length && !cut; i++) {
        try {
          out.write(REQUEST[i]);
          out.flush();
        } catch (IOException e) {
          cut = true;
        }
        Thread.sleep(50);
        if (s.getInputStream().available() == 0 && i % 5 == 4) {
          s.setSoTimeout(1);
          cut = closedByServer(s);
          s.setSoTimeout(5000);
        }
      }
      assertThat(cut).as("closed by the server").isTrue();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(metrics.closed("read_timeout")).isEqualTo(1);
    assertThat(consumer.batches).isEmpty();
  }

  @Test
  void aKeepAliveConnectionMayIdleLongerThanTheReadTimeout() throws Exception {
    start(0, Duration.ofMillis(200));
    try (Socket s = connect()) {
      assertThat(exchange(s)).isEqualTo("HTTP/1.1 200 OK");
      Thread.sleep(500);
      assertThat(exchange(s)).isEqualTo("HTTP/1.1 200 OK");
    }
    assertThat(metrics.closed("read_timeout")).isZero();
  }
}

package io.ccotel.gateway.http.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ccotel.gateway.http.OtlpDecodeException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Fuzzes the HTTP receiver's bounded decompression ({@code ContentCoding.decompress}, package-private
 * in {@code io.ccotel.gateway.http}; reached by reflection so that this test stays in the fuzz
 * package) for gzip and deflate with a small cap (64 KiB). Documented outcomes only: a buffer of at
 * most the cap, {@code ContentCoding.TooLargeException}, or {@link OtlpDecodeException}. Anything
 * else (an unchecked exception, an OutOfMemoryError, an output larger than the cap, a leaked
 * buffer) is a finding.
 *
 * <p>In a normal build (no {@code JAZZER_FUZZ}) each method replays only its seed corpus in
 * {@code src/test/resources/io/ccotel/gateway/http/fuzz/GzipDecompressionFuzzTestInputs/<method>/}
 * (captured gzip bodies of the CLI). A long run (fuzzing mode takes one fuzz test at a time):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-otlp-http test -Dtest=GzipDecompressionFuzzTest#gzip -Djazzer.max_duration=10m
 * JAZZER_FUZZ=1 mvn -B -o -pl gateway-otlp-http test -Dtest=GzipDecompressionFuzzTest#deflate -Djazzer.max_duration=10m
 * </pre>
 */
class GzipDecompressionFuzzTest {
  private static final long CAP = 64 * 1024;
  private static final Class<?> CODING;
  private static final Method DECOMPRESS;

  static {
    try {
      CODING = Class.forName("io.ccotel.gateway.http.ContentCoding");
      DECOMPRESS = CODING.getDeclaredMethod(
          "decompress", io.netty.buffer.ByteBufAllocator.class, ByteBuf.class, long.class);
      DECOMPRESS.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void gzip(byte[] data) throws Throwable {
    run("GZIP", data);
  }

  @FuzzTest(maxDuration = "30s")
  void deflate(byte[] data) throws Throwable {
    run("DEFLATE", data);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void run(String coding, byte[] data) throws Throwable {
    Object c = Enum.valueOf((Class) CODING, coding);
    ByteBuf in = Unpooled.wrappedBuffer(data);
    int readerIndex = in.readerIndex();
    ByteBuf out;
    try {
      out = (ByteBuf) DECOMPRESS.invoke(c, UnpooledByteBufAllocator.DEFAULT, in, CAP);
    } catch (InvocationTargetException e) {
      Throwable t = e.getCause();
      if (t instanceof OtlpDecodeException || t.getClass().getName().endsWith("ContentCoding$TooLargeException")) {
        return;
      }
      throw t;
    } finally {
      if (in.readerIndex() != readerIndex) {
        throw new AssertionError("decompress consumed its input");
      }
      in.release();
    }
    try {
      if (out.readableBytes() > CAP) {
        throw new AssertionError("decompressed " + out.readableBytes() + " bytes, over the cap " + CAP);
      }
    } finally {
      out.release();
    }
  }
}

package io.ccotel.gateway.grpc;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A request message as it came off the wire (decompressed), or why it could not be read.
 *
 * <p>Why not the generated protobuf marshaller: grpc-java runs a request marshaller outside the
 * service, and whatever it throws (a protobuf parse error, or grpc's own RESOURCE_EXHAUSTED for a
 * gzip message that inflates beyond the limit, which is only found while reading) reaches the
 * client as {@code UNKNOWN: Application error processing RPC}. Reading the bytes here without ever
 * throwing, and parsing them in the service, lets the receiver answer INVALID_ARGUMENT or
 * RESOURCE_EXHAUSTED as the OTLP specification asks.
 */
record RawRequest(byte[] bytes, Status failure) {
  private static final byte[] NONE = new byte[0];

  static RawRequest of(byte[] bytes) {
    return new RawRequest(bytes, null);
  }

  static RawRequest failed(Status failure) {
    return new RawRequest(NONE, failure);
  }

  boolean ok() {
    return failure == null;
  }

  /** Reads a request fully; never throws. Thread-safe and stateless. */
  static final class Marshaller implements MethodDescriptor.Marshaller<RawRequest> {
    static final Marshaller INSTANCE = new Marshaller();

    private Marshaller() {}

    /** Only a client serializes requests; kept for completeness (tests send raw bytes with it). */
    @Override
    public InputStream stream(RawRequest value) {
      return new ByteArrayInputStream(value.bytes());
    }

    @Override
    public RawRequest parse(InputStream stream) {
      try {
        return of(readAll(stream));
      } catch (StatusRuntimeException e) {
        // grpc-java's decompressed-size check (RESOURCE_EXHAUSTED) fires while we read.
        return failed(e.getStatus());
      } catch (IOException e) {
        return failed(
            Status.INVALID_ARGUMENT
                .withDescription("the compressed request message could not be decompressed: " + e.getMessage())
                .withCause(e));
      }
    }

    private static byte[] readAll(InputStream stream) throws IOException {
      if (stream instanceof KnownLength) {
        // An uncompressed message: its length is known, so read it without growing buffers.
        byte[] head = stream.readNBytes(stream.available());
        byte[] rest = stream.readAllBytes();
        if (rest.length == 0) {
          return head;
        }
        byte[] joined = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, joined, head.length, rest.length);
        return joined;
      }
      return stream.readAllBytes();
    }
  }
}

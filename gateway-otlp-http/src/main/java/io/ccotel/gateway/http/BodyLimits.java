package io.ccotel.gateway.http;

import java.util.Locale;

/**
 * The two body caps and the 413 messages that name them, so that an operator knows which key to
 * raise.
 */
record BodyLimits(long maxBodyBytes, long maxCompressedBodyBytes) {
  static final String BODY_KEY = "receivers.otlp_http.max_body_bytes";
  static final String COMPRESSED_KEY = "receivers.otlp_http.max_compressed_body_bytes";

  static BodyLimits of(OtlpHttpReceiverConfig config) {
    return new BodyLimits(config.maxBodyBytes(), config.maxCompressedBodyBytes());
  }

  /** What HttpObjectAggregator may gather: the body as sent. */
  int aggregatorLimit() {
    return (int) maxCompressedBodyBytes;
  }

  /** The cap on a body as sent: an uncompressed body must also fit the decompressed cap. */
  long sentLimit(ContentCoding coding) {
    return coding == ContentCoding.IDENTITY
        ? Math.min(maxBodyBytes, maxCompressedBodyBytes)
        : maxCompressedBodyBytes;
  }

  /**
   * The message for a body that is too large as sent.
   *
   * @param size the Content-Length, or -1 when not known (chunked)
   * @param coding the Content-Encoding; null when not supported (counts as compressed)
   */
  String tooLargeAsSent(long size, ContentCoding coding) {
    String ofSize = size >= 0 ? " of " + size + " bytes" : "";
    if (coding != null && coding != ContentCoding.IDENTITY) {
      return "the compressed request body" + ofSize + " is larger than the limit of "
          + maxCompressedBodyBytes + " bytes; raise " + COMPRESSED_KEY + " to accept it";
    }
    long limit = sentLimit(ContentCoding.IDENTITY);
    boolean bodyKey = size >= 0 ? size > maxBodyBytes : maxBodyBytes == limit;
    boolean compressedKey = size >= 0 ? size > maxCompressedBodyBytes : maxCompressedBodyBytes == limit;
    String keys =
        bodyKey && compressedKey
            ? BODY_KEY + " and " + COMPRESSED_KEY
            : bodyKey ? BODY_KEY : COMPRESSED_KEY;
    return "the request body" + ofSize + " is larger than the limit of " + limit + " bytes; raise "
        + keys + " to accept it";
  }

  /** The message for a body that decompresses to more than the cap. */
  String tooLargeDecompressed(ContentCoding coding) {
    return "the request body is larger than the limit of " + maxBodyBytes + " bytes after "
        + coding.name().toLowerCase(Locale.ROOT) + " decompression; raise " + BODY_KEY
        + " to accept it";
  }
}

package io.ccotel.gateway.http;

import java.util.Locale;

/** The two OTLP/HTTP encodings, chosen by the request's Content-Type. */
enum BodyFormat {
  PROTOBUF("application/x-protobuf"),
  JSON("application/json");

  static final String ACCEPTED =
      "application/x-protobuf (or application/protobuf) and application/json (UTF-8)";

  private final String contentType;

  BodyFormat(String contentType) {
    this.contentType = contentType;
  }

  /** The Content-Type of answers in this format. */
  String contentType() {
    return contentType;
  }

  /** The format of a request body, or null when the Content-Type is missing or not supported. */
  static BodyFormat forRequest(String contentTypeHeader) {
    if (contentTypeHeader == null) {
      return null;
    }
    String media = mediaType(contentTypeHeader);
    switch (media) {
      case "application/x-protobuf", "application/protobuf" -> {
        return PROTOBUF;
      }
      case "application/json" -> {
        // OTLP/JSON is UTF-8; a request that declares another charset would be misread.
        String charset = charset(contentTypeHeader);
        return charset == null || charset.equals("utf-8") || charset.equals("utf8") ? JSON : null;
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * The format of error answers: JSON when the request said JSON (whatever its charset), else
   * protobuf (also for a missing or unknown Content-Type).
   */
  static BodyFormat forErrors(String contentTypeHeader) {
    return contentTypeHeader != null && mediaType(contentTypeHeader).equals("application/json") ? JSON : PROTOBUF;
  }

  private static String mediaType(String header) {
    int semi = header.indexOf(';');
    return (semi < 0 ? header : header.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  private static String charset(String header) {
    String[] parts = header.split(";");
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim();
      int eq = param.indexOf('=');
      if (eq > 0 && param.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        String v = param.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        return v.toLowerCase(Locale.ROOT);
      }
    }
    return null;
  }
}

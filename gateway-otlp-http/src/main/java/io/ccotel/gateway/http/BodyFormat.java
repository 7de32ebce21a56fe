package io.ccotel.gateway.http;

import java.util.Locale;

/** The two OTLP/HTTP encodings, chosen by the request's Content-Type. */
enum BodyFormat {
  PROTOBUF("application/x-protobuf"),
  JSON("application/json"),
  /** Error answers to requests that are neither protobuf nor JSON (curl, browsers, typos). */
  TEXT("text/plain; charset=utf-8");

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
   * The format of error answers: the OTLP encoding of the request (JSON when it said JSON, whatever
   * its charset; protobuf when it said protobuf), else plain text, so that a person with curl or a
   * browser reads the reason instead of protobuf bytes.
   */
  static BodyFormat forErrors(String contentTypeHeader) {
    if (contentTypeHeader == null) {
      return TEXT;
    }
    String media = mediaType(contentTypeHeader);
    if (media.equals("application/json")) {
      return JSON;
    }
    if (media.equals("application/x-protobuf") || media.equals("application/protobuf")) {
      return PROTOBUF;
    }
    return TEXT;
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

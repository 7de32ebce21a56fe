package io.ccotel.gateway.core.otlp;

import com.google.protobuf.CodedOutputStream;
import io.ccotel.gateway.core.model.Attributes;
import io.ccotel.gateway.core.model.DataPoint;
import io.ccotel.gateway.core.model.ExponentialHistogramPoint;
import io.ccotel.gateway.core.model.HistogramPoint;
import io.ccotel.gateway.core.model.LogRecord;
import io.ccotel.gateway.core.model.LogsBatch;
import io.ccotel.gateway.core.model.Metric;
import io.ccotel.gateway.core.model.MetricsBatch;
import io.ccotel.gateway.core.model.NumberPoint;
import io.ccotel.gateway.core.model.Resource;
import io.ccotel.gateway.core.model.Scope;
import io.ccotel.gateway.core.model.Span;
import io.ccotel.gateway.core.model.SummaryPoint;
import io.ccotel.gateway.core.model.Temporality;
import io.ccotel.gateway.core.model.TracesBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Writes the OTLP export requests straight from the internal model, without building the protobuf
 * message objects: the bytes are those of {@code OtlpModelToProto.metrics(b).toByteArray()} (and
 * logs, traces), same fields, same order, same normalisation (see {@link OtlpModelToProto}), but
 * produced with a {@link CodedOutputStream} over one exact-size array. The durable log's codec
 * encodes every accepted batch this way.
 *
 * <p>Two passes over the batch: the first computes the length of every nested message (pre-order,
 * into an int array), the second writes, taking the lengths in the same order. Items are grouped
 * into {@code Resource*} / {@code Scope*} messages by runs of equal resource and scope, as {@link
 * OtlpModelToProto} does.
 *
 * <p>Trace and span ids must be hex (any case); an id that is not is an {@link
 * IllegalArgumentException}, thrown before anything is written.
 *
 * <p>Stateless and thread-safe (each call uses its own encoder; a per-thread scratch array is
 * reused for the lengths).
 */
public final class OtlpDirectEncoder {
  private static final int LEN = 2;

  /** Scratch arrays above this many slots are not kept for the thread's next call. */
  private static final int MAX_KEPT_SLOTS = 1 << 16;
  private static final ThreadLocal<int[]> SCRATCH = ThreadLocal.withInitial(() -> new int[1024]);

  /** What the passes need of one item kind (metric, log record, span). */
  private interface Items<T> {
    Resource resource(T item);

    Scope scope(T item);

    int size(T item);

    void write(T item) throws IOException;
  }

  /** Thrown when the write pass does not match the size pass (a value changed between them). */
  public static final class InconsistentSizeException extends IllegalStateException {
    InconsistentSizeException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private int[] sizes;
  private int reserved;
  private int cursor;
  private CodedOutputStream out;

  private OtlpDirectEncoder(int[] scratch) {
    this.sizes = scratch;
  }

  /** {@code ExportMetricsServiceRequest} bytes of the batch. */
  public static byte[] metrics(MetricsBatch batch) {
    return metrics(batch, 0);
  }

  /** {@code ExportLogsServiceRequest} bytes of the batch. */
  public static byte[] logs(LogsBatch batch) {
    return logs(batch, 0);
  }

  /** {@code ExportTraceServiceRequest} bytes of the batch. */
  public static byte[] traces(TracesBatch batch) {
    return traces(batch, 0);
  }

  /** As {@link #metrics(MetricsBatch)}, after {@code headerBytes} zero bytes left for the caller. */
  public static byte[] metrics(MetricsBatch batch, int headerBytes) {
    return encode(batch.metrics(), headerBytes, e -> e.new MetricItems());
  }

  /** As {@link #logs(LogsBatch)}, after {@code headerBytes} zero bytes left for the caller. */
  public static byte[] logs(LogsBatch batch, int headerBytes) {
    return encode(batch.records(), headerBytes, e -> e.new LogItems());
  }

  /** As {@link #traces(TracesBatch)}, after {@code headerBytes} zero bytes left for the caller. */
  public static byte[] traces(TracesBatch batch, int headerBytes) {
    return encode(batch.spans(), headerBytes, e -> e.new SpanItems());
  }

  private interface ItemsFactory<T> {
    Items<T> of(OtlpDirectEncoder encoder);
  }

  private static <T> byte[] encode(List<T> items, int headerBytes, ItemsFactory<T> kind) {
    if (headerBytes < 0) {
      throw new IllegalArgumentException("headerBytes < 0");
    }
    int[] scratch = SCRATCH.get();
    OtlpDirectEncoder e = new OtlpDirectEncoder(scratch);
    Items<T> k = kind.of(e);
    byte[] marks = Runs.marks(items, k::resource, k::scope);
    int size = e.sizeRequest(items, marks, k);
    byte[] bytes = new byte[headerBytes + size];
    e.out = CodedOutputStream.newInstance(bytes, headerBytes, size);
    try {
      e.writeRequest(items, marks, k);
      e.out.checkNoSpaceLeft();
    } catch (IOException | IllegalStateException | IndexOutOfBoundsException ex) {
      throw new InconsistentSizeException("the batch changed while it was encoded", ex);
    } finally {
      if (e.sizes != scratch && e.sizes.length <= MAX_KEPT_SLOTS) {
        SCRATCH.set(e.sizes);
      }
    }
    if (e.cursor != e.reserved) {
      throw new InconsistentSizeException("the batch changed while it was encoded", null);
    }
    return bytes;
  }

  // --- lengths ------------------------------------------------------------------------------------

  private int reserve() {
    if (reserved == sizes.length) {
      sizes = Arrays.copyOf(sizes, sizes.length * 2);
    }
    return reserved++;
  }

  /** Bytes of a length-delimited field with a one-byte tag (every field number here is below 16). */
  private static int lenField(int len) {
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(len) + len;
  }

  private static int stringField(String s) {
    return s.isEmpty() ? 0 : 1 + CodedOutputStream.computeStringSizeNoTag(s);
  }

  private static int fixed64Field(long v) {
    return v == 0 ? 0 : 9;
  }

  private static int doubleField(double v) {
    return Double.doubleToRawLongBits(v) == 0 ? 0 : 9;
  }

  private static int optionalDoubleField(double v) {
    return Double.isNaN(v) ? 0 : 9;
  }

  private static int uint32Field(int v) {
    return v == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(v);
  }

  private static int enumField(int v) {
    return v == 0 ? 0 : 1 + CodedOutputStream.computeEnumSizeNoTag(v);
  }

  private static int temporality(Temporality t) {
    return switch (t) {
      case DELTA -> 1;
      case CUMULATIVE -> 2;
      case UNSPECIFIED -> 0;
    };
  }

  private <T> int sizeRequest(List<T> items, byte[] marks, Items<T> k) {
    int total = 0;
    int count = items.size();
    int i = 0;
    while (i < count) {
      int rSlot = reserve();
      Resource r = k.resource(items.get(i));
      int rLen = lenField(sizeResource(r));
      do {
        int sSlot = reserve();
        int sLen = lenField(sizeScope(k.scope(items.get(i))));
        do {
          sLen += lenField(k.size(items.get(i)));
          i++;
        } while (i < count && marks[i] == Runs.SAME);
        sizes[sSlot] = sLen;
        rLen += lenField(sLen);
      } while (i < count && marks[i] == Runs.NEW_SCOPE);
      rLen += stringField(r.schemaUrl());
      sizes[rSlot] = rLen;
      total += lenField(rLen);
    }
    return total;
  }

  private int sizeResource(Resource r) {
    int slot = reserve();
    int len = sizeAttributes(r.attributes());
    sizes[slot] = len;
    return len;
  }

  private int sizeScope(Scope s) {
    int slot = reserve();
    int len = stringField(s.name()) + stringField(s.version()) + sizeAttributes(s.attributes());
    sizes[slot] = len;
    return len;
  }

  /** The bytes of the attributes as one repeated KeyValue field (one-byte tag). */
  private int sizeAttributes(Attributes a) {
    int total = 0;
    for (int i = 0, n = a.size(); i < n; i++) {
      int slot = reserve();
      int len = stringField(a.key(i)) + lenField(sizeAnyValue(a.value(i)));
      sizes[slot] = len;
      total += lenField(len);
    }
    return total;
  }

  private int sizeAnyValue(Object v) {
    int slot = reserve();
    int len;
    if (v instanceof String s) {
      len = 1 + CodedOutputStream.computeStringSizeNoTag(s);
    } else if (v instanceof Boolean) {
      len = 2;
    } else if (v instanceof Long l) {
      len = 1 + CodedOutputStream.computeInt64SizeNoTag(l);
    } else if (v instanceof Double) {
      len = 9;
    } else if (v instanceof ByteBuffer bb) {
      len = lenField(bb.remaining());
    } else if (v instanceof List<?> list) {
      int aSlot = reserve();
      int aLen = 0;
      for (Object e : list) {
        if (e != null) {
          aLen += lenField(sizeAnyValue(e));
        }
      }
      sizes[aSlot] = aLen;
      len = lenField(aLen);
    } else if (v instanceof Attributes kv) {
      int kSlot = reserve();
      int kLen = sizeAttributes(kv);
      sizes[kSlot] = kLen;
      len = lenField(kLen);
    } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      len = 1 + CodedOutputStream.computeInt64SizeNoTag(((Number) v).longValue());
    } else if (v instanceof Float) {
      len = 9;
    } else if (v != null) {
      len = 1 + CodedOutputStream.computeStringSizeNoTag(v.toString());
    } else {
      len = 0;
    }
    sizes[slot] = len;
    return len;
  }

  /** Bytes of a hex id as a bytes field (0 when empty); refuses what is not hex. */
  private static int idField(String hex) {
    if (hex.isEmpty()) {
      return 0;
    }
    int n = hex.length();
    if ((n & 1) != 0) {
      throw new IllegalArgumentException("not a hex id (odd length): " + hex);
    }
    for (int i = 0; i < n; i++) {
      if (hexDigit(hex.charAt(i)) < 0) {
        throw new IllegalArgumentException("not a hex id: " + hex);
      }
    }
    return lenField(n / 2);
  }

  /** 0-15 for an ASCII hex digit (either case, as HexFormat takes them), else -1. */
  private static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  // --- writing ------------------------------------------------------------------------------------

  private void header(int field) throws IOException {
    out.writeTag(field, LEN);
    out.writeUInt32NoTag(sizes[cursor++]);
  }

  private void string(int field, String s) throws IOException {
    if (!s.isEmpty()) {
      out.writeString(field, s);
    }
  }

  private void fixed64(int field, long v) throws IOException {
    if (v != 0) {
      out.writeFixed64(field, v);
    }
  }

  private void doubleValue(int field, double v) throws IOException {
    if (Double.doubleToRawLongBits(v) != 0) {
      out.writeDouble(field, v);
    }
  }

  private void optionalDouble(int field, double v) throws IOException {
    if (!Double.isNaN(v)) {
      out.writeDouble(field, v);
    }
  }

  private void uint32(int field, int v) throws IOException {
    if (v != 0) {
      out.writeUInt32(field, v);
    }
  }

  private void enumValue(int field, int v) throws IOException {
    if (v != 0) {
      out.writeEnum(field, v);
    }
  }

  private void id(int field, String hex) throws IOException {
    if (hex.isEmpty()) {
      return;
    }
    int n = hex.length();
    out.writeTag(field, LEN);
    out.writeUInt32NoTag(n / 2);
    for (int i = 0; i < n; i += 2) {
      out.write((byte) ((hexDigit(hex.charAt(i)) << 4) | hexDigit(hex.charAt(i + 1))));
    }
  }

  private <T> void writeRequest(List<T> items, byte[] marks, Items<T> k) throws IOException {
    int count = items.size();
    int i = 0;
    while (i < count) {
      header(1);
      Resource r = k.resource(items.get(i));
      header(1);
      writeAttributes(1, r.attributes());
      do {
        header(2);
        Scope s = k.scope(items.get(i));
        header(1);
        string(1, s.name());
        string(2, s.version());
        writeAttributes(3, s.attributes());
        do {
          k.write(items.get(i));
          i++;
        } while (i < count && marks[i] == Runs.SAME);
      } while (i < count && marks[i] == Runs.NEW_SCOPE);
      string(3, r.schemaUrl());
    }
  }

  private void writeAttributes(int field, Attributes a) throws IOException {
    for (int i = 0, n = a.size(); i < n; i++) {
      header(field);
      string(1, a.key(i));
      writeAnyValue(2, a.value(i));
    }
  }

  private void writeAnyValue(int field, Object v) throws IOException {
    header(field);
    if (v instanceof String s) {
      out.writeString(1, s);
    } else if (v instanceof Boolean b) {
      out.writeBool(2, b);
    } else if (v instanceof Long l) {
      out.writeInt64(3, l);
    } else if (v instanceof Double d) {
      out.writeDouble(4, d);
    } else if (v instanceof ByteBuffer bb) {
      ByteBuffer dup = bb.duplicate();
      out.writeTag(7, LEN);
      out.writeUInt32NoTag(dup.remaining());
      out.write(dup);
    } else if (v instanceof List<?> list) {
      header(5);
      for (Object e : list) {
        if (e != null) {
          writeAnyValue(1, e);
        }
      }
    } else if (v instanceof Attributes kv) {
      header(6);
      writeAttributes(1, kv);
    } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      out.writeInt64(3, ((Number) v).longValue());
    } else if (v instanceof Float f) {
      out.writeDouble(4, f);
    } else if (v != null) {
      out.writeString(1, v.toString());
    }
  }

  // --- metrics ------------------------------------------------------------------------------------

  private final class MetricItems implements Items<Metric> {
    @Override
    public Resource resource(Metric m) {
      return m.resource();
    }

    @Override
    public Scope scope(Metric m) {
      return m.scope();
    }

    @Override
    public int size(Metric m) {
      int slot = reserve();
      int len = stringField(m.name()) + stringField(m.description()) + stringField(m.unit());
      // The data case is always set, even with no points (see OtlpModelToProto).
      int dSlot = reserve();
      int dLen = 0;
      List<? extends DataPoint> points = m.points();
      switch (m.kind()) {
        case GAUGE -> {
          for (DataPoint p : points) {
            dLen += lenField(sizeNumber((NumberPoint) p));
          }
        }
        case SUM -> {
          for (DataPoint p : points) {
            dLen += lenField(sizeNumber((NumberPoint) p));
          }
          dLen += enumField(temporality(m.temporality())) + (m.monotonic() ? 2 : 0);
        }
        case HISTOGRAM -> {
          for (DataPoint p : points) {
            dLen += lenField(sizeHistogram((HistogramPoint) p));
          }
          dLen += enumField(temporality(m.temporality()));
        }
        case EXPONENTIAL_HISTOGRAM -> {
          for (DataPoint p : points) {
            dLen += lenField(sizeExponential((ExponentialHistogramPoint) p));
          }
          dLen += enumField(temporality(m.temporality()));
        }
        case SUMMARY -> {
          for (DataPoint p : points) {
            dLen += lenField(sizeSummary((SummaryPoint) p));
          }
        }
      }
      sizes[dSlot] = dLen;
      len += lenField(dLen);
      sizes[slot] = len;
      return len;
    }

    @Override
    public void write(Metric m) throws IOException {
      header(2);
      string(1, m.name());
      string(2, m.description());
      string(3, m.unit());
      List<? extends DataPoint> points = m.points();
      switch (m.kind()) {
        case GAUGE -> {
          header(5);
          for (DataPoint p : points) {
            writeNumber((NumberPoint) p);
          }
        }
        case SUM -> {
          header(7);
          for (DataPoint p : points) {
            writeNumber((NumberPoint) p);
          }
          enumValue(2, temporality(m.temporality()));
          if (m.monotonic()) {
            out.writeBool(3, true);
          }
        }
        case HISTOGRAM -> {
          header(9);
          for (DataPoint p : points) {
            writeHistogram((HistogramPoint) p);
          }
          enumValue(2, temporality(m.temporality()));
        }
        case EXPONENTIAL_HISTOGRAM -> {
          header(10);
          for (DataPoint p : points) {
            writeExponential((ExponentialHistogramPoint) p);
          }
          enumValue(2, temporality(m.temporality()));
        }
        case SUMMARY -> {
          header(11);
          for (DataPoint p : points) {
            writeSummary((SummaryPoint) p);
          }
        }
      }
    }
  }

  private int sizeNumber(NumberPoint p) {
    int slot = reserve();
    int len = fixed64Field(p.startTimeNanos()) + fixed64Field(p.timeNanos()) + 9
        + sizeAttributes(p.attributes()) + uint32Field(p.flags());
    sizes[slot] = len;
    return len;
  }

  private void writeNumber(NumberPoint p) throws IOException {
    header(1);
    fixed64(2, p.startTimeNanos());
    fixed64(3, p.timeNanos());
    if (p.isDouble()) {
      out.writeDouble(4, p.doubleValue());
    } else {
      out.writeSFixed64(6, p.longValue());
    }
    writeAttributes(7, p.attributes());
    uint32(8, p.flags());
  }

  private static int packedFixed64(int n) {
    return n == 0 ? 0 : lenField(8 * n);
  }

  private int sizeHistogram(HistogramPoint p) {
    int slot = reserve();
    int len = fixed64Field(p.startTimeNanos()) + fixed64Field(p.timeNanos()) + fixed64Field(p.count())
        + optionalDoubleField(p.sum()) + packedFixed64(p.bucketCounts().size())
        + packedFixed64(p.explicitBounds().size()) + sizeAttributes(p.attributes()) + uint32Field(p.flags())
        + optionalDoubleField(p.min()) + optionalDoubleField(p.max());
    sizes[slot] = len;
    return len;
  }

  private void writeHistogram(HistogramPoint p) throws IOException {
    header(1);
    fixed64(2, p.startTimeNanos());
    fixed64(3, p.timeNanos());
    fixed64(4, p.count());
    optionalDouble(5, p.sum());
    List<Long> counts = p.bucketCounts();
    if (!counts.isEmpty()) {
      out.writeTag(6, LEN);
      out.writeUInt32NoTag(8 * counts.size());
      for (int i = 0, n = counts.size(); i < n; i++) {
        out.writeFixed64NoTag(counts.get(i));
      }
    }
    List<Double> bounds = p.explicitBounds();
    if (!bounds.isEmpty()) {
      out.writeTag(7, LEN);
      out.writeUInt32NoTag(8 * bounds.size());
      for (int i = 0, n = bounds.size(); i < n; i++) {
        out.writeDoubleNoTag(bounds.get(i));
      }
    }
    writeAttributes(9, p.attributes());
    uint32(10, p.flags());
    optionalDouble(11, p.min());
    optionalDouble(12, p.max());
  }

  private int sizeBuckets(int offset, List<Long> counts) {
    int slot = reserve();
    int len = offset == 0 ? 0 : 1 + CodedOutputStream.computeSInt32SizeNoTag(offset);
    if (!counts.isEmpty()) {
      int dSlot = reserve();
      int data = 0;
      for (int i = 0, n = counts.size(); i < n; i++) {
        data += CodedOutputStream.computeUInt64SizeNoTag(counts.get(i));
      }
      sizes[dSlot] = data;
      len += lenField(data);
    }
    sizes[slot] = len;
    return len;
  }

  private void writeBuckets(int field, int offset, List<Long> counts) throws IOException {
    header(field);
    if (offset != 0) {
      out.writeSInt32(1, offset);
    }
    if (!counts.isEmpty()) {
      header(2);
      for (int i = 0, n = counts.size(); i < n; i++) {
        out.writeUInt64NoTag(counts.get(i));
      }
    }
  }

  private int sizeExponential(ExponentialHistogramPoint p) {
    int slot = reserve();
    int len = sizeAttributes(p.attributes()) + fixed64Field(p.startTimeNanos()) + fixed64Field(p.timeNanos())
        + fixed64Field(p.count()) + optionalDoubleField(p.sum())
        + (p.scale() == 0 ? 0 : 1 + CodedOutputStream.computeSInt32SizeNoTag(p.scale()))
        + fixed64Field(p.zeroCount());
    len += lenField(sizeBuckets(p.positiveOffset(), p.positiveBucketCounts()));
    len += lenField(sizeBuckets(p.negativeOffset(), p.negativeBucketCounts()));
    len += uint32Field(p.flags()) + optionalDoubleField(p.min()) + optionalDoubleField(p.max())
        + doubleField(p.zeroThreshold());
    sizes[slot] = len;
    return len;
  }

  private void writeExponential(ExponentialHistogramPoint p) throws IOException {
    header(1);
    writeAttributes(1, p.attributes());
    fixed64(2, p.startTimeNanos());
    fixed64(3, p.timeNanos());
    fixed64(4, p.count());
    optionalDouble(5, p.sum());
    if (p.scale() != 0) {
      out.writeSInt32(6, p.scale());
    }
    fixed64(7, p.zeroCount());
    writeBuckets(8, p.positiveOffset(), p.positiveBucketCounts());
    writeBuckets(9, p.negativeOffset(), p.negativeBucketCounts());
    uint32(10, p.flags());
    optionalDouble(12, p.min());
    optionalDouble(13, p.max());
    doubleValue(14, p.zeroThreshold());
  }

  private static int quantileLen(SummaryPoint.Quantile q) {
    return doubleField(q.quantile()) + doubleField(q.value());
  }

  private int sizeSummary(SummaryPoint p) {
    int slot = reserve();
    int len = fixed64Field(p.startTimeNanos()) + fixed64Field(p.timeNanos()) + fixed64Field(p.count())
        + doubleField(p.sum());
    for (SummaryPoint.Quantile q : p.quantiles()) {
      len += lenField(quantileLen(q));
    }
    len += sizeAttributes(p.attributes()) + uint32Field(p.flags());
    sizes[slot] = len;
    return len;
  }

  private void writeSummary(SummaryPoint p) throws IOException {
    header(1);
    fixed64(2, p.startTimeNanos());
    fixed64(3, p.timeNanos());
    fixed64(4, p.count());
    doubleValue(5, p.sum());
    for (SummaryPoint.Quantile q : p.quantiles()) {
      out.writeTag(6, LEN);
      out.writeUInt32NoTag(quantileLen(q));
      doubleValue(1, q.quantile());
      doubleValue(2, q.value());
    }
    writeAttributes(7, p.attributes());
    uint32(8, p.flags());
  }

  // --- logs ---------------------------------------------------------------------------------------

  private final class LogItems implements Items<LogRecord> {
    @Override
    public Resource resource(LogRecord r) {
      return r.resource();
    }

    @Override
    public Scope scope(LogRecord r) {
      return r.scope();
    }

    @Override
    public int size(LogRecord r) {
      int slot = reserve();
      int len = fixed64Field(r.timeNanos()) + enumField(r.severityNumber()) + stringField(r.severityText());
      if (r.body() != null) {
        len += lenField(sizeAnyValue(r.body()));
      }
      len += sizeAttributes(r.attributes()) + uint32Field(r.droppedAttributesCount())
          + (r.flags() == 0 ? 0 : 5) + idField(r.traceId()) + idField(r.spanId())
          + fixed64Field(r.observedTimeNanos()) + stringField(r.eventName());
      sizes[slot] = len;
      return len;
    }

    @Override
    public void write(LogRecord r) throws IOException {
      header(2);
      fixed64(1, r.timeNanos());
      enumValue(2, r.severityNumber());
      string(3, r.severityText());
      if (r.body() != null) {
        writeAnyValue(5, r.body());
      }
      writeAttributes(6, r.attributes());
      uint32(7, r.droppedAttributesCount());
      if (r.flags() != 0) {
        out.writeFixed32(8, r.flags());
      }
      id(9, r.traceId());
      id(10, r.spanId());
      fixed64(11, r.observedTimeNanos());
      string(12, r.eventName());
    }
  }

  // --- traces -------------------------------------------------------------------------------------

  private final class SpanItems implements Items<Span> {
    @Override
    public Resource resource(Span s) {
      return s.resource();
    }

    @Override
    public Scope scope(Span s) {
      return s.scope();
    }

    @Override
    public int size(Span s) {
      int slot = reserve();
      int len = idField(s.traceId()) + idField(s.spanId()) + idField(s.parentSpanId()) + stringField(s.name())
          + enumField(s.kind()) + fixed64Field(s.startTimeNanos()) + fixed64Field(s.endTimeNanos())
          + sizeAttributes(s.attributes());
      for (Span.Event e : s.events()) {
        int eSlot = reserve();
        int eLen = fixed64Field(e.timeNanos()) + stringField(Objects.requireNonNullElse(e.name(), ""))
            + sizeAttributes(Objects.requireNonNullElse(e.attributes(), Attributes.empty()));
        sizes[eSlot] = eLen;
        len += lenField(eLen);
      }
      if (s.statusCode() != 0 || !s.statusMessage().isEmpty()) {
        len += lenField(stringField(s.statusMessage()) + enumField(s.statusCode()));
      }
      sizes[slot] = len;
      return len;
    }

    @Override
    public void write(Span s) throws IOException {
      header(2);
      id(1, s.traceId());
      id(2, s.spanId());
      id(4, s.parentSpanId());
      string(5, s.name());
      enumValue(6, s.kind());
      fixed64(7, s.startTimeNanos());
      fixed64(8, s.endTimeNanos());
      writeAttributes(9, s.attributes());
      for (Span.Event e : s.events()) {
        header(11);
        fixed64(1, e.timeNanos());
        string(2, Objects.requireNonNullElse(e.name(), ""));
        writeAttributes(3, Objects.requireNonNullElse(e.attributes(), Attributes.empty()));
      }
      if (s.statusCode() != 0 || !s.statusMessage().isEmpty()) {
        out.writeTag(15, LEN);
        out.writeUInt32NoTag(stringField(s.statusMessage()) + enumField(s.statusCode()));
        string(2, s.statusMessage());
        enumValue(3, s.statusCode());
      }
    }
  }
}

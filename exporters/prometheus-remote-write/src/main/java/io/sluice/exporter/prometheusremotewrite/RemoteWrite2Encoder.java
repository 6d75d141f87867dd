package io.sluice.exporter.prometheusremotewrite;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.sluice.translation.prometheus.otlp.PromExemplar;
import io.sluice.translation.prometheus.otlp.PromHistogram;
import io.sluice.translation.prometheus.otlp.PromMetadata;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a remote write 2.0 {@code io.prometheus.write.v2.Request} straight from the series
 * model: a first pass interns every string into the symbols table and sizes every message, the
 * second writes into an exactly sized array.
 *
 * <pre>
 * Request{4 symbols string*, 5 timeseries: TimeSeries}
 * TimeSeries{1 labels_refs uint32* packed, 2 samples: Sample, 3 histograms: Histogram, 4 exemplars: Exemplar,
 *     5 metadata: Metadata}
 * Histogram{1 count_int uint64, 3 sum double, 4 schema sint32, 5 zero_threshold double,
 *     6 zero_count_int uint64, 8 negative_spans: BucketSpan, 9 negative_deltas sint64* packed,
 *     11 positive_spans: BucketSpan, 12 positive_deltas sint64* packed, 14 reset_hint enum (0, unknown),
 *     15 timestamp int64, 17 start_timestamp int64}
 * BucketSpan{1 offset sint32, 2 length uint32}
 * Sample{1 value double, 2 timestamp int64, 3 start_timestamp int64 (counters, histograms, summaries)}
 * Exemplar{1 labels_refs uint32* packed, 2 value double, 3 timestamp int64}
 * Metadata{1 type enum, 3 help_ref uint32, 4 unit_ref uint32}
 * </pre>
 */
final class RemoteWrite2Encoder {
  private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private final Map<String, Integer> symbolIndex = new HashMap<>();
  private final List<String> symbols = new ArrayList<>();
  private int[] refs = new int[512];
  private int refCount;

  /** The encoded request. Not thread-safe: reuses its tables. */
  byte[] encode(PromWriteData data) {
    symbolIndex.clear();
    symbols.clear();
    refCount = 0;
    intern("");
    List<PromSeries> series = data.series();
    int[] seriesSizes = new int[series.size()];
    List<byte[]> histograms = new ArrayList<>();
    long total = 0;
    for (int si = 0; si < series.size(); si++) {
      PromSeries s = series.get(si);
      int size = 0;
      int refsSize = 0;
      for (int i = 0; i < s.labelCount(); i++) {
        refsSize += addRef(intern(s.labelName(i))) + addRef(intern(s.labelValue(i)));
      }
      size += packedFieldSize(refsSize);
      for (int i = 0; i < s.sampleCount(); i++) {
        size += 2 + sampleSize(s.timestampMs(i), s.startTimestampMs(i));
      }
      for (PromHistogram h : s.histograms()) {
        byte[] hb = histogram(h);
        histograms.add(hb);
        size += 1 + CodedOutputStream.computeUInt32SizeNoTag(hb.length) + hb.length;
      }
      for (PromExemplar e : s.exemplars()) {
        String[] el = e.labels();
        int exRefs = 0;
        for (String str : el) {
          exRefs += addRef(intern(str));
        }
        int es = packedFieldSize(exRefs) + sampleSize(e.timestampMs());
        size += 1 + CodedOutputStream.computeUInt32SizeNoTag(es) + es;
      }
      PromMetadata md = s.metadata();
      if (md != null) {
        int help = intern(md.help());
        int unit = intern(md.unit());
        addRef(help);
        addRef(unit);
        int ms = metadataSize(md.type().number(), help, unit);
        size += 1 + CodedOutputStream.computeUInt32SizeNoTag(ms) + ms;
      }
      seriesSizes[si] = size;
      total += 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
    for (String sym : symbols) {
      total += CodedOutputStream.computeStringSize(4, sym);
    }
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("the request would be " + total + " bytes, more than an array holds");
    }

    byte[] out = new byte[(int) total];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      for (String sym : symbols) {
        o.writeString(4, sym);
      }
      int r = 0;
      int hi = 0;
      for (int si = 0; si < series.size(); si++) {
        PromSeries s = series.get(si);
        o.writeTag(5, LEN);
        o.writeUInt32NoTag(seriesSizes[si]);
        r = writePacked(o, 1, r, s.labelCount() * 2);
        for (int i = 0; i < s.sampleCount(); i++) {
          long ts = s.timestampMs(i);
          long start = s.startTimestampMs(i);
          o.writeTag(2, LEN);
          o.writeUInt32NoTag(sampleSize(ts, start));
          o.writeDouble(1, s.value(i));
          o.writeInt64(2, ts);
          if (start != 0) {
            o.writeInt64(3, start);
          }
        }
        for (int i = 0; i < s.histograms().size(); i++) {
          o.writeByteArray(3, histograms.get(hi++));
        }
        for (PromExemplar e : s.exemplars()) {
          int n = e.labels().length;
          int es = packedFieldSize(refsSize(r, n)) + sampleSize(e.timestampMs());
          o.writeTag(4, LEN);
          o.writeUInt32NoTag(es);
          r = writePacked(o, 1, r, n);
          o.writeDouble(2, e.value());
          o.writeInt64(3, e.timestampMs());
        }
        PromMetadata md = s.metadata();
        if (md != null) {
          int help = refs[r++];
          int unit = refs[r++];
          int type = md.type().number();
          o.writeTag(5, LEN);
          o.writeUInt32NoTag(metadataSize(type, help, unit));
          if (type != 0) {
            o.writeEnum(1, type);
          }
          if (help != 0) {
            o.writeUInt32(3, help);
          }
          if (unit != 0) {
            o.writeUInt32(4, unit);
          }
        }
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** One native histogram sample as its {@code Histogram} message. */
  static byte[] histogram(PromHistogram h) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(64);
      CodedOutputStream o = CodedOutputStream.newInstance(bytes);
      o.writeUInt64(1, h.count());
      o.writeDouble(3, h.sum());
      o.writeSInt32(4, h.schema());
      o.writeDouble(5, h.zeroThreshold());
      o.writeUInt64(6, h.zeroCount());
      writeSpans(o, 8, h.negativeSpans());
      writeDeltas(o, 9, h.negativeDeltas());
      writeSpans(o, 11, h.positiveSpans());
      writeDeltas(o, 12, h.positiveDeltas());
      o.writeInt64(15, h.timestampMs());
      if (h.startTimestampMs() != 0) {
        o.writeInt64(17, h.startTimestampMs());
      }
      o.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeSpans(CodedOutputStream o, int field, int[] spans) throws IOException {
    for (int i = 0; i + 1 < spans.length; i += 2) {
      int size = CodedOutputStream.computeSInt32Size(1, spans[i]) + CodedOutputStream.computeUInt32Size(2, spans[i + 1]);
      o.writeTag(field, LEN);
      o.writeUInt32NoTag(size);
      o.writeSInt32(1, spans[i]);
      o.writeUInt32(2, spans[i + 1]);
    }
  }

  private static void writeDeltas(CodedOutputStream o, int field, long[] deltas) throws IOException {
    if (deltas.length == 0) {
      return;
    }
    int size = 0;
    for (long d : deltas) {
      size += CodedOutputStream.computeSInt64SizeNoTag(d);
    }
    o.writeTag(field, LEN);
    o.writeUInt32NoTag(size);
    for (long d : deltas) {
      o.writeSInt64NoTag(d);
    }
  }

  /** The symbols of the last request, for tests. */
  List<String> symbols() {
    return symbols;
  }

  private int intern(String s) {
    String key = s == null ? "" : s;
    Integer known = symbolIndex.get(key);
    if (known != null) {
      return known;
    }
    int ref = symbols.size();
    symbols.add(key);
    symbolIndex.put(key, ref);
    return ref;
  }

  /** Remembers a ref for the writing pass; returns its varint size. */
  private int addRef(int ref) {
    if (refCount == refs.length) {
      refs = java.util.Arrays.copyOf(refs, refCount * 2);
    }
    refs[refCount++] = ref;
    return CodedOutputStream.computeUInt32SizeNoTag(ref);
  }

  private int refsSize(int from, int n) {
    int size = 0;
    for (int i = from; i < from + n; i++) {
      size += CodedOutputStream.computeUInt32SizeNoTag(refs[i]);
    }
    return size;
  }

  private int writePacked(CodedOutputStream o, int field, int from, int n) throws IOException {
    if (n == 0) {
      return from;
    }
    o.writeTag(field, LEN);
    o.writeUInt32NoTag(refsSize(from, n));
    for (int i = from; i < from + n; i++) {
      o.writeUInt32NoTag(refs[i]);
    }
    return from + n;
  }

  /** A packed field of {@code contentSize} bytes; nothing when empty. */
  private static int packedFieldSize(int contentSize) {
    return contentSize == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(contentSize) + contentSize;
  }

  private static int sampleSize(long timestampMs) {
    return 9 + CodedOutputStream.computeInt64Size(2, timestampMs);
  }

  /** A sample with its start timestamp (field 3), which is left out when 0 (unset). */
  private static int sampleSize(long timestampMs, long startMs) {
    return sampleSize(timestampMs) + (startMs == 0 ? 0 : CodedOutputStream.computeInt64Size(3, startMs));
  }

  private static int metadataSize(int type, int help, int unit) {
    int size = type == 0 ? 0 : CodedOutputStream.computeEnumSize(1, type);
    size += help == 0 ? 0 : CodedOutputStream.computeUInt32Size(3, help);
    size += unit == 0 ? 0 : CodedOutputStream.computeUInt32Size(4, unit);
    return size;
  }
}

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
import java.util.List;
import java.util.Map;

/**
 * Writes a remote write 1.0 {@code prometheus.WriteRequest} straight from the series model:
 * sizes first, then one pass into an exactly sized array, with no intermediate messages. A
 * series' labels are written as one block of encoded {@code Label} fields, kept with its label
 * set ({@link PromSeries#labelEncoding()}): a scraped series'
 * label set comes back batch after batch, so its labels are encoded once. Label names and values are taken from a {@link Utf8Cache}
 * as bytes, so strings that recur in other label sets are encoded once too.
 *
 * <pre>
 * WriteRequest{1 timeseries: TimeSeries, 3 metadata: MetricMetadata}
 * TimeSeries{1 labels: Label, 2 samples: Sample, 3 exemplars: Exemplar}
 * Label{1 name, 2 value}   Sample{1 value double, 2 timestamp int64}
 * Exemplar{1 labels: Label, 2 value double, 3 timestamp int64}
 * MetricMetadata{1 type enum, 2 metric_family_name, 4 help, 5 unit}
 * </pre>
 */
final class RemoteWrite1Encoder {
  private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private final Utf8Cache utf8;
  private int[] seriesSizes = new int[64];
  /** The encoded labels of the request's exemplars, in order (made in the sizing pass, written in the second). */
  private final List<byte[]> exemplarLabels = new ArrayList<>();
  /** UTF-8 names and values of the label set being encoded. */
  private byte[][] pairs = new byte[32][];

  RemoteWrite1Encoder() {
    this(new Utf8Cache());
  }

  RemoteWrite1Encoder(Utf8Cache utf8) {
    this.utf8 = utf8;
  }

  /** The encoded request; metadata only when {@code withMetadata}. Not thread-safe: reuses scratch arrays. */
  byte[] encode(PromWriteData data, boolean withMetadata) {
    List<PromSeries> series = data.series();
    if (seriesSizes.length < series.size()) {
      seriesSizes = new int[Math.max(series.size(), seriesSizes.length * 2)];
    }
    exemplarLabels.clear();

    long total = 0;
    for (int si = 0; si < series.size(); si++) {
      PromSeries s = series.get(si);
      int size = labelBlock(s).length;
      for (int i = 0; i < s.sampleCount(); i++) {
        // a sample is at most 9 + 11 bytes: its length fits one byte
        size += 2 + sampleSize(s.timestampMs(i));
      }
      for (PromExemplar e : s.exemplars()) {
        byte[] labels = encodeLabels(e.labels(), e.labels().length / 2);
        exemplarLabels.add(labels);
        int es = labels.length + sampleSize(e.timestampMs());
        size += 1 + CodedOutputStream.computeUInt32SizeNoTag(es) + es;
      }
      seriesSizes[si] = size;
      total += 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
    List<PromMetadata> metadata = withMetadata ? data.metadata() : List.of();
    for (PromMetadata m : metadata) {
      int ms = metadataSize(m);
      total += 1 + CodedOutputStream.computeUInt32SizeNoTag(ms) + ms;
    }
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("the request would be " + total + " bytes, more than an array holds");
    }

    byte[] out = new byte[(int) total];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      int ei = 0;
      for (int si = 0; si < series.size(); si++) {
        PromSeries s = series.get(si);
        o.writeTag(1, LEN);
        o.writeUInt32NoTag(seriesSizes[si]);
        o.writeRawBytes(labelBlock(s));
        for (int i = 0; i < s.sampleCount(); i++) {
          long ts = s.timestampMs(i);
          o.writeTag(2, LEN);
          o.writeUInt32NoTag(sampleSize(ts));
          o.writeDouble(1, s.value(i));
          o.writeInt64(2, ts);
        }
        for (PromExemplar e : s.exemplars()) {
          byte[] labels = exemplarLabels.get(ei++);
          o.writeTag(3, LEN);
          o.writeUInt32NoTag(labels.length + sampleSize(e.timestampMs()));
          o.writeRawBytes(labels);
          o.writeDouble(2, e.value());
          o.writeInt64(3, e.timestampMs());
        }
      }
      for (PromMetadata m : metadata) {
        o.writeTag(3, LEN);
        o.writeUInt32NoTag(metadataSize(m));
        if (m.type().number() != 0) {
          o.writeEnum(1, m.type().number());
        }
        writeIfSet(o, 2, m.familyName());
        writeIfSet(o, 4, m.help());
        writeIfSet(o, 5, m.unit());
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** How many bytes a series takes in a 1.0 request, its field tag and length included. */
  int framedSeriesSize(PromSeries s) {
    int size = labelBlock(s).length;
    for (int i = 0; i < s.sampleCount(); i++) {
      size += 2 + sampleSize(s.timestampMs(i));
    }
    for (PromHistogram h : s.histograms()) {
      // Native histograms go only into 2.0 requests; an upper bound of their size is enough here.
      size += 96 + 8 * (h.positiveSpans().length + h.negativeSpans().length)
          + 10 * (h.positiveDeltas().length + h.negativeDeltas().length);
    }
    for (PromExemplar e : s.exemplars()) {
      int es = encodeLabels(e.labels(), e.labels().length / 2).length + sampleSize(e.timestampMs());
      size += 1 + CodedOutputStream.computeUInt32SizeNoTag(es) + es;
    }
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
  }

  /**
   * The data cut into requests of at most {@code maxBytes} (as 1.0 measures them; 2.0 requests
   * are smaller), series kept whole and in order; metadata goes with the first. A series larger
   * than the limit goes alone. The data itself when it fits.
   */
  List<PromWriteData> split(PromWriteData data, long maxBytes) {
    List<PromSeries> series = data.series();
    if (maxBytes <= 0 || series.size() < 2) {
      return List.of(data);
    }
    List<PromWriteData> out = new java.util.ArrayList<>();
    int from = 0;
    long size = 0;
    for (int i = 0; i < series.size(); i++) {
      int ss = framedSeriesSize(series.get(i));
      if (i > from && size + ss > maxBytes) {
        out.add(new PromWriteData(series.subList(from, i), out.isEmpty() ? data.metadata() : List.of(), Map.of()));
        from = i;
        size = 0;
      }
      size += ss;
    }
    if (out.isEmpty()) {
      return List.of(data);
    }
    out.add(new PromWriteData(series.subList(from, series.size()), List.of(), Map.of()));
    return out;
  }

  /**
   * The series' labels as encoded {@code TimeSeries.labels} fields, tags and lengths included:
   * kept with the label set, made on first use.
   */
  byte[] labelBlock(PromSeries s) {
    if (s.labelEncoding() instanceof byte[] known) {
      return known;
    }
    int n = s.labelCount();
    byte[][] p = pairsFor(n);
    for (int i = 0; i < n; i++) {
      p[2 * i] = utf8.of(s.labelName(i));
      p[2 * i + 1] = utf8.of(s.labelValue(i));
    }
    byte[] block = encodePairs(n);
    s.labelEncoding(block);
    return block;
  }

  /** The first {@code n} name/value pairs of {@code labels} as encoded {@code Label} fields (field 1). */
  private byte[] encodeLabels(String[] labels, int n) {
    byte[][] p = pairsFor(n);
    for (int i = 0; i < 2 * n; i++) {
      p[i] = utf8.of(labels[i]);
    }
    return encodePairs(n);
  }

  private byte[][] pairsFor(int n) {
    if (pairs.length < 2 * n) {
      pairs = new byte[Math.max(2 * n, pairs.length * 2)][];
    }
    return pairs;
  }

  /** Encodes the first {@code n} UTF-8 pairs in {@link #pairs}. */
  private byte[] encodePairs(int n) {
    byte[][] p = pairs;
    int size = 0;
    for (int i = 0; i < n; i++) {
      int ls = labelSize(p[2 * i], p[2 * i + 1]);
      size += 1 + CodedOutputStream.computeUInt32SizeNoTag(ls) + ls;
    }
    byte[] block = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(block);
    try {
      for (int i = 0; i < n; i++) {
        o.writeTag(1, LEN);
        o.writeUInt32NoTag(labelSize(p[2 * i], p[2 * i + 1]));
        o.writeByteArray(1, p[2 * i]);
        o.writeByteArray(2, p[2 * i + 1]);
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return block;
  }

  /** The size of a {@code Label} message without its own tag and length. */
  private static int labelSize(byte[] name, byte[] value) {
    return 2 + CodedOutputStream.computeUInt32SizeNoTag(name.length) + name.length
        + CodedOutputStream.computeUInt32SizeNoTag(value.length) + value.length;
  }

  /** A sample's (or an exemplar's value and timestamp's) size: fixed64 value plus varint timestamp. */
  private static int sampleSize(long timestampMs) {
    return 9 + CodedOutputStream.computeInt64Size(2, timestampMs);
  }

  private static int metadataSize(PromMetadata m) {
    int size = m.type().number() == 0 ? 0 : CodedOutputStream.computeEnumSize(1, m.type().number());
    size += stringSizeIfSet(2, m.familyName());
    size += stringSizeIfSet(4, m.help());
    size += stringSizeIfSet(5, m.unit());
    return size;
  }

  private static int stringSizeIfSet(int field, String s) {
    return s == null || s.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, s);
  }

  private static void writeIfSet(CodedOutputStream o, int field, String s) throws IOException {
    if (s != null && !s.isEmpty()) {
      o.writeString(field, s);
    }
  }
}

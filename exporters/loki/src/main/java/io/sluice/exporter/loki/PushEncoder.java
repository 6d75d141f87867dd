package io.sluice.exporter.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Writes Loki push requests, one stream each: the protobuf {@code PushRequest} (compressed with
 * snappy's block format, as Loki reads it) straight from the field numbers, or the JSON form.
 *
 * <pre>
 * PushRequest      { 1: repeated StreamAdapter streams }
 * StreamAdapter    { 1: string labels, 2: repeated EntryAdapter entries }   (3: hash is Loki's own)
 * EntryAdapter     { 1: google.protobuf.Timestamp timestamp, 2: string line,
 *                    3: repeated LabelPairAdapter structuredMetadata }
 * LabelPairAdapter { 1: string name, 2: string value }
 * Timestamp        { 1: int64 seconds, 2: int32 nanos }
 * </pre>
 */
final class PushEncoder {
  private static final JsonFactory JSON = new JsonFactory();
  private static final int WIRE_LEN = 2;

  private PushEncoder() {}

  /** One entry of a stream: its time in Unix nanoseconds, its line and its structured metadata. */
  record Line(long timeNanos, String line, List<LokiLabels.Pair> metadata) {
  }

  /**
   * The snappy-compressed protobuf {@code PushRequest} of one stream. Every string is turned into
   * UTF-8 once, up front: sizing and writing then only copy bytes.
   */
  static byte[] protobuf(String selector, List<Line> entries) {
    int n = entries.size();
    byte[][] lines = new byte[n][];
    byte[][][] metadata = new byte[n][][];
    int[] timestampSizes = new int[n];
    int[] entrySizes = new int[n];
    int streamSize = CodedOutputStream.computeStringSize(1, selector);
    for (int i = 0; i < n; i++) {
      Line e = entries.get(i);
      lines[i] = e.line().getBytes(StandardCharsets.UTF_8);
      timestampSizes[i] = timestampSize(seconds(e.timeNanos()), nanos(e.timeNanos()));
      int size = lengthDelimited(1, timestampSizes[i]);
      if (lines[i].length > 0) {
        size += CodedOutputStream.computeByteArraySize(2, lines[i]);
      }
      List<LokiLabels.Pair> md = e.metadata();
      byte[][] pairs = new byte[md.size() * 2][];
      for (int k = 0; k < md.size(); k++) {
        pairs[2 * k] = md.get(k).name().getBytes(StandardCharsets.UTF_8);
        pairs[2 * k + 1] = md.get(k).value().getBytes(StandardCharsets.UTF_8);
        size += lengthDelimited(3, pairSize(pairs[2 * k], pairs[2 * k + 1]));
      }
      metadata[i] = pairs;
      entrySizes[i] = size;
      streamSize += lengthDelimited(2, size);
    }
    byte[] raw = new byte[lengthDelimited(1, streamSize)];
    CodedOutputStream out = CodedOutputStream.newInstance(raw);
    try {
      out.writeTag(1, WIRE_LEN);
      out.writeUInt32NoTag(streamSize);
      out.writeString(1, selector);
      for (int i = 0; i < n; i++) {
        long t = entries.get(i).timeNanos();
        out.writeTag(2, WIRE_LEN);
        out.writeUInt32NoTag(entrySizes[i]);
        out.writeTag(1, WIRE_LEN);
        out.writeUInt32NoTag(timestampSizes[i]);
        if (seconds(t) != 0) {
          out.writeInt64(1, seconds(t));
        }
        if (nanos(t) != 0) {
          out.writeInt32(2, nanos(t));
        }
        if (lines[i].length > 0) {
          out.writeByteArray(2, lines[i]);
        }
        byte[][] pairs = metadata[i];
        for (int k = 0; k < pairs.length; k += 2) {
          out.writeTag(3, WIRE_LEN);
          out.writeUInt32NoTag(pairSize(pairs[k], pairs[k + 1]));
          out.writeByteArray(1, pairs[k]);
          out.writeByteArray(2, pairs[k + 1]);
        }
      }
      out.checkNoSpaceLeft();
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long seconds(long timeNanos) {
    return Math.floorDiv(timeNanos, 1_000_000_000L);
  }

  private static int nanos(long timeNanos) {
    return (int) Math.floorMod(timeNanos, 1_000_000_000L);
  }

  private static int timestampSize(long seconds, int nanos) {
    return (seconds != 0 ? CodedOutputStream.computeInt64Size(1, seconds) : 0)
        + (nanos != 0 ? CodedOutputStream.computeInt32Size(2, nanos) : 0);
  }

  private static int pairSize(byte[] name, byte[] value) {
    return CodedOutputStream.computeByteArraySize(1, name) + CodedOutputStream.computeByteArraySize(2, value);
  }

  /** The size of a length-delimited field with its tag and length. */
  private static int lengthDelimited(int field, int size) {
    return CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
  }

  /**
   * The JSON push body of one stream:
   * {@code {"streams":[{"stream":{labels},"values":[["<ns>","line",{metadata}],…]}]}}, the
   * timestamp a string, the metadata left out when there is none.
   */
  static byte[] json(Map<String, String> labels, List<Line> entries) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 64 * entries.size());
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeArrayFieldStart("streams");
      g.writeStartObject();
      g.writeObjectFieldStart("stream");
      for (Map.Entry<String, String> l : labels.entrySet()) {
        g.writeStringField(l.getKey(), l.getValue());
      }
      g.writeEndObject();
      g.writeArrayFieldStart("values");
      for (Line e : entries) {
        g.writeStartArray();
        g.writeString(Long.toString(e.timeNanos()));
        g.writeString(e.line());
        if (!e.metadata().isEmpty()) {
          g.writeStartObject();
          for (LokiLabels.Pair p : e.metadata()) {
            g.writeStringField(p.name(), p.value());
          }
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}

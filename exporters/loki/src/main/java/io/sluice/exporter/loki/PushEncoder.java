package io.sluice.exporter.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  /** The snappy-compressed protobuf {@code PushRequest} of one stream. */
  static byte[] protobuf(String selector, List<Line> entries) {
    int[] entrySizes = new int[entries.size()];
    int streamSize = CodedOutputStream.computeStringSize(1, selector);
    for (int i = 0; i < entries.size(); i++) {
      entrySizes[i] = entrySize(entries.get(i));
      streamSize += lengthDelimited(2, entrySizes[i]);
    }
    byte[] raw = new byte[lengthDelimited(1, streamSize)];
    CodedOutputStream out = CodedOutputStream.newInstance(raw);
    try {
      out.writeTag(1, WIRE_LEN);
      out.writeUInt32NoTag(streamSize);
      out.writeString(1, selector);
      for (int i = 0; i < entries.size(); i++) {
        Line e = entries.get(i);
        out.writeTag(2, WIRE_LEN);
        out.writeUInt32NoTag(entrySizes[i]);
        long seconds = Math.floorDiv(e.timeNanos(), 1_000_000_000L);
        int nanos = (int) Math.floorMod(e.timeNanos(), 1_000_000_000L);
        out.writeTag(1, WIRE_LEN);
        out.writeUInt32NoTag(timestampSize(seconds, nanos));
        if (seconds != 0) {
          out.writeInt64(1, seconds);
        }
        if (nanos != 0) {
          out.writeInt32(2, nanos);
        }
        if (!e.line().isEmpty()) {
          out.writeString(2, e.line());
        }
        for (LokiLabels.Pair p : e.metadata()) {
          out.writeTag(3, WIRE_LEN);
          out.writeUInt32NoTag(pairSize(p));
          out.writeString(1, p.name());
          out.writeString(2, p.value());
        }
      }
      out.checkNoSpaceLeft();
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int entrySize(Line e) {
    long seconds = Math.floorDiv(e.timeNanos(), 1_000_000_000L);
    int nanos = (int) Math.floorMod(e.timeNanos(), 1_000_000_000L);
    int n = lengthDelimited(1, timestampSize(seconds, nanos));
    if (!e.line().isEmpty()) {
      n += CodedOutputStream.computeStringSize(2, e.line());
    }
    for (LokiLabels.Pair p : e.metadata()) {
      n += lengthDelimited(3, pairSize(p));
    }
    return n;
  }

  private static int timestampSize(long seconds, int nanos) {
    return (seconds != 0 ? CodedOutputStream.computeInt64Size(1, seconds) : 0)
        + (nanos != 0 ? CodedOutputStream.computeInt32Size(2, nanos) : 0);
  }

  private static int pairSize(LokiLabels.Pair p) {
    return CodedOutputStream.computeStringSize(1, p.name()) + CodedOutputStream.computeStringSize(2, p.value());
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

package io.sluice.core.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Resource messages of one signal ({@code ResourceSpans}, {@code ResourceMetrics} or
 * {@code ResourceLogs}) kept as encoded protobuf: slices of the arrays they arrived in. An OTLP
 * request that nothing in the pipeline reads is passed through this way: its resources are
 * never parsed into objects, batches join slices, and exporters write the slices into their
 * requests as they are.
 *
 * <p>Immutable once built, like the messages it stands for; the arrays behind the slices are
 * never written after the slices are taken.
 */
public final class EncodedResources {
  private static final byte RESOURCE_TAG = (byte) ((OtlpWire.REQUEST_RESOURCES << 3) | OtlpWire.WIRE_LEN);
  private static final EncodedResources[] EMPTY = {
    new EncodedResources(Signal.TRACES, new byte[0][], new int[0], new int[0], new int[0], 0),
    new EncodedResources(Signal.METRICS, new byte[0][], new int[0], new int[0], new int[0], 0),
    new EncodedResources(Signal.LOGS, new byte[0][], new int[0], new int[0], new int[0], 0),
  };

  private final Signal signal;
  private final byte[][] arrays;
  private final int[] offsets;
  private final int[] lengths;
  private final int[] items;
  private final int size;
  private final int itemCount;
  private final long requestBytes;

  private EncodedResources(Signal signal, byte[][] arrays, int[] offsets, int[] lengths, int[] items, int size) {
    this.signal = signal;
    this.arrays = arrays;
    this.offsets = offsets;
    this.lengths = lengths;
    this.items = items;
    this.size = size;
    int n = 0;
    long bytes = 0;
    for (int i = 0; i < size; i++) {
      n += items[i];
      bytes += entryBytes(lengths[i]);
    }
    this.itemCount = n;
    this.requestBytes = bytes;
  }

  public static EncodedResources empty(Signal signal) {
    return EMPTY[signal.ordinal()];
  }

  /**
   * Takes the resource messages out of an encoded {@code Export*ServiceRequest} (or
   * {@code TracesData}, {@code MetricsData}, {@code LogsData}: the same bytes) without copying
   * them, counting their items and checking the framing of every message down to the items.
   * Unknown fields of the request are skipped, as a parser would.
   *
   * @throws InvalidProtocolBufferException saying what is malformed
   */
  public static EncodedResources scanRequest(Signal signal, byte[] data, int offset, int length)
      throws InvalidProtocolBufferException {
    int end = offset + length;
    if (offset < 0 || length < 0 || end > data.length) {
      throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " in " + data.length);
    }
    Builder b = new Builder(signal, 4);
    int pos = offset;
    while (pos < end) {
      long tag = OtlpWire.readVarint(data, pos, end);
      pos = OtlpWire.varintEnd(data, pos);
      int field = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      if (field == OtlpWire.REQUEST_RESOURCES && wire == OtlpWire.WIRE_LEN) {
        int len = OtlpWire.readLength(data, pos, end);
        pos = OtlpWire.varintEnd(data, pos);
        int n = OtlpWire.countItems(signal, data, pos, len);
        b.add(data, pos, len, n);
        pos += len;
      } else {
        pos = OtlpWire.skipValue(data, pos, end, wire, field);
      }
    }
    return b.build();
  }

  /** Encodes decoded resource messages, one array each. */
  public static EncodedResources encode(Signal signal, List<?> resources) {
    Builder b = new Builder(signal, resources.size());
    for (Object r : resources) {
      byte[] bytes = ((MessageLite) r).toByteArray();
      b.add(bytes, 0, bytes.length, OtlpWire.countUnchecked(signal, bytes, 0, bytes.length));
    }
    return b.build();
  }

  /** The resources of several, in order, as one. */
  public static EncodedResources concat(Signal signal, List<EncodedResources> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int total = 0;
    for (EncodedResources p : parts) {
      total += p.size;
    }
    Builder b = new Builder(signal, total);
    for (EncodedResources p : parts) {
      if (p.signal != signal) {
        throw new IllegalArgumentException("cannot join " + p.signal + " with " + signal);
      }
      for (int i = 0; i < p.size; i++) {
        b.add(p.arrays[i], p.offsets[i], p.lengths[i], p.items[i]);
      }
    }
    return b.build();
  }

  public Signal signal() {
    return signal;
  }

  /** Resource messages held. */
  public int size() {
    return size;
  }

  /** Spans, data points or log records in all of them. */
  public int itemCount() {
    return itemCount;
  }

  /** The array holding resource message {@code i} (0 &lt;= i &lt; {@link #size()}); never written to. */
  public byte[] array(int i) {
    return arrays[checkIndex(i)];
  }

  /** Where resource message {@code i} starts in its {@link #array}. */
  public int offset(int i) {
    return offsets[checkIndex(i)];
  }

  /** The encoded length of resource message {@code i}. */
  public int length(int i) {
    return lengths[checkIndex(i)];
  }

  /** Spans, data points or log records in resource message {@code i}. */
  public int itemCount(int i) {
    return items[checkIndex(i)];
  }

  private int checkIndex(int i) {
    return java.util.Objects.checkIndex(i, size);
  }

  /**
   * Collects encoded resource messages of one signal, such as slices of this one's arrays and
   * messages a component rewrote; each array must not be written after it is added.
   */
  public static Builder builder(Signal signal, int capacity) {
    return new Builder(signal, capacity);
  }

  /** The size of the {@code Export*ServiceRequest} that holds exactly these resources. */
  public long requestBytes() {
    return requestBytes;
  }

  /** Parses the resource messages into OTLP objects. */
  public List<?> decode() {
    List<Object> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      try {
        out.add(switch (signal) {
          case TRACES -> ResourceSpans.parser().parseFrom(arrays[i], offsets[i], lengths[i]);
          case METRICS -> ResourceMetrics.parser().parseFrom(arrays[i], offsets[i], lengths[i]);
          case LOGS -> ResourceLogs.parser().parseFrom(arrays[i], offsets[i], lengths[i]);
        });
      } catch (InvalidProtocolBufferException e) {
        throw new PermanentException("cannot decode a " + resourceName(signal) + " message: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Writes the {@code Export*ServiceRequest} holding these resources. */
  public void writeRequestTo(OutputStream out) throws IOException {
    byte[] head = new byte[6];
    for (int i = 0; i < size; i++) {
      head[0] = RESOURCE_TAG;
      int n = OtlpWire.writeVarint(head, 1, lengths[i]);
      out.write(head, 0, n);
      out.write(arrays[i], offsets[i], lengths[i]);
    }
  }

  /** The {@code Export*ServiceRequest} holding these resources, as one array. */
  public byte[] toRequestBytes() {
    if (requestBytes > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("a request of " + requestBytes + " bytes does not fit an array");
    }
    byte[] out = new byte[(int) requestBytes];
    int pos = 0;
    for (int i = 0; i < size; i++) {
      out[pos++] = RESOURCE_TAG;
      pos = OtlpWire.writeVarint(out, pos, lengths[i]);
      System.arraycopy(arrays[i], offsets[i], out, pos, lengths[i]);
      pos += lengths[i];
    }
    return out;
  }

  /** The first {@code n} items and the rest. */
  public record Parts(EncodedResources head, EncodedResources tail) {}

  /**
   * Cuts off the first {@code n} items (0 &lt;= n &lt;= {@link #itemCount()}). Whole resources
   * stay the slices they were; only the one that straddles the cut is written anew, as two
   * messages that both keep its resource and the scope (and metric) of the cut. Resources without
   * items before the cut go with the head.
   */
  public Parts cut(int n) {
    if (n < 0 || n > itemCount) {
      throw new IllegalArgumentException("cannot cut " + n + " of " + itemCount + " items");
    }
    Builder head = new Builder(signal, size);
    Builder tail = new Builder(signal, size);
    int left = n;
    for (int i = 0; i < size; i++) {
      if (left <= 0) {
        tail.add(arrays[i], offsets[i], lengths[i], items[i]);
      } else if (items[i] <= left) {
        head.add(arrays[i], offsets[i], lengths[i], items[i]);
        left -= items[i];
      } else {
        OtlpWire.Halves h = OtlpWire.cut(signal, arrays[i], offsets[i], lengths[i], left);
        head.add(h.head(), 0, h.head().length, h.headItems());
        tail.add(h.tail(), 0, h.tail().length, h.tailItems());
        left = 0;
      }
    }
    return new Parts(head.build(), tail.build());
  }

  /**
   * Splits into groups whose requests are at most {@code maxRequestBytes} each, in order.
   * Resources are cut between items where one alone is too large; an item that alone is larger
   * than the limit goes in a request of its own.
   */
  public List<EncodedResources> splitBySize(long maxRequestBytes) {
    if (requestBytes <= maxRequestBytes) {
      return List.of(this);
    }
    List<EncodedResources> out = new ArrayList<>();
    Builder current = new Builder(signal, size);
    long currentBytes = 0;
    for (int i = 0; i < size; i++) {
      long bytes = entryBytes(lengths[i]);
      if (bytes > maxRequestBytes && items[i] > 1) {
        if (current.size > 0) {
          out.add(current.build());
          current = new Builder(signal, size - i);
          currentBytes = 0;
        }
        EncodedResources alone = new Builder(signal, 1).add(arrays[i], offsets[i], lengths[i], items[i]).build();
        // Halve by items until every piece fits (or is a single item).
        int pieces = (int) Math.min(items[i], (bytes + maxRequestBytes - 1) / maxRequestBytes + 1);
        splitInto(alone, pieces, maxRequestBytes, out);
        continue;
      }
      if (current.size > 0 && currentBytes + bytes > maxRequestBytes) {
        out.add(current.build());
        current = new Builder(signal, size - i);
        currentBytes = 0;
      }
      current.add(arrays[i], offsets[i], lengths[i], items[i]);
      currentBytes += bytes;
    }
    if (current.size > 0) {
      out.add(current.build());
    }
    return out;
  }

  private static void splitInto(EncodedResources one, int pieces, long max, List<EncodedResources> out) {
    EncodedResources rest = one;
    for (int p = pieces; p > 1 && rest.itemCount > 1; p--) {
      int take = Math.max(1, rest.itemCount / p);
      Parts parts = rest.cut(take);
      addFitting(parts.head(), max, out);
      rest = parts.tail();
    }
    addFitting(rest, max, out);
  }

  private static void addFitting(EncodedResources r, long max, List<EncodedResources> out) {
    if (r.requestBytes <= max || r.itemCount <= 1) {
      out.add(r);
    } else {
      splitInto(r, 2, max, out);
    }
  }

  private static long entryBytes(int length) {
    return 1 + OtlpWire.varintSize(length) + (long) length;
  }

  static String resourceName(Signal signal) {
    return switch (signal) {
      case TRACES -> "ResourceSpans";
      case METRICS -> "ResourceMetrics";
      case LOGS -> "ResourceLogs";
    };
  }

  @Override
  public String toString() {
    return "EncodedResources{" + signal + ", " + size + " resources, " + itemCount + " items, " + requestBytes
        + " request bytes}";
  }

  /** Collects slices. */
  public static final class Builder {
    private final Signal signal;
    private byte[][] arrays;
    private int[] offsets;
    private int[] lengths;
    private int[] items;
    private int size;

    Builder(Signal signal, int capacity) {
      this.signal = signal;
      int c = Math.max(1, capacity);
      arrays = new byte[c][];
      offsets = new int[c];
      lengths = new int[c];
      items = new int[c];
    }

    /** Adds the resource message in {@code array[offset, offset + length)} holding {@code n} items. */
    public Builder add(byte[] array, int offset, int length, int n) {
      if (size == arrays.length) {
        int c = size * 2;
        arrays = Arrays.copyOf(arrays, c);
        offsets = Arrays.copyOf(offsets, c);
        lengths = Arrays.copyOf(lengths, c);
        items = Arrays.copyOf(items, c);
      }
      arrays[size] = array;
      offsets[size] = offset;
      lengths[size] = length;
      items[size] = n;
      size++;
      return this;
    }

    public EncodedResources build() {
      if (size == 0) {
        return empty(signal);
      }
      return new EncodedResources(signal, arrays, offsets, lengths, items, size);
    }
  }
}

package io.sluice.processor.tailsampling;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sampled spans waiting to leave a shard, gathered by tenant, resource and scope, and written as
 * one encoded {@code ExportTraceServiceRequest} per tenant: spans of one (interned) resource and
 * scope leave in one {@code ResourceSpans} and {@code ScopeSpans}, whichever trace and batch they
 * came from. The span bytes are written as they arrived.
 */
final class Output {
  /**
   * Attributes put on the scopes of sampled spans ({@code record_policy}): the encoded
   * {@code KeyValue}s, and their keys, so that a scope that already has them gets them replaced.
   */
  static final class Tag {
    final byte[] keyValues;
    final byte[][] keys;

    Tag(Map<String, Object> attributes) {
      List<byte[]> kvs = new ArrayList<>();
      keys = new byte[attributes.size()][];
      int i = 0;
      int size = 0;
      for (Map.Entry<String, Object> e : attributes.entrySet()) {
        byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
        keys[i++] = k;
        byte[] value;
        if (e.getValue() instanceof Boolean b) {
          value = new byte[] {2 << 3, (byte) (b ? 1 : 0)};
        } else {
          byte[] s = String.valueOf(e.getValue()).getBytes(StandardCharsets.UTF_8);
          value = new byte[Wire.lenFieldSize(s.length)];
          int p = Wire.writeLenHeader(value, 0, 1, s.length);
          System.arraycopy(s, 0, value, p, s.length);
        }
        int kvLen = Wire.lenFieldSize(k.length) + Wire.lenFieldSize(value.length);
        byte[] kv = new byte[Wire.lenFieldSize(kvLen)];
        int p = Wire.writeLenHeader(kv, 0, 3, kvLen); // InstrumentationScope.attributes
        p = Wire.writeLenHeader(kv, p, 1, k.length);
        System.arraycopy(k, 0, kv, p, k.length);
        p += k.length;
        p = Wire.writeLenHeader(kv, p, 2, value.length);
        System.arraycopy(value, 0, kv, p, value.length);
        kvs.add(kv);
        size += kv.length;
      }
      keyValues = new byte[size];
      int w = 0;
      for (byte[] kv : kvs) {
        System.arraycopy(kv, 0, keyValues, w, kv.length);
        w += kv.length;
      }
    }
  }

  private record ScopeKey(ScopeRef scope, Tag tag) {}

  private static final class Group {
    final List<byte[]> runs = new ArrayList<>(4);
    int spans;
  }

  /** tenant -> resource -> (scope, tag) -> runs, each in first-seen order. */
  private final Map<String, Map<ResourceRef, Map<ScopeKey, Group>>> byTenant = new LinkedHashMap<>();
  private int spans;
  /** Acknowledgements held until the requests drained next are taken by the next consumer. */
  private Ack[] acks = new Ack[8];
  private int ackCount;

  boolean isEmpty() {
    return spans == 0;
  }

  /** Holds {@code ack} until the requests that carry the spans added now are taken. */
  void hold(Ack ack) {
    if (ackCount == acks.length) {
      acks = java.util.Arrays.copyOf(acks, ackCount * 2);
    }
    ack.hold();
    acks[ackCount++] = ack;
  }

  /** Hands on holds already taken (a decided trace's). */
  void holdAll(Ack[] from, int n) {
    if (n == 0) {
      return;
    }
    if (ackCount + n > acks.length) {
      acks = java.util.Arrays.copyOf(acks, Math.max(acks.length * 2, ackCount + n));
    }
    System.arraycopy(from, 0, acks, ackCount, n);
    ackCount += n;
  }

  /** The holds gathered since the last call, to go with the requests drained with them; empties them. */
  Ack[] drainAcks() {
    if (ackCount == 0) {
      return NO_ACKS;
    }
    Ack[] out = java.util.Arrays.copyOf(acks, ackCount);
    java.util.Arrays.fill(acks, 0, ackCount, null);
    ackCount = 0;
    return out;
  }

  static final Ack[] NO_ACKS = new Ack[0];

  int spans() {
    return spans;
  }

  /** Adds a run of encoded span fields of one scope, with {@code count} spans. */
  void add(ScopeRef scope, Tag tag, byte[] run, int count) {
    Group g = byTenant.computeIfAbsent(scope.resource.tenant, t -> new IdentityHashMap<>())
        .computeIfAbsent(scope.resource, r -> new LinkedHashMap<>())
        .computeIfAbsent(new ScopeKey(scope, tag), k -> new Group());
    g.runs.add(run);
    g.spans += count;
    spans += count;
  }

  /** One request per tenant; empties this output. */
  List<Request> drain() {
    List<Request> out = new ArrayList<>(byTenant.size());
    for (Map.Entry<String, Map<ResourceRef, Map<ScopeKey, Group>>> t : byTenant.entrySet()) {
      out.add(write(t.getKey(), t.getValue()));
    }
    byTenant.clear();
    spans = 0;
    return out;
  }

  /** An encoded request for one tenant, with its span count. */
  record Request(String tenant, byte[] bytes, int spans) {}

  private static Request write(String tenant, Map<ResourceRef, Map<ScopeKey, Group>> resources) {
    // Sizes first, then one array.
    int total = 0;
    int count = 0;
    List<byte[]> scopeHeaders = new ArrayList<>();
    int[] resourceSizes = new int[resources.size()];
    int ri = 0;
    for (Map.Entry<ResourceRef, Map<ScopeKey, Group>> r : resources.entrySet()) {
      int rs = r.getKey().header.length;
      for (Map.Entry<ScopeKey, Group> s : r.getValue().entrySet()) {
        byte[] header = s.getKey().tag() == null ? s.getKey().scope().header : tagged(s.getKey());
        scopeHeaders.add(header);
        int ss = header.length;
        for (byte[] run : s.getValue().runs) {
          ss += run.length;
        }
        count += s.getValue().spans;
        rs += Wire.lenFieldSize(ss);
      }
      resourceSizes[ri++] = rs;
      total += Wire.lenFieldSize(rs);
    }
    byte[] out = new byte[total];
    int p = 0;
    int hi = 0;
    ri = 0;
    for (Map.Entry<ResourceRef, Map<ScopeKey, Group>> r : resources.entrySet()) {
      p = Wire.writeLenHeader(out, p, 1, resourceSizes[ri++]);
      byte[] rh = r.getKey().header;
      System.arraycopy(rh, 0, out, p, rh.length);
      p += rh.length;
      for (Map.Entry<ScopeKey, Group> s : r.getValue().entrySet()) {
        byte[] header = scopeHeaders.get(hi++);
        int ss = header.length;
        for (byte[] run : s.getValue().runs) {
          ss += run.length;
        }
        p = Wire.writeLenHeader(out, p, 2, ss);
        System.arraycopy(header, 0, out, p, header.length);
        p += header.length;
        for (byte[] run : s.getValue().runs) {
          System.arraycopy(run, 0, out, p, run.length);
          p += run.length;
        }
      }
    }
    return new Request(tenant, out, count);
  }

  /** The scope header with the tag's attributes in its {@code InstrumentationScope}, replacing same-key ones. */
  private static byte[] tagged(ScopeKey key) {
    ScopeRef s = key.scope();
    Tag tag = key.tag();
    byte[] h = s.header;
    byte[] scope;
    if (s.scopeOff < 0) {
      scope = tag.keyValues;
    } else {
      byte[] kept = new byte[s.scopeLen + tag.keyValues.length];
      int w = 0;
      int end = s.scopeOff + s.scopeLen;
      int p = s.scopeOff;
      Val probe = new Val();
      while (p < end) {
        int fieldStart = p;
        long t = Wire.varint(h, p, end);
        p = Wire.skipVarint(h, p);
        int wire = (int) t & 7;
        int after = Wire.skip(h, p, end, wire);
        boolean replaced = false;
        if ((int) (t >>> 3) == 3 && wire == Wire.LEN) {
          for (byte[] k : tag.keys) {
            if (probe.find(h, fieldStart, after - fieldStart, 3, k)) {
              replaced = true;
              break;
            }
          }
        }
        if (!replaced) {
          System.arraycopy(h, fieldStart, kept, w, after - fieldStart);
          w += after - fieldStart;
        }
        p = after;
      }
      System.arraycopy(tag.keyValues, 0, kept, w, tag.keyValues.length);
      scope = java.util.Arrays.copyOf(kept, w + tag.keyValues.length);
    }
    // The header with field 1 replaced (or added first when there was none).
    int headerRest = s.scopeOff < 0 ? h.length : h.length - (s.scopeOff + s.scopeLen - fieldStartOf(h, s.scopeOff));
    byte[] out = new byte[Wire.lenFieldSize(scope.length) + headerRest];
    int p = Wire.writeLenHeader(out, 0, 1, scope.length);
    System.arraycopy(scope, 0, out, p, scope.length);
    p += scope.length;
    if (s.scopeOff < 0) {
      System.arraycopy(h, 0, out, p, h.length);
    } else {
      int fieldStart = fieldStartOf(h, s.scopeOff);
      System.arraycopy(h, 0, out, p, fieldStart);
      p += fieldStart;
      int fieldEnd = s.scopeOff + s.scopeLen;
      System.arraycopy(h, fieldEnd, out, p, h.length - fieldEnd);
    }
    return out;
  }

  /** Where the field whose value starts at {@code valueOff} starts (its tag) in a header. */
  private static int fieldStartOf(byte[] h, int valueOff) {
    int p = 0;
    while (p < h.length) {
      int fieldStart = p;
      long t = Wire.varint(h, p, h.length);
      p = Wire.skipVarint(h, p);
      int wire = (int) t & 7;
      if (wire == Wire.LEN && Wire.skipVarint(h, p) == valueOff) {
        return fieldStart;
      }
      p = Wire.skip(h, p, h.length, wire);
    }
    throw new IllegalStateException("no field at " + valueOff);
  }
}

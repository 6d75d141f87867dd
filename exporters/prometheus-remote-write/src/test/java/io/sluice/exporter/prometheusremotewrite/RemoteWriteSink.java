package io.sluice.exporter.prometheusremotewrite;

import com.github.luben.zstd.ZstdInputStream;
import com.google.protobuf.CodedInputStream;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.xerial.snappy.Snappy;

/**
 * A remote-write receiver on loopback (a Vert.x HttpServer) that records each request and
 * answers as the test says. It decodes bodies on its own — the codecs' own readers and
 * {@link CodedInputStream} reading the field numbers of {@code prometheus.WriteRequest} — so it
 * checks the exporter's encoder rather than sharing its code.
 */
final class RemoteWriteSink implements AutoCloseable {
  record Sample(double value, long timestampMs, long startTimestampMs) {
    Sample(double value, long timestampMs) {
      this(value, timestampMs, 0);
    }
  }

  record Exemplar(Map<String, String> labels, double value, long timestampMs) {
  }

  /**
   * A decoded native histogram, its buckets expanded from spans and deltas to absolute counts by
   * bucket index ({@code positive}, {@code negative}, in index order).
   */
  record NativeHistogram(long count, double sum, int schema, double zeroThreshold, long zeroCount,
      Map<Integer, Long> positive, Map<Integer, Long> negative, int resetHint, long timestampMs,
      long startTimestampMs) {
  }

  /** A decoded TimeSeries; {@code labelOrder} keeps the names as they were on the wire. */
  record Series(Map<String, String> labels, List<String> labelOrder, List<Sample> samples, List<Exemplar> exemplars,
      Metadata metadata, List<NativeHistogram> histograms) {
    String name() {
      return labels.get("__name__");
    }
  }

  record Metadata(int type, String family, String help, String unit) {
  }

  record WriteRequest(List<Series> series, List<Metadata> metadata) {
    List<Series> named(String name) {
      return series.stream().filter(s -> name.equals(s.name())).toList();
    }
  }

  record Received(MultiMap headers, byte[] rawBody, int status) {
    byte[] body() {
      String enc = headers.get("Content-Encoding");
      try {
        return switch (enc == null ? "" : enc) {
          case "snappy" -> Snappy.uncompress(rawBody);
          case "zstd" -> {
            try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(rawBody))) {
              yield in.readAllBytes();
            }
          }
          default -> throw new AssertionError("unexpected Content-Encoding " + enc);
        };
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    boolean v2() {
      String type = headers.get("Content-Type");
      return type != null && type.contains("proto=io.prometheus.write.v2.Request");
    }

    WriteRequest decode() {
      if (v2()) {
        try {
          return parseV2(body());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      try {
        return parseWriteRequest(body());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  record Reply(int status, Map<String, String> headers, String body) {
    static Reply status(int status) {
      return new Reply(status, Map.of(), null);
    }

    Reply withHeader(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(status, h, body);
    }

    Reply withBody(String text) {
      return new Reply(status, headers, text);
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  final List<Long> arrivedNanos = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile IntFunction<Reply> behaviour = n -> Reply.status(204);
  private volatile IntFunction<Long> delayMs = n -> 0L;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final Vertx vertx;
  private final int port;
  private volatile HttpServer server;

  private RemoteWriteSink(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
  }

  static RemoteWriteSink start(Vertx vertx, int port) {
    RemoteWriteSink sink = new RemoteWriteSink(vertx, port);
    sink.up();
    return sink;
  }

  /** Listens (again) on the sink's port, keeping what was received so far. */
  void up() {
    HttpServer s = vertx.createHttpServer().requestHandler(this::handle);
    try {
      s.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    server = s;
  }

  /** Stops listening and closes every connection: the port refuses connections until {@link #up()}. */
  void down() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Request n (1-based) is answered by {@code behaviour}. */
  void behave(IntFunction<Reply> behaviour) {
    this.behaviour = behaviour;
  }

  /** Request n (1-based) is answered after {@code delayMs} milliseconds. */
  void delay(IntFunction<Long> delayMs) {
    this.delayMs = delayMs;
  }

  /** The most requests that were being answered at the same time. */
  int maxInFlight() {
    return maxInFlight.get();
  }

  int calls() {
    return calls.get();
  }

  private void handle(HttpServerRequest req) {
    MultiMap headers = HttpHeaders.headers().addAll(req.headers());
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    req.body().onSuccess(body -> {
      int n = calls.incrementAndGet();
      Reply r = behaviour.apply(n);
      received.add(new Received(headers, body.getBytes(), r.status()));
      arrivedNanos.add(System.nanoTime());
      long wait = delayMs.apply(n);
      if (wait > 0) {
        vertx.setTimer(wait, t -> reply(req, r));
      } else {
        reply(req, r);
      }
    });
  }

  private void reply(HttpServerRequest req, Reply r) {
    inFlight.decrementAndGet();
    if (req.response().closed()) {
      return; // the client gave up on this request (a timeout) and closed the connection
    }
    var resp = req.response().setStatusCode(r.status());
    r.headers().forEach(resp::putHeader);
    if (r.body() != null) {
      resp.putHeader("Content-Type", "text/plain").end(r.body());
    } else {
      resp.end();
    }
  }

  /**
   * The requests answered 2xx, in arrival order, each body once: a resend of a request the sink
   * had already received (its answer lost to a timeout or a closed connection) is byte for byte
   * the same and is left out.
   */
  List<Received> distinctAccepted() {
    List<Received> out = new ArrayList<>();
    java.util.Set<java.nio.ByteBuffer> seen = new java.util.HashSet<>();
    for (Received r : received) {
      if (r.status() >= 200 && r.status() < 300 && seen.add(java.nio.ByteBuffer.wrap(r.rawBody()))) {
        out.add(r);
      }
    }
    return out;
  }

  /** Requests answered 2xx whose body an earlier one already carried. */
  int resent() {
    int accepted = 0;
    for (Received r : received) {
      if (r.status() >= 200 && r.status() < 300) {
        accepted++;
      }
    }
    return accepted - distinctAccepted().size();
  }

  /**
   * The sample timestamps of every series of {@code metric}, keyed by the value of its label
   * {@code key}, in the order they arrived (requests in {@code requests}' order).
   */
  static Map<String, List<Long>> timestamps(List<Received> requests, String metric, String key) {
    Map<String, List<Long>> out = new java.util.TreeMap<>();
    for (Received r : requests) {
      for (Series s : r.decode().named(metric)) {
        List<Long> ts = out.computeIfAbsent(s.labels().get(key), k -> new ArrayList<>());
        s.samples().forEach(x -> ts.add(x.timestampMs()));
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }

  // --- an independent reader of prometheus.WriteRequest, by field numbers ---

  static WriteRequest parseWriteRequest(byte[] body) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(body);
    List<Series> series = new ArrayList<>();
    List<Metadata> metadata = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) | 2 -> series.add(parseSeries(in.readByteArray()));
        case (3 << 3) | 2 -> metadata.add(parseMetadata(in.readByteArray()));
        default -> throw new AssertionError("unexpected WriteRequest tag " + tag);
      }
    }
    return new WriteRequest(series, metadata);
  }

  private static Series parseSeries(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    Map<String, String> labels = new LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    List<Exemplar> exemplars = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) | 2 -> {
          String[] l = parseLabel(in.readByteArray());
          if (labels.put(l[0], l[1]) != null) {
            throw new AssertionError("duplicate label " + l[0]);
          }
          order.add(l[0]);
        }
        case (2 << 3) | 2 -> {
          CodedInputStream s = CodedInputStream.newInstance(in.readByteArray());
          double v = 0;
          long ts = 0;
          for (int t = s.readTag(); t != 0; t = s.readTag()) {
            switch (t) {
              case (1 << 3) | 1 -> v = s.readDouble();
              case (2 << 3) -> ts = s.readInt64();
              default -> throw new AssertionError("unexpected Sample tag " + t);
            }
          }
          samples.add(new Sample(v, ts));
        }
        case (3 << 3) | 2 -> {
          CodedInputStream s = CodedInputStream.newInstance(in.readByteArray());
          Map<String, String> el = new LinkedHashMap<>();
          double v = 0;
          long ts = 0;
          for (int t = s.readTag(); t != 0; t = s.readTag()) {
            switch (t) {
              case (1 << 3) | 2 -> {
                String[] l = parseLabel(s.readByteArray());
                el.put(l[0], l[1]);
              }
              case (2 << 3) | 1 -> v = s.readDouble();
              case (3 << 3) -> ts = s.readInt64();
              default -> throw new AssertionError("unexpected Exemplar tag " + t);
            }
          }
          exemplars.add(new Exemplar(el, v, ts));
        }
        default -> throw new AssertionError("unexpected TimeSeries tag " + tag);
      }
    }
    return new Series(labels, order, samples, exemplars, null, List.of());
  }

  private static String[] parseLabel(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    String name = "";
    String value = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) | 2 -> name = in.readStringRequireUtf8();
        case (2 << 3) | 2 -> value = in.readStringRequireUtf8();
        default -> throw new AssertionError("unexpected Label tag " + tag);
      }
    }
    return new String[] {name, value};
  }

  private static Metadata parseMetadata(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    int type = 0;
    String family = "";
    String help = "";
    String unit = "";
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) -> type = in.readEnum();
        case (2 << 3) | 2 -> family = in.readStringRequireUtf8();
        case (4 << 3) | 2 -> help = in.readStringRequireUtf8();
        case (5 << 3) | 2 -> unit = in.readStringRequireUtf8();
        default -> throw new AssertionError("unexpected MetricMetadata tag " + tag);
      }
    }
    return new Metadata(type, family, help, unit);
  }
  // --- an independent reader of io.prometheus.write.v2.Request, by field numbers ---

  static WriteRequest parseV2(byte[] body) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(body);
    List<String> symbols = new ArrayList<>();
    List<byte[]> rawSeries = new ArrayList<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (4 << 3) | 2 -> symbols.add(in.readStringRequireUtf8());
        case (5 << 3) | 2 -> rawSeries.add(in.readByteArray());
        default -> throw new AssertionError("unexpected v2 Request tag " + tag);
      }
    }
    if (new java.util.HashSet<>(symbols).size() != symbols.size()) {
      throw new AssertionError("symbols are not deduplicated: " + symbols);
    }
    if (symbols.isEmpty() || !symbols.get(0).isEmpty()) {
      throw new AssertionError("symbols[0] must be \"\", got " + symbols);
    }
    List<Series> series = new ArrayList<>();
    List<Metadata> metadata = new ArrayList<>();
    for (byte[] raw : rawSeries) {
      Series s = parseV2Series(raw, symbols);
      series.add(s);
      if (s.metadata() != null) {
        metadata.add(s.metadata());
      }
    }
    return new WriteRequest(series, metadata);
  }

  private static List<Integer> readPacked(CodedInputStream in) throws IOException {
    List<Integer> refs = new ArrayList<>();
    int limit = in.pushLimit(in.readRawVarint32());
    while (in.getBytesUntilLimit() > 0) {
      refs.add(in.readUInt32());
    }
    in.popLimit(limit);
    return refs;
  }

  private static Map<String, String> resolve(List<Integer> refs, List<String> symbols, List<String> order) {
    if (refs.size() % 2 != 0) {
      throw new AssertionError("labels_refs of odd length " + refs);
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i < refs.size(); i += 2) {
      String name = symbols.get(refs.get(i));
      labels.put(name, symbols.get(refs.get(i + 1)));
      order.add(name);
    }
    return labels;
  }

  private static NativeHistogram parseHistogram(byte[] bytes) throws IOException {
    CodedInputStream h = CodedInputStream.newInstance(bytes);
    long count = -1;
    double sum = 0;
    int schema = 0;
    double zt = 0;
    long zc = -1;
    List<int[]> pos = new ArrayList<>();
    List<int[]> neg = new ArrayList<>();
    List<Long> posDeltas = new ArrayList<>();
    List<Long> negDeltas = new ArrayList<>();
    int reset = 0;
    long ts = 0;
    long start = 0;
    for (int t = h.readTag(); t != 0; t = h.readTag()) {
      switch (t) {
        case (1 << 3) -> count = h.readUInt64();
        case (3 << 3) | 1 -> sum = h.readDouble();
        case (4 << 3) -> schema = h.readSInt32();
        case (5 << 3) | 1 -> zt = h.readDouble();
        case (6 << 3) -> zc = h.readUInt64();
        case (8 << 3) | 2 -> neg.add(parseSpan(h.readByteArray()));
        case (9 << 3) | 2 -> negDeltas.addAll(readPackedSInt64(h));
        case (11 << 3) | 2 -> pos.add(parseSpan(h.readByteArray()));
        case (12 << 3) | 2 -> posDeltas.addAll(readPackedSInt64(h));
        case (14 << 3) -> reset = h.readEnum();
        case (15 << 3) -> ts = h.readInt64();
        case (17 << 3) -> start = h.readInt64();
        default -> throw new AssertionError("unexpected v2 Histogram tag " + t + " (integer histograms only)");
      }
    }
    if (count < 0 || zc < 0) {
      throw new AssertionError("count_int and zero_count_int must be present");
    }
    return new NativeHistogram(count, sum, schema, zt, zc, expand(pos, posDeltas), expand(neg, negDeltas), reset, ts,
        start);
  }

  private static int[] parseSpan(byte[] bytes) throws IOException {
    CodedInputStream s = CodedInputStream.newInstance(bytes);
    int offset = 0;
    int length = 0;
    for (int t = s.readTag(); t != 0; t = s.readTag()) {
      switch (t) {
        case (1 << 3) -> offset = s.readSInt32();
        case (2 << 3) -> length = s.readUInt32();
        default -> throw new AssertionError("unexpected BucketSpan tag " + t);
      }
    }
    return new int[] {offset, length};
  }

  private static List<Long> readPackedSInt64(CodedInputStream in) throws IOException {
    List<Long> out = new ArrayList<>();
    int limit = in.pushLimit(in.readRawVarint32());
    while (in.getBytesUntilLimit() > 0) {
      out.add(in.readSInt64());
    }
    in.popLimit(limit);
    return out;
  }

  /** Spans and deltas to absolute counts by bucket index. */
  private static Map<Integer, Long> expand(List<int[]> spans, List<Long> deltas) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    int index = 0;
    int d = 0;
    long count = 0;
    for (int i = 0; i < spans.size(); i++) {
      index += spans.get(i)[0];
      for (int j = 0; j < spans.get(i)[1]; j++) {
        count += deltas.get(d++);
        out.put(index, count);
        index++;
      }
    }
    if (d != deltas.size()) {
      throw new AssertionError("spans cover " + d + " buckets but there are " + deltas.size() + " deltas");
    }
    return out;
  }

  private static Series parseV2Series(byte[] bytes, List<String> symbols) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    Map<String, String> labels = Map.of();
    List<String> order = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    List<Exemplar> exemplars = new ArrayList<>();
    List<NativeHistogram> histograms = new ArrayList<>();
    Metadata md = null;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (tag) {
        case (1 << 3) | 2 -> labels = resolve(readPacked(in), symbols, order);
        case (3 << 3) | 2 -> histograms.add(parseHistogram(in.readByteArray()));
        case (2 << 3) | 2 -> {
          CodedInputStream s = CodedInputStream.newInstance(in.readByteArray());
          double v = 0;
          long ts = 0;
          long start = 0;
          for (int t = s.readTag(); t != 0; t = s.readTag()) {
            switch (t) {
              case (1 << 3) | 1 -> v = s.readDouble();
              case (2 << 3) -> ts = s.readInt64();
              case (3 << 3) -> start = s.readInt64();
              default -> throw new AssertionError("unexpected v2 Sample tag " + t);
            }
          }
          samples.add(new Sample(v, ts, start));
        }
        case (4 << 3) | 2 -> {
          CodedInputStream s = CodedInputStream.newInstance(in.readByteArray());
          Map<String, String> el = Map.of();
          double v = 0;
          long ts = 0;
          for (int t = s.readTag(); t != 0; t = s.readTag()) {
            switch (t) {
              case (1 << 3) | 2 -> el = resolve(readPacked(s), symbols, new ArrayList<>());
              case (2 << 3) | 1 -> v = s.readDouble();
              case (3 << 3) -> ts = s.readInt64();
              default -> throw new AssertionError("unexpected v2 Exemplar tag " + t);
            }
          }
          exemplars.add(new Exemplar(el, v, ts));
        }
        case (5 << 3) | 2 -> {
          CodedInputStream s = CodedInputStream.newInstance(in.readByteArray());
          int type = 0;
          int help = 0;
          int unit = 0;
          for (int t = s.readTag(); t != 0; t = s.readTag()) {
            switch (t) {
              case (1 << 3) -> type = s.readEnum();
              case (3 << 3) -> help = s.readUInt32();
              case (4 << 3) -> unit = s.readUInt32();
              default -> throw new AssertionError("unexpected v2 Metadata tag " + t);
            }
          }
          md = new Metadata(type, labels.getOrDefault("__name__", ""), symbols.get(help), symbols.get(unit));
        }
        default -> throw new AssertionError("unexpected v2 TimeSeries tag " + tag);
      }
    }
    return new Series(labels, order, samples, exemplars, md, histograms);
  }
}

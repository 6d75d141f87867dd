package io.sluice.perf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.xerial.snappy.Snappy;

/**
 * The far end of the scrape benchmark: a Prometheus remote-write 1.0 receiver on loopback that
 * answers 204 and counts what each {@link Scraper} writes (each writes to its own path,
 * {@link Scraper#writePath()}).
 *
 * <p>Bodies are snappy-decompressed and the {@code WriteRequest} is walked with protobuf's
 * {@link CodedInputStream} by field number, without building message objects: samples (staleness
 * markers apart), series, metadata, native histograms and exemplars are counted, each series'
 * labels are hashed (distinct series, and whether labels come sorted), and samples whose timestamp
 * falls in a window are counted to compare with the scrapes made in it. A failed decode or missing
 * remote-write header counts as invalid; the answer is then 400.
 */
final class RemoteWriteSink implements AutoCloseable {
  static final long STALE_NAN_BITS = 0x7ff0000000000002L;
  /** Distinct series are tracked up to this many per scraper. */
  private static final int MAX_TRACKED_SERIES = 5_000_000;
  private static final byte[] NAME = "__name__".getBytes(StandardCharsets.UTF_8);
  private static final byte[] UP = "up".getBytes(StandardCharsets.UTF_8);
  private static final byte[] INSTANCE = "instance".getBytes(StandardCharsets.UTF_8);

  /** What one scraper wrote. Updated on the sink's event loop; read by the runner, both under the lock. */
  static final class Stats {
    private long requests;
    private long compressedBytes;
    private long rawBytes;
    private long series;
    private long samples;
    private long stale;
    private long metadata;
    private long histograms;
    private long exemplars;
    private long upZero;
    private long unsorted;
    private long invalid;
    private String firstProblem;
    private final Set<Long> distinct = new HashSet<>();
    private final Set<String> probeSeries = new TreeSet<>();
    private final Set<String> probeStale = new TreeSet<>();
    private byte[] probeInstance = new byte[0];
    private long windowFrom = Long.MAX_VALUE;
    private long windowTo = Long.MAX_VALUE;
    private long windowSamples;
    private long windowUp;
    private long windowUpZero;
    private boolean recordingDelay;
    private final Histogram delay = new Histogram(TimeUnit.HOURS.toMillis(1), 3);

    /** Also keeps the label sets of every series of this instance ({@code host:port}), to compare scrapers. */
    synchronized void probe(String instance) {
      probeInstance = instance.getBytes(StandardCharsets.UTF_8);
      probeSeries.clear();
      probeStale.clear();
    }

    /** Counts samples timestamped in [fromMillis, toMillis) from now on (forgets earlier counts). */
    synchronized void window(long fromMillis, long toMillis) {
      windowFrom = fromMillis;
      windowTo = toMillis;
      windowSamples = 0;
      windowUp = 0;
      windowUpZero = 0;
    }

    /** Ends the window at {@code toMillis}: samples timestamped later are not counted in it. */
    synchronized void closeWindow(long toMillis) {
      windowTo = toMillis;
    }

    /** Starts or stops recording, for each sample as it arrives, how long ago it was scraped. */
    synchronized void recordDelay(boolean on) {
      if (on) {
        delay.reset();
      }
      recordingDelay = on;
    }

    synchronized Snapshot snapshot() {
      return new Snapshot(requests, compressedBytes, rawBytes, series, samples, stale, metadata, histograms,
          exemplars, upZero, unsorted, invalid, firstProblem, distinct.size(), windowSamples, windowUp, windowUpZero,
          delay.copy(),
          new TreeSet<>(probeSeries), new TreeSet<>(probeStale));
    }

    private synchronized void problem(String p) {
      invalid++;
      if (firstProblem == null) {
        firstProblem = p;
      }
    }
  }

  /**
   * @param samples samples that are not staleness markers
   * @param stale staleness markers
   * @param upZero samples of {@code up} with value 0 (failed scrapes)
   * @param unsorted series whose labels were not sorted by name, or repeated a name
   * @param distinctSeries distinct label sets seen
   * @param windowSamples samples (markers apart) timestamped within the window
   * @param windowUp samples of {@code up} timestamped within the window: one per scrape
   * @param windowUpZero those of them with value 0: failed scrapes
   * @param delay arrival time minus sample timestamp, in ms, of the samples that arrived while recording
   * @param probeSeries label sets of the probed instance, as {@code {a="x", b="y"}}
   * @param probeStale those of them that were sent a staleness marker
   */
  record Snapshot(long requests, long compressedBytes, long rawBytes, long series, long samples, long stale,
      long metadata, long histograms, long exemplars, long upZero, long unsorted, long invalid, String firstProblem,
      long distinctSeries, long windowSamples, long windowUp, long windowUpZero, Histogram delay,
      Set<String> probeSeries, Set<String> probeStale) {}

  private final HttpServer server;
  private final Map<Scraper, Stats> stats;

  private RemoteWriteSink(HttpServer server, Map<Scraper, Stats> stats) {
    this.server = server;
    this.stats = stats;
  }

  static RemoteWriteSink start(Vertx vertx) throws Exception {
    Map<Scraper, Stats> stats = new EnumMap<>(Scraper.class);
    for (Scraper s : Scraper.values()) {
      stats.put(s, new Stats());
    }
    HttpServer server = vertx.createHttpServer();
    server.requestHandler(req -> handle(req, stats));
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return new RemoteWriteSink(server, stats);
  }

  int port() {
    return server.actualPort();
  }

  /** The remote-write URL for {@code who}. */
  String url(Scraper who) {
    return "http://127.0.0.1:" + port() + who.writePath();
  }

  Stats stats(Scraper who) {
    return stats.get(who);
  }

  private static void handle(HttpServerRequest req, Map<Scraper, Stats> stats) {
    Scraper who = null;
    for (Scraper s : Scraper.values()) {
      if (req.path().equals(s.writePath())) {
        who = s;
      }
    }
    if (who == null || req.method() != io.vertx.core.http.HttpMethod.POST) {
      req.response().setStatusCode(404).end();
      return;
    }
    Stats st = stats.get(who);
    String headerProblem = headerProblem(req);
    req.body().onComplete(ar -> {
      if (ar.failed()) {
        st.problem("reading the body failed: " + ar.cause());
        req.response().setStatusCode(400).end();
        return;
      }
      if (headerProblem != null) {
        st.problem(headerProblem);
        req.response().setStatusCode(400).end();
        return;
      }
      byte[] compressed = ar.result().getBytes();
      try {
        byte[] raw = Snappy.uncompress(compressed);
        long now = System.currentTimeMillis();
        synchronized (st) {
          st.requests++;
          st.compressedBytes += compressed.length;
          st.rawBytes += raw.length;
          decode(raw, st, now);
        }
        req.response().setStatusCode(204).end();
      } catch (IOException | RuntimeException e) {
        st.problem("cannot decode a write request: " + e);
        req.response().setStatusCode(400).end();
      }
    });
  }

  private static String headerProblem(HttpServerRequest req) {
    String encoding = req.getHeader("Content-Encoding");
    String type = req.getHeader("Content-Type");
    String version = req.getHeader("X-Prometheus-Remote-Write-Version");
    if (!"snappy".equals(encoding)) {
      return "Content-Encoding is " + encoding + ", not snappy";
    }
    if (type == null || !type.startsWith("application/x-protobuf")) {
      return "Content-Type is " + type + ", not application/x-protobuf";
    }
    if (version == null || !version.startsWith("0.1.")) {
      return "X-Prometheus-Remote-Write-Version is " + version + ", not 0.1.0";
    }
    return null;
  }

  /** Per-series scratch space, reused. */
  private static final class Scratch {
    double[] values = new double[16];
    long[] timestamps = new long[16];
    /** Offsets and lengths of each label's name and value in the body: from, length, from, length. */
    int[] labels = new int[4 * 32];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** Walks a WriteRequest: timeseries = 1, metadata = 3. Caller holds the lock on {@code st}. */
  private static void decode(byte[] raw, Stats st, long now) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(raw);
    Scratch scratch = SCRATCH.get();
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (tag) {
        case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          timeSeries(raw, in, st, now, scratch);
          in.popLimit(limit);
        }
        case (3 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          st.metadata++;
          in.skipField(tag);
        }
        default -> in.skipField(tag);
      }
    }
  }

  /** TimeSeries: labels = 1, samples = 2, exemplars = 3, histograms = 4. */
  private static void timeSeries(byte[] raw, CodedInputStream in, Stats st, long now, Scratch scratch)
      throws IOException {
    long hash = 0xcbf29ce484222325L;
    boolean isUp = false;
    boolean isProbe = false;
    boolean sorted = true;
    int prevNameFrom = -1;
    int prevNameLength = 0;
    int labelCount = 0;
    int n = 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (tag) {
        case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int length = in.readRawVarint32();
          // Label: name = 1, value = 2, read straight from the array
          int nameFrom = 0;
          int nameLength = 0;
          int valueFrom = 0;
          int valueLength = 0;
          int limit = in.pushLimit(length);
          int t;
          while ((t = in.readTag()) != 0) {
            if (t == ((1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
              nameLength = in.readRawVarint32();
              nameFrom = in.getTotalBytesRead();
              in.skipRawBytes(nameLength);
            } else if (t == ((2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
              valueLength = in.readRawVarint32();
              valueFrom = in.getTotalBytesRead();
              in.skipRawBytes(valueLength);
            } else {
              in.skipField(t);
            }
          }
          in.popLimit(limit);
          hash = fnv(fnv(hash, raw, nameFrom, nameLength) ^ 0xff, raw, valueFrom, valueLength) * 0x100000001b3L;
          if (prevNameFrom >= 0 && Arrays.compareUnsigned(raw, prevNameFrom, prevNameFrom + prevNameLength,
              raw, nameFrom, nameFrom + nameLength) >= 0) {
            sorted = false;
          }
          prevNameFrom = nameFrom;
          prevNameLength = nameLength;
          if (4 * labelCount + 4 > scratch.labels.length) {
            scratch.labels = Arrays.copyOf(scratch.labels, scratch.labels.length * 2);
          }
          scratch.labels[4 * labelCount] = nameFrom;
          scratch.labels[4 * labelCount + 1] = nameLength;
          scratch.labels[4 * labelCount + 2] = valueFrom;
          scratch.labels[4 * labelCount + 3] = valueLength;
          labelCount++;
          if (equals(raw, nameFrom, nameLength, NAME) && equals(raw, valueFrom, valueLength, UP)) {
            isUp = true;
          }
          if (equals(raw, nameFrom, nameLength, INSTANCE) && equals(raw, valueFrom, valueLength, st.probeInstance)) {
            isProbe = true;
          }
        }
        case (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          int limit = in.pushLimit(in.readRawVarint32());
          double value = 0;
          long timestamp = 0;
          int t;
          while ((t = in.readTag()) != 0) {
            if (t == ((1 << 3) | WireFormat.WIRETYPE_FIXED64)) {
              value = in.readDouble();
            } else if (t == ((2 << 3) | WireFormat.WIRETYPE_VARINT)) {
              timestamp = in.readInt64();
            } else {
              in.skipField(t);
            }
          }
          in.popLimit(limit);
          if (n == scratch.values.length) {
            scratch.values = Arrays.copyOf(scratch.values, n * 2);
            scratch.timestamps = Arrays.copyOf(scratch.timestamps, n * 2);
          }
          scratch.values[n] = value;
          scratch.timestamps[n] = timestamp;
          n++;
        }
        case (3 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          st.exemplars++;
          in.skipField(tag);
        }
        case (4 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          st.histograms++;
          in.skipField(tag);
        }
        default -> in.skipField(tag);
      }
    }
    st.series++;
    if (!sorted) {
      st.unsorted++;
    }
    if (st.distinct.size() < MAX_TRACKED_SERIES) {
      st.distinct.add(hash);
    }
    String text = isProbe ? labelText(raw, scratch.labels, labelCount) : null;
    if (isProbe) {
      st.probeSeries.add(text);
    }
    for (int i = 0; i < n; i++) {
      double v = scratch.values[i];
      long ts = scratch.timestamps[i];
      if (Double.doubleToRawLongBits(v) == STALE_NAN_BITS) {
        st.stale++;
        if (isProbe) {
          st.probeStale.add(text);
        }
        continue;
      }
      st.samples++;
      if (ts >= st.windowFrom && ts < st.windowTo) {
        st.windowSamples++;
        if (isUp) {
          st.windowUp++;
          if (v == 0) {
            st.windowUpZero++;
          }
        }
      }
      if (st.recordingDelay) {
        st.delay.recordValue(Math.max(0, Math.min(now - ts, st.delay.getHighestTrackableValue())));
      }
      if (isUp && v == 0) {
        st.upZero++;
      }
    }
  }

  /** {@code {a="x", b="y"}} from the label offsets the walk noted. */
  private static String labelText(byte[] raw, int[] labels, int count) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(new String(raw, labels[4 * i], labels[4 * i + 1], StandardCharsets.UTF_8)).append("=\"")
          .append(new String(raw, labels[4 * i + 2], labels[4 * i + 3], StandardCharsets.UTF_8)).append('"');
    }
    return sb.append('}').toString();
  }

  private static long fnv(long hash, byte[] b, int from, int length) {
    long h = hash;
    for (int i = from; i < from + length; i++) {
      h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  private static boolean equals(byte[] b, int from, int length, byte[] what) {
    return length == what.length && Arrays.equals(b, from, from + length, what, 0, what.length);
  }

  @Override
  public void close() {
    server.close();
  }
}

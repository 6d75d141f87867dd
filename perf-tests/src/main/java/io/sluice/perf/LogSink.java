package io.sluice.perf;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.xerial.snappy.Snappy;

/**
 * The far end of the logs benchmark, on loopback: a counting Loki ({@code POST /loki/api/v1/push},
 * protobuf {@code PushRequest} with snappy, answered 204) and a counting OTLP/HTTP logs receiver
 * ({@code POST /v1/logs}, protobuf, gzip or not, answered 200 with an empty response).
 *
 * <p>Requests are walked by protobuf field number on the raw bytes, without message objects: every
 * Loki entry's {@code line}, every OTLP record's string {@code body}, is counted and hashed with
 * {@link AccessLogFiles#lineHash}; the hashes are summed, so the runner compares the sum with the
 * written files' and knows whether every line arrived exactly once. Loki stream label sets are kept
 * (a few hundred at most) to show what streams the exporter made. A request that does not decode
 * counts as invalid and is answered 400.
 */
final class LogSink implements AutoCloseable {
  static final String LOKI_PATH = "/loki/api/v1/push";
  static final String OTLP_PATH = "/v1/logs";
  private static final int MAX_STREAMS_KEPT = 500;

  private final Vertx vertx;
  private final HttpServer server;
  // Updated on the server's event loop, read by the runner: under this object's lock.
  private long requests;
  private long lines;
  private long lineBytes;
  private long checksum;
  private long nonStringBodies;
  private long invalid;
  private String firstProblem;
  private final Set<String> streams = new HashSet<>();

  private LogSink(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  static LogSink start() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(InetAddress.getLoopbackAddress().getHostAddress()).setPort(0).setDecompressionSupported(true));
    LogSink sink = new LogSink(vertx, server);
    server.requestHandler(sink::handle);
    server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return sink;
  }

  int port() {
    return server.actualPort();
  }

  /** Counters so far, read together. */
  record Counts(long requests, long lines, long lineBytes, long checksum, long nonStringBodies, long invalid) {
    Counts minus(Counts o) {
      return new Counts(requests - o.requests, lines - o.lines, lineBytes - o.lineBytes, checksum - o.checksum,
          nonStringBodies - o.nonStringBodies, invalid - o.invalid);
    }
  }

  synchronized Counts counts() {
    return new Counts(requests, lines, lineBytes, checksum, nonStringBodies, invalid);
  }

  synchronized String firstProblem() {
    return firstProblem;
  }

  /** The Loki label sets seen since the last call (at most {@value #MAX_STREAMS_KEPT}), and forgets them. */
  synchronized Set<String> takeStreams() {
    Set<String> out = Set.copyOf(streams);
    streams.clear();
    return out;
  }

  private void handle(HttpServerRequest req) {
    boolean loki = req.path().equals(LOKI_PATH);
    if (!loki && !req.path().equals(OTLP_PATH)) {
      req.response().setStatusCode(404).end();
      return;
    }
    req.body().onSuccess(body -> {
      try {
        if (loki) {
          byte[] raw = Snappy.uncompress(body.getBytes());
          walkPush(raw);
          req.response().setStatusCode(204).end();
        } else {
          walkExportLogs(body.getBytes());
          req.response().setStatusCode(200).putHeader("Content-Type", "application/x-protobuf").end(Buffer.buffer());
        }
      } catch (IOException | RuntimeException e) {
        synchronized (this) {
          invalid++;
          if (firstProblem == null) {
            firstProblem = req.path() + ": " + e;
          }
        }
        req.response().setStatusCode(400).end();
      }
    }).onFailure(e -> req.response().setStatusCode(500).end());
  }

  // ---- protobuf walking ----------------------------------------------------------------------------

  /** A position in a message's bytes, reading varints and length-delimited fields. */
  private static final class Reader {
    final byte[] b;
    int pos;
    final int end;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() throws IOException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IOException("truncated varint");
        }
        byte x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if (x >= 0) {
          return v;
        }
      }
      throw new IOException("malformed varint");
    }

    /** After a tag of wire type 2: the field's length, checked against the end. */
    int length() throws IOException {
      long n = varint();
      if (n < 0 || n > end - pos) {
        throw new IOException("length " + n + " past the end of the message");
      }
      return (int) n;
    }

    void skip(int wireType) throws IOException {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int n = length(); // not "pos += length()": that would add to pos as it was before the length
          pos += n;
        }
        case 5 -> pos += 4;
        default -> throw new IOException("unsupported wire type " + wireType);
      }
      if (pos > end) {
        throw new IOException("field past the end of the message");
      }
    }
  }

  /** logproto.PushRequest: streams = 1 → StreamAdapter{labels = 1, entries = 2 → EntryAdapter{line = 2}}. */
  private void walkPush(byte[] raw) throws IOException {
    long n = 0;
    long bytes = 0;
    long sum = 0;
    Set<String> labelSets = new HashSet<>();
    Reader push = new Reader(raw, 0, raw.length);
    while (push.more()) {
      long tag = push.varint();
      if (tag != ((1 << 3) | 2)) {
        push.skip((int) (tag & 7));
        continue;
      }
      int len = push.length();
      Reader stream = new Reader(raw, push.pos, push.pos + len);
      push.pos += len;
      while (stream.more()) {
        long t = stream.varint();
        int field = (int) (t >>> 3);
        if (field == 1 && (t & 7) == 2) {
          int l = stream.length();
          labelSets.add(new String(raw, stream.pos, l, java.nio.charset.StandardCharsets.UTF_8));
          stream.pos += l;
        } else if (field == 2 && (t & 7) == 2) {
          int l = stream.length();
          Reader entry = new Reader(raw, stream.pos, stream.pos + l);
          stream.pos += l;
          while (entry.more()) {
            long et = entry.varint();
            if (et == ((2 << 3) | 2)) {
              int ll = entry.length();
              sum += AccessLogFiles.lineHash(raw, entry.pos, ll);
              bytes += ll;
              n++;
              entry.pos += ll;
            } else {
              entry.skip((int) (et & 7));
            }
          }
        } else {
          stream.skip((int) (t & 7));
        }
      }
    }
    synchronized (this) {
      requests++;
      lines += n;
      lineBytes += bytes;
      checksum += sum;
      for (String s : labelSets) {
        if (streams.size() < MAX_STREAMS_KEPT) {
          streams.add(s);
        }
      }
    }
  }

  /**
   * ExportLogsServiceRequest: resource_logs = 1 → ResourceLogs{scope_logs = 2 →
   * ScopeLogs{log_records = 2 → LogRecord{body = 5 → AnyValue{string_value = 1}}}}.
   */
  private void walkExportLogs(byte[] raw) throws IOException {
    long[] acc = new long[4]; // lines, bytes, checksum, non-string bodies
    Reader req = new Reader(raw, 0, raw.length);
    while (req.more()) {
      Reader rl = child(req, 1);
      while (rl != null && rl.more()) {
        Reader sl = child(rl, 2);
        while (sl != null && sl.more()) {
          Reader rec = child(sl, 2);
          if (rec != null) {
            record(rec, acc);
          }
        }
      }
    }
    synchronized (this) {
      requests++;
      lines += acc[0];
      lineBytes += acc[1];
      checksum += acc[2];
      nonStringBodies += acc[3];
    }
  }

  /** The next field of {@code r}: a reader over it when it is field {@code field} (length-delimited), else skips it. */
  private static Reader child(Reader r, int field) throws IOException {
    long t = r.varint();
    if (t == ((field << 3) | 2)) {
      int l = r.length();
      Reader c = new Reader(r.b, r.pos, r.pos + l);
      r.pos += l;
      return c;
    }
    r.skip((int) (t & 7));
    return null;
  }

  private static void record(Reader rec, long[] acc) throws IOException {
    boolean string = false;
    while (rec.more()) {
      Reader body = child(rec, 5);
      while (body != null && body.more()) {
        long t = body.varint();
        if (t == ((1 << 3) | 2)) {
          int l = body.length();
          acc[1] += l;
          acc[2] += AccessLogFiles.lineHash(body.b, body.pos, l);
          body.pos += l;
          string = true;
        } else {
          body.skip((int) (t & 7));
        }
      }
    }
    acc[0]++;
    if (!string) {
      acc[3]++;
    }
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

package io.sluice.perf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The far end of the pipeline: an OTLP/gRPC trace server on loopback that counts the spans it is
 * sent and, while latency recording is on, records for every stamped resource how long ago the
 * load generator intended to send it.
 *
 * <p>Requests are not decoded into objects: a scan over the wire format counts spans and reads the
 * {@value TraceRequests#STAMP_KEY} resource attribute, so the sink costs little CPU. Every
 * {@value #VALIDATE_EVERY}th request is also decoded in full and its span count compared with the
 * scan's, to catch a gateway that sends something other than valid OTLP.
 *
 * <p>Compressed requests are accepted: the gRPC server decompresses gzip (its default decompressor
 * registry), and the sink counts requests by their {@code grpc-encoding} header, so a report can
 * show that a gateway's default compression was really used.
 */
final class TraceSink implements AutoCloseable {
  static final int VALIDATE_EVERY = 8;
  private static final long HIGHEST_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(10);
  private static final byte[] STAMP_KEY = TraceRequests.STAMP_KEY.getBytes(StandardCharsets.UTF_8);
  private static final Metadata.Key<String> ENCODING = Metadata.Key.of("grpc-encoding",
      Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;
  private final LongAdder spans = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder invalid = new LongAdder();
  private final LongAdder validated = new LongAdder();
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final Recorder latency = new Recorder(HIGHEST_LATENCY_NANOS, 3);
  private final LongAdder stamped = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> byEncoding = new ConcurrentHashMap<>();
  private volatile boolean recording;
  private volatile long stampBase;
  private volatile long windowFrom;
  private volatile long windowTo;

  private TraceSink(Server server) {
    this.server = server;
  }

  /** Starts the sink on a free loopback port. */
  static TraceSink start() throws IOException {
    TraceSink[] self = new TraceSink[1];
    ServerServiceDefinition service = ServerServiceDefinition.builder(TraceServiceGrpc.SERVICE_NAME)
        .addMethod(RawExport.METHOD, ServerCalls.asyncUnaryCall(
            (byte[] body, StreamObserver<byte[]> answer) -> self[0].export(body, answer)))
        .build();
    ServerInterceptor countEncoding = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        String encoding = headers.get(ENCODING);
        self[0].byEncoding.computeIfAbsent(encoding == null ? "identity" : encoding, e -> new LongAdder())
            .increment();
        return next.startCall(call, headers);
      }
    };
    service = ServerInterceptors.intercept(service, countEncoding);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .directExecutor()
        .maxInboundMessageSize(512 * 1024 * 1024)
        .flowControlWindow(16 * 1024 * 1024)
        .addService(service)
        .build();
    self[0] = new TraceSink(server);
    server.start();
    return self[0];
  }

  int port() {
    return server.getPort();
  }

  long spans() {
    return spans.sum();
  }

  long requests() {
    return requests.sum();
  }

  long bytes() {
    return bytes.sum();
  }

  /** Requests received so far by their {@code grpc-encoding} ({@code identity} when the header is absent). */
  Map<String, Long> requestsByEncoding() {
    Map<String, Long> out = new TreeMap<>();
    byEncoding.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  long invalidRequests() {
    return invalid.sum();
  }

  /** Requests decoded in full to check them. */
  long validatedRequests() {
    return validated.sum();
  }

  String firstProblem() {
    return firstProblem.get();
  }

  /**
   * Starts recording latencies of stamped requests, whose stamps count nanoseconds from
   * {@code base} (a {@link System#nanoTime()} value), for requests due at or after stamp
   * {@code from}; forgets what was recorded before.
   */
  void startRecording(long base, long from) {
    stampBase = base;
    windowFrom = from;
    windowTo = Long.MAX_VALUE;
    latency.reset();
    stamped.reset();
    recording = true;
  }

  /** Requests due at or after stamp {@code to} are not recorded; those due before still are, when they arrive. */
  void endRecordingWindow(long to) {
    windowTo = to;
  }

  /** Stops recording and returns what was recorded since {@link #startRecording}. */
  Histogram stopRecording() {
    recording = false;
    return latency.getIntervalHistogram();
  }

  /** Stamped resources recorded since {@link #startRecording}. */
  long stampedResources() {
    return stamped.sum();
  }

  /**
   * Waits until the span count stops changing for {@code quietMillis}, or reaches {@code expected}
   * (when positive), or {@code deadlineMillis} pass; returns the count.
   */
  long awaitQuiet(long expected, long quietMillis, long deadlineMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    long last = spans();
    long lastChange = System.nanoTime();
    while (System.nanoTime() - deadline < 0) {
      long now = spans();
      if (expected > 0 && now >= expected) {
        return now;
      }
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
        return now;
      }
      Thread.sleep(20);
    }
    return spans();
  }

  private void export(byte[] body, StreamObserver<byte[]> answer) {
    long now = System.nanoTime();
    long n = sequence.getAndIncrement();
    long count;
    try {
      count = scan(body, now);
    } catch (IOException | RuntimeException e) {
      problem("request " + n + " is not valid OTLP: " + e);
      answer.onNext(new byte[0]);
      answer.onCompleted();
      return;
    }
    if (n % VALIDATE_EVERY == 0) {
      validate(body, count, n);
    }
    spans.add(count);
    requests.increment();
    bytes.add(body.length);
    answer.onNext(new byte[0]); // an empty ExportTraceServiceResponse: full success
    answer.onCompleted();
  }

  private void validate(byte[] body, long scanned, long n) {
    validated.increment();
    try {
      long decoded = 0;
      for (ResourceSpans rs : ExportTraceServiceRequest.parseFrom(body).getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          decoded += ss.getSpansCount();
        }
      }
      if (decoded != scanned) {
        problem("request " + n + ": the scan counted " + scanned + " spans, decoding found " + decoded);
      }
    } catch (IOException e) {
      problem("request " + n + " does not decode as ExportTraceServiceRequest: " + e.getMessage());
    }
  }

  private void problem(String message) {
    invalid.increment();
    firstProblem.compareAndSet(null, message);
  }

  // ---- the wire-format scan ----------------------------------------------------------------------

  /** Tags of length-delimited fields 1 and 2: (field number << 3) | wire type. */
  private static final int LEN_1 = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int LEN_2 = 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** Counts the spans of an ExportTraceServiceRequest and records the latency of stamped resources. */
  private long scan(byte[] body, long now) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(body);
    long count = 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag == LEN_1) { // resource_spans
        int limit = in.pushLimit(in.readRawVarint32());
        count += scanResourceSpans(in, now);
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
    return count;
  }

  private long scanResourceSpans(CodedInputStream in, long now) throws IOException {
    long count = 0;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag == LEN_1) { // resource
        int limit = in.pushLimit(in.readRawVarint32());
        long stamp = scanResource(in);
        in.popLimit(limit);
        if (stamp >= 0 && recording && stamp >= windowFrom && stamp < windowTo) {
          record(now - (stampBase + stamp));
        }
      } else if (tag == LEN_2) { // scope_spans
        int limit = in.pushLimit(in.readRawVarint32());
        int t;
        while ((t = in.readTag()) != 0) {
          if (t == LEN_2) { // spans
            count++;
          }
          in.skipField(t);
        }
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
    return count;
  }

  private void record(long nanos) {
    stamped.increment();
    latency.recordValue(Math.max(0, Math.min(nanos, HIGHEST_LATENCY_NANOS)));
  }

  /**
   * The stamp of a Resource, or -1 when it has none or still holds the placeholder. Fields may come
   * in any order (Go's pdata, for one, writes a KeyValue's value before its key), so each
   * attribute's key and string value are read first and compared after.
   */
  private static long scanResource(CodedInputStream in) throws IOException {
    long stamp = -1;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (tag != LEN_1) { // not an attribute
        in.skipField(tag);
        continue;
      }
      int limit = in.pushLimit(in.readRawVarint32());
      boolean isStamp = false;
      byte[] value = null;
      int t;
      while ((t = in.readTag()) != 0) {
        if (t == LEN_1) {
          isStamp = Arrays.equals(in.readByteArray(), STAMP_KEY);
        } else if (t == LEN_2) { // AnyValue
          int l = in.pushLimit(in.readRawVarint32());
          int vt;
          while ((vt = in.readTag()) != 0) {
            if (vt == LEN_1) { // string_value
              value = in.readByteArray();
            } else {
              in.skipField(vt);
            }
          }
          in.popLimit(l);
        } else {
          in.skipField(t);
        }
      }
      in.popLimit(limit);
      if (isStamp && value != null) {
        stamp = parseStamp(value);
      }
    }
    return stamp;
  }

  private static long parseStamp(byte[] digits) {
    if (digits.length != TraceRequests.STAMP_WIDTH) {
      return -1;
    }
    long v = 0;
    boolean placeholder = true;
    for (byte d : digits) {
      if (d < '0' || d > '9') {
        return -1;
      }
      placeholder &= d == '9';
      v = v * 10 + (d - '0');
    }
    return placeholder ? -1 : v;
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

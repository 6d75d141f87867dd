package io.sluice.perf;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * A pool of serialized OTLP {@code ExportTraceServiceRequest}s shaped like what an instrumented Java
 * service sends: one resource with the attributes an SDK and its resource detectors add, four
 * instrumentation scopes (HTTP server, JDBC, HTTP client, manual spans) and whole traces of eight
 * spans (a server span with database calls, outgoing HTTP calls and internal work below it), each
 * trace with its own random trace id. Server spans carry about twenty attributes, errors carry an
 * exception event with a stack trace.
 *
 * <p>Every request's resource has the attribute {@value #STAMP_KEY} whose string value is a
 * fixed-width placeholder; {@link #stamped} copies a request and writes a timestamp over it, so the
 * benchmark can stamp requests without encoding them again.
 */
final class TraceRequests {
  static final String STAMP_KEY = "bench.intended_ns";
  /** Width of the stamp, in decimal digits. */
  static final int STAMP_WIDTH = 19;
  static final String PLACEHOLDER = "9".repeat(STAMP_WIDTH);
  static final int SPANS_PER_TRACE = 8;

  private static final String[] SERVICES = {"checkout", "cart", "catalog", "payments", "shipping", "accounts",
      "search", "recommendations"};
  private static final String[][] ROUTES = {
      {"GET", "/api/v1/orders/{orderId}"}, {"POST", "/api/v1/orders"}, {"GET", "/api/v1/cart/{cartId}/items"},
      {"PUT", "/api/v1/cart/{cartId}/items/{itemId}"}, {"GET", "/api/v1/products"},
      {"GET", "/api/v1/products/{productId}"}, {"POST", "/api/v1/payments/{paymentId}/capture"},
      {"DELETE", "/api/v1/sessions/{sessionId}"}};
  private static final String[] USER_AGENTS = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0"
          + " Safari/537.36",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5"
          + " Safari/605.1.15",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
          + " Mobile/15E148",
      "okhttp/4.12.0", "Java-http-client/17.0.11", "python-requests/2.32.3"};
  private static final String[] TABLES = {"orders", "order_items", "customers", "products", "inventory",
      "payments"};
  private static final String[] DOWNSTREAM = {"inventory.internal.svc:8080", "pricing.internal.svc:8080",
      "fraud-check.internal.svc:8443", "tax.internal.svc:8080"};
  private static final String STACK_TRACE = stackTrace();

  private final List<byte[]> requests;
  private final int[] stampOffsets;
  private final int spansPerRequest;
  private final long totalBytes;
  private final double attributesPerSpan;

  private TraceRequests(List<byte[]> requests, int[] stampOffsets, int spansPerRequest, double attributesPerSpan) {
    this.requests = requests;
    this.stampOffsets = stampOffsets;
    this.spansPerRequest = spansPerRequest;
    long total = 0;
    for (byte[] r : requests) {
      total += r.length;
    }
    this.totalBytes = total;
    this.attributesPerSpan = attributesPerSpan;
  }

  /**
   * Builds {@code count} distinct requests of {@code spansPerRequest} spans each (a multiple of
   * {@value #SPANS_PER_TRACE}), deterministically from {@code seed}.
   */
  static TraceRequests build(int count, int spansPerRequest, long seed) {
    return build(count, spansPerRequest, seed, false);
  }

  /**
   * As {@link #build(int, int, long)}; with {@code sameStart} every request's traces start at the
   * same base time (instead of one second apart per request), so that spans of different pool
   * requests put into one trace by {@link #retraced} lie within about half a second.
   */
  static TraceRequests build(int count, int spansPerRequest, long seed, boolean sameStart) {
    if (spansPerRequest <= 0 || spansPerRequest % SPANS_PER_TRACE != 0) {
      throw new IllegalArgumentException("spans per request must be a positive multiple of " + SPANS_PER_TRACE
          + ", got " + spansPerRequest);
    }
    Random random = new Random(seed);
    long baseTime = 1_763_800_000_000_000_000L; // a fixed wall-clock time, so runs are comparable
    List<byte[]> out = new ArrayList<>(count);
    int[] offsets = new int[count];
    long attributes = 0;
    long spans = 0;
    for (int i = 0; i < count; i++) {
      ExportTraceServiceRequest request = request(random, i, spansPerRequest,
          baseTime + (sameStart ? 0 : i * 1_000_000_000L));
      for (ResourceSpans rs : request.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            attributes += s.getAttributesCount();
            spans++;
          }
        }
      }
      byte[] bytes = request.toByteArray();
      offsets[i] = indexOf(bytes, PLACEHOLDER.getBytes(StandardCharsets.US_ASCII));
      if (offsets[i] < 0) {
        throw new IllegalStateException("the stamp placeholder is missing from request " + i);
      }
      out.add(bytes);
    }
    return new TraceRequests(List.copyOf(out), offsets, spansPerRequest, (double) attributes / spans);
  }

  int size() {
    return requests.size();
  }

  int spansPerRequest() {
    return spansPerRequest;
  }

  long totalBytes() {
    return totalBytes;
  }

  double attributesPerSpan() {
    return attributesPerSpan;
  }

  /** The serialized request {@code i} (modulo the pool size), placeholder stamp included. Do not modify. */
  byte[] get(long i) {
    return requests.get((int) Math.floorMod(i, (long) requests.size()));
  }

  /** A copy of request {@code i} whose stamp reads {@code stamp} (0 ≤ stamp < 10^19). */
  byte[] stamped(long i, long stamp) {
    int index = (int) Math.floorMod(i, (long) requests.size());
    byte[] copy = requests.get(index).clone();
    writeStamp(copy, stampOffsets[index], stamp);
    return copy;
  }

  // ---- interleaved traces (the tail sampling benchmark) -------------------------------------------

  /** Spans per trace in {@link #retraced} requests. */
  static final int RETRACED_SPANS_PER_TRACE = 10;

  private volatile int[][] traceIdOffsets;

  /**
   * A copy of request {@code i} whose spans belong to traces of {@value #RETRACED_SPANS_PER_TRACE}
   * spans spread over many requests, as real traffic interleaves them: span slot {@code q} of the
   * request carries span {@code k = q % 10} of trace {@code (i - k * step, q / 10)}, so each trace
   * starts in one request and has its k-th span {@code k * step} requests later. Trace IDs are
   * random-looking 128-bit values from {@code seed}; the spans' other fields stay as in the pool.
   * The request's span count must be a multiple of 10 for every trace to get all its spans.
   */
  byte[] retraced(long i, long step, long seed) {
    int index = (int) Math.floorMod(i, (long) requests.size());
    byte[] copy = requests.get(index).clone();
    int[] offsets = traceIdOffsets()[index];
    for (int q = 0; q < offsets.length; q++) {
      int k = q % RETRACED_SPANS_PER_TRACE;
      long origin = i - k * step;
      long slot = q / RETRACED_SPANS_PER_TRACE;
      long hi = mix(seed ^ (origin * 0x9E3779B97F4A7C15L) ^ (slot << 48));
      long lo = mix(hi ^ 0xD1B54A32D192ED03L);
      int off = offsets[q];
      for (int b = 0; b < 8; b++) {
        copy[off + b] = (byte) (hi >>> (56 - 8 * b));
        copy[off + 8 + b] = (byte) (lo >>> (56 - 8 * b));
      }
    }
    return copy;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Per pool request, where each span's 16 trace ID bytes are, in the order the spans are written. */
  private int[][] traceIdOffsets() {
    int[][] o = traceIdOffsets;
    if (o == null) {
      o = new int[requests.size()][];
      for (int r = 0; r < o.length; r++) {
        List<Integer> found = new ArrayList<>();
        byte[] b = requests.get(r);
        walk(b, 0, b.length, 0, found);
        o[r] = found.stream().mapToInt(Integer::intValue).toArray();
      }
      traceIdOffsets = o;
    }
    return o;
  }

  /** Walks request (depth 0), ResourceSpans (1), ScopeSpans (2) down to Span (3) field 1. */
  private static void walk(byte[] b, int from, int to, int depth, List<Integer> out) {
    int p = from;
    while (p < to) {
      long tag = 0;
      for (int shift = 0; ; shift += 7) {
        byte x = b[p++];
        tag |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          break;
        }
      }
      int field = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      switch (wire) {
        case 0 -> {
          while (b[p++] < 0) {
            // continuation
          }
        }
        case 1 -> p += 8;
        case 5 -> p += 4;
        case 2 -> {
          int len = 0;
          for (int shift = 0; ; shift += 7) {
            byte x = b[p++];
            len |= (x & 0x7F) << shift;
            if (x >= 0) {
              break;
            }
          }
          boolean container = depth < 3 && field == (depth == 0 ? 1 : 2);
          if (container) {
            walk(b, p, p + len, depth + 1, out);
          } else if (depth == 3 && field == 1 && len == 16) {
            out.add(p);
          }
          p += len;
        }
        default -> throw new IllegalStateException("unexpected wire type " + wire);
      }
    }
  }

  static void writeStamp(byte[] target, int offset, long stamp) {
    if (stamp < 0) {
      throw new IllegalArgumentException("stamp must not be negative: " + stamp);
    }
    long v = stamp;
    for (int p = offset + STAMP_WIDTH - 1; p >= offset; p--) {
      target[p] = (byte) ('0' + (v % 10));
      v /= 10;
    }
  }

  // ---- building one request ----------------------------------------------------------------------

  private static ExportTraceServiceRequest request(Random random, int index, int spanCount, long startNanos) {
    String service = SERVICES[index % SERVICES.length];
    Resource resource = resource(random, service);
    ScopeSpans.Builder server = ScopeSpans.newBuilder().setScope(scope("io.opentelemetry.tomcat-10.0", "2.10.0-alpha"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.27.0");
    ScopeSpans.Builder jdbc = ScopeSpans.newBuilder().setScope(scope("io.opentelemetry.jdbc", "2.10.0-alpha"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.27.0");
    ScopeSpans.Builder client = ScopeSpans.newBuilder()
        .setScope(scope("io.opentelemetry.java-http-client", "2.10.0-alpha"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.27.0");
    ScopeSpans.Builder internal = ScopeSpans.newBuilder().setScope(scope("com.example." + service, "3.4.1"));
    for (int t = 0; t < spanCount / SPANS_PER_TRACE; t++) {
      trace(random, service, startNanos + t * 7_000_000L, server, jdbc, client, internal);
    }
    ResourceSpans rs = ResourceSpans.newBuilder()
        .setResource(resource)
        .addScopeSpans(server)
        .addScopeSpans(jdbc)
        .addScopeSpans(client)
        .addScopeSpans(internal)
        .setSchemaUrl("https://opentelemetry.io/schemas/1.27.0")
        .build();
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(rs).build();
  }

  private static Resource resource(Random random, String service) {
    String instance = new UUID(random.nextLong(), random.nextLong()).toString();
    String pod = service + "-" + Long.toHexString(random.nextLong() & 0xffffffffffL) + "-"
        + Long.toString(random.nextInt(1 << 25), 36);
    return Resource.newBuilder()
        // First, so that the stamp is found quickly; the placeholder is overwritten per request.
        .addAttributes(str(STAMP_KEY, PLACEHOLDER))
        .addAttributes(str("service.name", service))
        .addAttributes(str("service.namespace", "shop"))
        .addAttributes(str("service.version", "2025.11." + random.nextInt(30)))
        .addAttributes(str("service.instance.id", instance))
        .addAttributes(str("deployment.environment.name", "production"))
        .addAttributes(str("telemetry.sdk.name", "opentelemetry"))
        .addAttributes(str("telemetry.sdk.language", "java"))
        .addAttributes(str("telemetry.sdk.version", "1.44.1"))
        .addAttributes(str("telemetry.distro.name", "opentelemetry-java-instrumentation"))
        .addAttributes(str("telemetry.distro.version", "2.10.0"))
        .addAttributes(str("host.name", pod))
        .addAttributes(str("host.arch", "amd64"))
        .addAttributes(str("os.type", "linux"))
        .addAttributes(str("os.description", "Linux 6.1.0-27-cloud-amd64"))
        .addAttributes(integer("process.pid", 1 + random.nextInt(30000)))
        .addAttributes(str("process.executable.path", "/opt/java/openjdk/bin/java"))
        .addAttributes(str("process.runtime.name", "OpenJDK Runtime Environment"))
        .addAttributes(str("process.runtime.version", "21.0.5+11-LTS"))
        .addAttributes(str("process.runtime.description", "Eclipse Adoptium OpenJDK 64-Bit Server VM 21.0.5+11-LTS"))
        .addAttributes(str("container.id", hex(random, 32) + hex(random, 32)))
        .addAttributes(str("k8s.namespace.name", "shop-prod"))
        .addAttributes(str("k8s.pod.name", pod))
        .addAttributes(str("k8s.deployment.name", service))
        .addAttributes(str("k8s.node.name", "ip-10-0-" + random.nextInt(256) + "-" + random.nextInt(256)
            + ".eu-west-1.compute.internal"))
        .addAttributes(str("cloud.provider", "aws"))
        .addAttributes(str("cloud.region", "eu-west-1"))
        .addAttributes(str("cloud.availability_zone", "eu-west-1" + (char) ('a' + random.nextInt(3))))
        .build();
  }

  /** One trace: a server span, three JDBC calls, two outgoing HTTP calls and two internal spans. */
  private static void trace(Random random, String service, long start, ScopeSpans.Builder server,
      ScopeSpans.Builder jdbc, ScopeSpans.Builder client, ScopeSpans.Builder internal) {
    ByteString traceId = randomBytes(random, 16);
    ByteString rootId = randomBytes(random, 8);
    String[] route = ROUTES[random.nextInt(ROUTES.length)];
    boolean failed = random.nextInt(50) == 0;
    int status = failed ? 500 : (random.nextInt(20) == 0 ? 404 : (route[0].equals("POST") ? 201 : 200));
    long duration = 4_000_000L + random.nextInt(80_000_000);
    String threadName = "http-nio-8080-exec-" + (1 + random.nextInt(200));
    long threadId = 40 + random.nextInt(200);
    String path = route[1].replace("{orderId}", Integer.toString(random.nextInt(1_000_000)))
        .replace("{cartId}", hex(random, 12)).replace("{itemId}", Integer.toString(random.nextInt(5000)))
        .replace("{productId}", "SKU-" + random.nextInt(100_000)).replace("{paymentId}", hex(random, 16))
        .replace("{sessionId}", hex(random, 24));

    Span.Builder root = Span.newBuilder()
        .setTraceId(traceId).setSpanId(rootId)
        .setParentSpanId(randomBytes(random, 8))
        .setFlags(0x301)
        .setName(route[0] + " " + route[1])
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(start).setEndTimeUnixNano(start + duration)
        .addAttributes(str("http.request.method", route[0]))
        .addAttributes(str("http.route", route[1]))
        .addAttributes(integer("http.response.status_code", status))
        .addAttributes(str("url.scheme", "https"))
        .addAttributes(str("url.path", path))
        .addAttributes(str("url.query", "locale=en-GB&currency=EUR&page=" + random.nextInt(20)))
        .addAttributes(str("server.address", service + ".shop.example.com"))
        .addAttributes(integer("server.port", 443))
        .addAttributes(str("client.address", ip(random)))
        .addAttributes(str("network.peer.address", ip(random)))
        .addAttributes(integer("network.peer.port", 30000 + random.nextInt(30000)))
        .addAttributes(str("network.protocol.version", "1.1"))
        .addAttributes(str("user_agent.original", USER_AGENTS[random.nextInt(USER_AGENTS.length)]))
        .addAttributes(integer("http.request.body.size", random.nextInt(4000)))
        .addAttributes(integer("http.response.body.size", 200 + random.nextInt(40000)))
        .addAttributes(str("http.request.header.x-request-id", new UUID(random.nextLong(), random.nextLong())
            .toString()))
        .addAttributes(str("enduser.id", "user-" + random.nextInt(2_000_000)))
        .addAttributes(str("thread.name", threadName))
        .addAttributes(integer("thread.id", threadId))
        .addAttributes(str("session.id", hex(random, 32)));
    if (failed) {
      root.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR)
          .setMessage("java.lang.IllegalStateException: order service unavailable"));
      root.addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(start + duration - 1_000_000)
          .addAttributes(str("exception.type", "java.lang.IllegalStateException"))
          .addAttributes(str("exception.message", "order service unavailable"))
          .addAttributes(str("exception.stacktrace", STACK_TRACE)));
    }
    server.addSpans(root);

    long cursor = start + 300_000;
    for (int q = 0; q < 3; q++) {
      String table = TABLES[random.nextInt(TABLES.length)];
      String operation = q == 2 && route[0].equals("POST") ? "INSERT" : "SELECT";
      String text = operation.equals("INSERT")
          ? "INSERT INTO " + table + " (id, customer_id, status, total_amount, currency, created_at) VALUES"
              + " (?, ?, ?, ?, ?, ?)"
          : "SELECT id, customer_id, status, total_amount, currency, created_at, updated_at FROM " + table
              + " WHERE customer_id = ? AND status IN (?, ?) ORDER BY created_at DESC LIMIT ?";
      long d = 300_000 + random.nextInt(6_000_000);
      jdbc.addSpans(Span.newBuilder()
          .setTraceId(traceId).setSpanId(randomBytes(random, 8)).setParentSpanId(rootId).setFlags(0x101)
          .setName(operation + " shop." + table)
          .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
          .setStartTimeUnixNano(cursor).setEndTimeUnixNano(cursor + d)
          .addAttributes(str("db.system.name", "postgresql"))
          .addAttributes(str("db.namespace", "shop"))
          .addAttributes(str("db.operation.name", operation))
          .addAttributes(str("db.collection.name", table))
          .addAttributes(str("db.query.text", text))
          .addAttributes(str("db.user", "shop_app"))
          .addAttributes(str("db.connection_string", "postgresql://orders-db.internal:5432"))
          .addAttributes(str("server.address", "orders-db.internal"))
          .addAttributes(integer("server.port", 5432))
          .addAttributes(str("network.peer.address", ip(random)))
          .addAttributes(integer("network.peer.port", 5432))
          .addAttributes(str("pool.name", "HikariPool-1"))
          .addAttributes(str("thread.name", threadName))
          .addAttributes(integer("thread.id", threadId))
          .addAttributes(str("code.function.name", "com.example." + service + ".OrderRepository.find"))
          .addAttributes(integer("db.response.returned_rows", random.nextInt(50)))
          // The names of the older conventions, as agents emit them next to the new ones in
          // "dup" stability mode.
          .addAttributes(str("db.system", "postgresql"))
          .addAttributes(str("db.name", "shop"))
          .addAttributes(str("db.operation", operation))
          .addAttributes(str("db.sql.table", table)));
      cursor += d + 100_000;
    }

    for (int c = 0; c < 2; c++) {
      String peer = DOWNSTREAM[random.nextInt(DOWNSTREAM.length)];
      String host = peer.substring(0, peer.indexOf(':'));
      int port = Integer.parseInt(peer.substring(peer.indexOf(':') + 1));
      long d = 1_000_000 + random.nextInt(15_000_000);
      int code = random.nextInt(100) == 0 ? 503 : 200;
      Span.Builder span = Span.newBuilder()
          .setTraceId(traceId).setSpanId(randomBytes(random, 8)).setParentSpanId(rootId).setFlags(0x101)
          .setName("POST")
          .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
          .setStartTimeUnixNano(cursor).setEndTimeUnixNano(cursor + d)
          .addAttributes(str("http.request.method", "POST"))
          .addAttributes(str("url.full", (port == 8443 ? "https://" : "http://") + peer + "/v2/quote?id="
              + hex(random, 10)))
          .addAttributes(str("server.address", host))
          .addAttributes(integer("server.port", port))
          .addAttributes(integer("http.response.status_code", code))
          .addAttributes(str("network.protocol.version", "1.1"))
          .addAttributes(str("network.peer.address", ip(random)))
          .addAttributes(integer("network.peer.port", port))
          .addAttributes(integer("http.request.body.size", random.nextInt(2000)))
          .addAttributes(integer("http.response.body.size", random.nextInt(8000)))
          .addAttributes(str("http.request.header.traceparent", "00-" + hex(traceId) + "-" + hex(random, 16)
              + "-01"))
          .addAttributes(str("thread.name", threadName))
          .addAttributes(integer("thread.id", threadId))
          .addAttributes(integer("http.request.resend_count", 0))
          .addAttributes(str("user_agent.original", "Java-http-client/21.0.5"))
          .addAttributes(str("http.method", "POST"))
          .addAttributes(integer("http.status_code", code))
          .addAttributes(str("net.peer.name", host))
          .addAttributes(integer("net.peer.port", port));
      if (code >= 500) {
        span.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR));
        span.addAttributes(str("error.type", Integer.toString(code)));
      }
      client.addSpans(span);
      cursor += d + 50_000;
    }

    for (int n = 0; n < 2; n++) {
      long d = 50_000 + random.nextInt(2_000_000);
      internal.addSpans(Span.newBuilder()
          .setTraceId(traceId).setSpanId(randomBytes(random, 8)).setParentSpanId(rootId).setFlags(0x101)
          .setName(n == 0 ? "OrderService.validate" : "OrderService.priceBasket")
          .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
          .setStartTimeUnixNano(cursor).setEndTimeUnixNano(cursor + d)
          .addAttributes(str("code.function.name", "com.example." + service + ".OrderService."
              + (n == 0 ? "validate" : "priceBasket")))
          .addAttributes(str("code.file.path", "OrderService.java"))
          .addAttributes(integer("code.line.number", 40 + random.nextInt(400)))
          .addAttributes(str("thread.name", threadName))
          .addAttributes(integer("thread.id", threadId))
          .addAttributes(integer("basket.items", 1 + random.nextInt(12)))
          .addAttributes(dbl("basket.total", random.nextInt(100_000) / 100.0))
          .addAttributes(str("basket.currency", "EUR"))
          .addAttributes(bool("customer.is_member", random.nextBoolean()))
          .addAttributes(str("customer.tier", random.nextBoolean() ? "gold" : "standard"))
          .addAttributes(str("feature_flag.key", "new-pricing-engine"))
          .addAttributes(str("feature_flag.variant", random.nextBoolean() ? "on" : "off"))
          .addAttributes(str("app.request.id", hex(random, 16)))
          .addAttributes(str("app.region", "eu-west-1"))
          .addAttributes(bool("app.cache.hit", random.nextInt(4) != 0))
          .addAttributes(integer("app.retries", random.nextInt(10) == 0 ? 1 : 0))
          .addEvents(Span.Event.newBuilder().setName(n == 0 ? "validation.passed" : "price.computed")
              .setTimeUnixNano(cursor + d / 2)
              .addAttributes(integer("rules.evaluated", 5 + random.nextInt(20)))
              .addAttributes(str("rules.version", "r" + random.nextInt(100)))));
      cursor += d;
    }
  }

  // ---- small helpers -----------------------------------------------------------------------------

  private static InstrumentationScope scope(String name, String version) {
    return InstrumentationScope.newBuilder().setName(name).setVersion(version).build();
  }

  private static KeyValue str(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static KeyValue integer(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  private static KeyValue dbl(String key, double value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setDoubleValue(value)).build();
  }

  private static KeyValue bool(String key, boolean value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setBoolValue(value)).build();
  }

  private static ByteString randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    if (b[0] == 0) {
      b[0] = 1; // never all zeros, which OTLP treats as invalid
    }
    return ByteString.copyFrom(b);
  }

  private static String hex(Random random, int digits) {
    StringBuilder sb = new StringBuilder(digits);
    for (int i = 0; i < digits; i++) {
      sb.append(Character.forDigit(random.nextInt(16), 16));
    }
    return sb.toString();
  }

  private static String hex(ByteString bytes) {
    StringBuilder sb = new StringBuilder(bytes.size() * 2);
    for (int i = 0; i < bytes.size(); i++) {
      sb.append(Character.forDigit((bytes.byteAt(i) >> 4) & 0xf, 16)).append(Character.forDigit(bytes.byteAt(i) & 0xf,
          16));
    }
    return sb.toString();
  }

  private static String ip(Random random) {
    return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String stackTrace() {
    StringBuilder sb = new StringBuilder("java.lang.IllegalStateException: order service unavailable\n");
    String[] frames = {
        "com.example.orders.OrderService.load(OrderService.java:212)",
        "com.example.orders.OrderService.find(OrderService.java:98)",
        "com.example.orders.OrderController.get(OrderController.java:57)",
        "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
        "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
        "org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)",
        "org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:188)",
        "org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle"
            + "(ServletInvocableHandlerMethod.java:118)",
        "org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)",
        "org.springframework.web.servlet.DispatcherServlet.doService(DispatcherServlet.java:979)",
        "org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)",
        "jakarta.servlet.http.HttpServlet.service(HttpServlet.java:564)",
        "org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:138)",
        "org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:165)",
        "org.apache.catalina.connector.CoyoteAdapter.service(CoyoteAdapter.java:346)",
        "org.apache.coyote.http11.Http11Processor.service(Http11Processor.java:391)",
        "org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1744)",
        "java.base/java.lang.Thread.run(Thread.java:1583)"};
    for (String f : frames) {
      sb.append("\tat ").append(f).append('\n');
    }
    return sb.toString();
  }
}

package io.sluice.perf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One scrape target's {@code /metrics}: a Prometheus text 0.0.4 body of exactly {@code series}
 * sample lines, shaped like an instrumented service's (HTTP server and client, gRPC, database,
 * Kafka, caches, JVM; about 60% counters, 25% gauges and 15% histogram lines, with HELP and
 * TYPE), whose values move on every scrape: counters and histogram counts grow, gauges wander.
 *
 * <p>Everything but the values is laid out once: {@link #render} copies the fixed text between
 * values and writes the new numbers in between, so a scrape costs a pass over the body and no
 * string formatting. Not thread-safe: each target is rendered on its own server's event loop.
 *
 * <p>{@link #churn} replaces a share of the series by new ones, as pods coming and going do: the
 * next label sets in turn get a {@value #CHURN_LABEL} label with a value none of them had before,
 * so the old series vanish from the body and new ones take their place.
 */
final class SimulatedTarget {
  /** Go's default histogram buckets, as client_golang prints them. */
  static final String[] BUCKETS = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
    "+Inf"};
  /** Upper bounds of {@link #BUCKETS} in milliseconds (the last stands for observations above 10 s). */
  private static final long[] BUCKET_MILLIS = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 20_000};
  /** Lines per histogram label set: the buckets, _sum and _count. */
  static final int HISTOGRAM_LINES = BUCKETS.length + 2;
  /** No family gets more label sets than this, so the series spread over many families. */
  private static final int MAX_PER_FAMILY = 200;

  private static final byte COUNTER = 0;
  private static final byte COUNTER_MILLI = 1;
  private static final byte GAUGE = 2;
  private static final byte GAUGE_MILLI = 3;
  /** The first bucket line of a histogram label set; the next HISTOGRAM_LINES - 1 values belong to it. */
  private static final byte HISTOGRAM = 4;
  /** The label {@link #churn} gives replaced series. */
  static final String CHURN_LABEL = "generation";
  private static final byte[] EOF = "# EOF\n".getBytes(StandardCharsets.UTF_8);

  /** statics[i] is the text before value i; the body ends with '\n' after the last value. */
  private final byte[][] statics;
  /** The same in OpenMetrics text: counter families named without {@code _total}. */
  private final byte[][] openMetricsStatics;
  private final byte[] kinds;
  /** Current value of each line: counts, or thousandths for the MILLI kinds and histogram sums. */
  private final long[] values;
  /** How fast each line moves: counter increment bound, gauge step bound, histogram observations per scrape. */
  private final long[] speeds;
  private final int series;
  /** The text before each value as laid out, before any churn. */
  private final byte[][] original;
  /** Where each label set's lines begin: one line, or HISTOGRAM_LINES for a histogram's. */
  private final int[] setStarts;
  /** The label set the next churn replaces first. */
  private int cursor;
  /** Churns so far: the value of the churn label the last one gave. */
  private int generation;
  private long rng;
  private byte[] buffer;

  private SimulatedTarget(List<byte[]> statics, byte[] kinds, long[] values, long[] speeds, long seed) {
    this.statics = statics.toArray(new byte[0][]);
    this.kinds = kinds;
    this.values = values;
    this.speeds = speeds;
    this.series = kinds.length;
    this.rng = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    this.original = this.statics.clone();
    this.openMetricsStatics = new byte[series][];
    for (int i = 0; i < series; i++) {
      openMetricsStatics[i] = openMetrics(this.statics[i]);
    }
    int[] starts = new int[series];
    int sets = 0;
    for (int i = 0; i < series; i += kinds[i] == HISTOGRAM ? HISTOGRAM_LINES : 1) {
      starts[sets++] = i;
    }
    this.setStarts = Arrays.copyOf(starts, sets);
    int size = 0;
    for (byte[] s : this.statics) {
      size += s.length + 21;
    }
    this.buffer = new byte[size];
  }

  /** Sample lines per body (every histogram bucket, _sum and _count counts as one). */
  int series() {
    return series;
  }

  /**
   * Replaces {@code share} (0 to 1) of the series: the next label sets in turn, a whole histogram
   * at a time, until at least that many lines carry new labels. Returns the lines replaced.
   */
  int churn(double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("churn share " + share + " is not between 0 and 1");
    }
    long want = Math.round(share * series);
    if (want == 0) {
      return 0;
    }
    generation++;
    int lines = 0;
    while (lines < want) {
      int from = setStarts[cursor];
      int to = cursor + 1 < setStarts.length ? setStarts[cursor + 1] : series;
      for (int i = from; i < to; i++) {
        statics[i] = relabel(original[i], generation);
        openMetricsStatics[i] = openMetrics(statics[i]);
      }
      lines += to - from;
      cursor = (cursor + 1) % setStarts.length;
    }
    return lines;
  }

  /** {@code text} (HELP and TYPE lines, then {@code name{labels} }) with the churn label added. */
  private static byte[] relabel(byte[] text, int generation) {
    String s = new String(text, StandardCharsets.UTF_8);
    String label = CHURN_LABEL + "=\"" + generation + "\"";
    int end = s.length() - 1; // the space before the value
    String out = s.charAt(end - 1) == '}' ? s.substring(0, end - 1) + "," + label + "} "
        : s.substring(0, end) + "{" + label + "} ";
    return out.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@code text} with a counter family's HELP and TYPE lines naming the family as OpenMetrics does,
   * without the {@code _total} its samples keep; {@code text} itself when it has none.
   */
  private static byte[] openMetrics(byte[] text) {
    if (text.length == 0 || text[0] != '#') {
      return text;
    }
    String s = new String(text, StandardCharsets.UTF_8);
    int type = s.indexOf("\n# TYPE ");
    int nameEnd = s.indexOf(" counter\n", type);
    if (type < 0 || nameEnd < 0 || !s.startsWith("_total", nameEnd - 6)) {
      return text;
    }
    String name = s.substring(type + 8, nameEnd);
    String family = name.substring(0, name.length() - 6);
    String header = s.substring(0, nameEnd + 9).replace("# HELP " + name + " ", "# HELP " + family + " ")
        .replace("# TYPE " + name + " ", "# TYPE " + family + " ");
    return (header + s.substring(nameEnd + 9)).getBytes(StandardCharsets.UTF_8);
  }

  /** Moves every value on and writes the body into an internal buffer; returns its length. Use {@link #body()}. */
  int render() {
    return render(false);
  }

  /**
   * As {@link #render()}, in OpenMetrics text 1.0.0 with {@code openMetrics} (counter families
   * named without {@code _total}, {@code # EOF} at the end), else in Prometheus text 0.0.4.
   */
  int render(boolean openMetrics) {
    advance();
    byte[][] texts = openMetrics ? openMetricsStatics : statics;
    byte[] out = buffer;
    int pos = 0;
    for (int i = 0; i < series; i++) {
      byte[] s = texts[i];
      if (pos + s.length + 24 > out.length) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, pos + s.length + 24));
      }
      System.arraycopy(s, 0, out, pos, s.length);
      pos += s.length;
      byte k = kinds[i];
      long v = values[i];
      if (k == COUNTER_MILLI || k == GAUGE_MILLI || (k == HISTOGRAM && isSumLine(i))) {
        pos = writeMilli(out, pos, v);
      } else {
        pos = writeLong(out, pos, v);
      }
      out[pos++] = '\n';
    }
    if (openMetrics) {
      if (pos + EOF.length > out.length) {
        out = Arrays.copyOf(out, pos + EOF.length);
      }
      System.arraycopy(EOF, 0, out, pos, EOF.length);
      pos += EOF.length;
    }
    buffer = out;
    return pos;
  }

  /** The buffer {@link #render} wrote into; valid until the next render. */
  byte[] body() {
    return buffer;
  }

  /** A copy of a freshly rendered body. */
  byte[] renderCopy() {
    return Arrays.copyOf(buffer, render());
  }

  private boolean isSumLine(int i) {
    // histogram lines are laid out as buckets..., _sum, _count; speeds[] marks _sum with -1
    return speeds[i] == -1;
  }

  private void advance() {
    for (int i = 0; i < series; i++) {
      switch (kinds[i]) {
        case COUNTER, COUNTER_MILLI -> values[i] += next(speeds[i] + 1);
        case GAUGE, GAUGE_MILLI -> {
          long step = speeds[i];
          values[i] = Math.max(0, values[i] + next(2 * step + 1) - step);
        }
        case HISTOGRAM -> {
          if (speeds[i] > 0) { // the first bucket line of a label set carries the observation rate
            observe(i, (int) next(speeds[i] + 1));
            i += HISTOGRAM_LINES - 1;
          }
        }
        default -> throw new IllegalStateException("kind " + kinds[i]);
      }
    }
  }

  /** Adds {@code n} observations to the histogram whose first bucket line is {@code first}. */
  private void observe(int first, int n) {
    int buckets = BUCKETS.length;
    for (int o = 0; o < n; o++) {
      // mostly fast requests, a tail of slow ones: bucket index from the minimum of two draws, skewed low
      int b = (int) Math.min(next(buckets), next(buckets));
      b = (int) Math.min(b, next(buckets));
      long low = b == 0 ? 0 : BUCKET_MILLIS[b - 1];
      long millis = low + next(BUCKET_MILLIS[b] - low + 1);
      for (int j = b; j < buckets; j++) {
        values[first + j]++;
      }
      values[first + buckets] += millis; // _sum, in thousandths of a second
    }
    values[first + buckets + 1] += n; // _count
  }

  /** A pseudo-random number in [0, bound), xorshift64*. */
  private long next(long bound) {
    long x = rng;
    x ^= x >>> 12;
    x ^= x << 25;
    x ^= x >>> 27;
    rng = x;
    return Long.remainderUnsigned(x * 0x2545F4914F6CDD1DL, bound);
  }

  static int writeLong(byte[] out, int pos, long v) {
    if (v == 0) {
      out[pos] = '0';
      return pos + 1;
    }
    int digits = 0;
    for (long t = v; t > 0; t /= 10) {
      digits++;
    }
    int end = pos + digits;
    for (int p = end - 1; p >= pos; p--) {
      out[p] = (byte) ('0' + v % 10);
      v /= 10;
    }
    return end;
  }

  /** Writes thousandths as a decimal with three fraction digits: 12345 → {@code 12.345}. */
  static int writeMilli(byte[] out, int pos, long thousandths) {
    pos = writeLong(out, pos, thousandths / 1000);
    long f = thousandths % 1000;
    out[pos] = '.';
    out[pos + 1] = (byte) ('0' + f / 100);
    out[pos + 2] = (byte) ('0' + f / 10 % 10);
    out[pos + 3] = (byte) ('0' + f % 10);
    return pos + 4;
  }

  // ---- the layout ---------------------------------------------------------------------------------

  private record Dim(String name, String... values) {}

  /** type: 'c' counter, 'g' gauge, 'h' histogram; milli: fractional values; speed: how fast it moves. */
  private record Family(String name, char type, boolean milli, long base, long speed, String help, Dim... dims) {
    int capacity() {
      int n = 1;
      for (Dim d : dims) {
        n *= d.values().length;
      }
      return Math.min(n, MAX_PER_FAMILY);
    }
  }

  private static final Dim METHOD = new Dim("method", "GET", "POST", "PUT", "DELETE", "PATCH");
  private static final Dim ROUTE = new Dim("route", "/api/v1/users", "/api/v1/users/{id}", "/api/v1/orders",
      "/api/v1/orders/{id}", "/api/v1/orders/{id}/items", "/api/v1/products", "/api/v1/products/{id}", "/api/v1/cart",
      "/api/v1/checkout", "/api/v1/payments", "/api/v1/payments/{id}", "/api/v1/inventory", "/api/v1/search",
      "/api/v1/recommendations", "/api/v1/reviews", "/api/v1/reviews/{id}", "/api/v1/shipping",
      "/api/v1/shipping/{id}/track", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/refresh",
      "/api/v1/sessions", "/api/v1/notifications", "/api/v1/settings", "/api/v1/admin/users", "/api/v1/admin/reports",
      "/health", "/ready", "/metrics", "/api/v2/users");
  private static final Dim STATUS = new Dim("status", "200", "201", "204", "301", "400", "401", "403", "404", "409",
      "429", "500", "503");
  private static final Dim GRPC_SERVICE = new Dim("grpc_service", "shop.cart.v1.CartService",
      "shop.catalog.v1.CatalogService", "shop.checkout.v1.CheckoutService", "shop.payment.v1.PaymentService",
      "shop.shipping.v1.ShippingService", "shop.user.v1.UserService", "grpc.health.v1.Health",
      "shop.review.v1.ReviewService");
  private static final Dim GRPC_METHOD = new Dim("grpc_method", "Get", "List", "Create", "Update", "Delete", "Watch");
  private static final Dim GRPC_CODE = new Dim("grpc_code", "OK", "CANCELLED", "INVALID_ARGUMENT", "NOT_FOUND",
      "DEADLINE_EXCEEDED", "UNAVAILABLE", "INTERNAL");
  private static final Dim DB_OPERATION = new Dim("db_operation", "SELECT", "INSERT", "UPDATE", "DELETE");
  private static final Dim DB_TABLE = new Dim("db_table", "users", "orders", "order_items", "products", "prices",
      "inventory", "carts", "cart_items", "payments", "refunds", "shipments", "addresses", "reviews", "sessions",
      "audit_log", "coupons", "categories", "warehouses", "suppliers", "notifications");
  private static final Dim TOPIC = new Dim("topic", "orders.created", "orders.updated", "orders.cancelled",
      "payments.authorized", "payments.captured", "payments.refunded", "shipments.created", "shipments.delivered",
      "inventory.reserved", "inventory.released", "users.registered", "users.updated", "carts.abandoned",
      "reviews.posted", "notifications.email", "notifications.sms", "search.indexed", "prices.changed",
      "coupons.redeemed", "audit.events", "recommendations.computed", "sessions.expired", "warehouses.restocked",
      "suppliers.updated");
  private static final Dim PARTITION = new Dim("partition", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
      "11");
  private static final Dim CACHE = new Dim("cache", "users", "sessions", "products", "prices", "inventory", "carts",
      "recommendations", "search-results", "categories", "feature-flags", "rate-limits", "tokens", "reviews",
      "shipping-rates", "tax-rates", "currencies");
  private static final Dim CACHE_RESULT = new Dim("result", "hit", "miss");
  private static final Dim PEER = new Dim("peer_service", "payment-gateway", "tax-service", "shipping-provider",
      "email-service", "sms-gateway", "fraud-check", "currency-rates", "address-validation", "identity-provider",
      "search-cluster");
  private static final Dim LEVEL = new Dim("level", "TRACE", "DEBUG", "INFO", "WARN", "ERROR");
  private static final Dim LOGGER = new Dim("logger", "com.example.shop.api.UserController",
      "com.example.shop.api.OrderController", "com.example.shop.api.ProductController",
      "com.example.shop.api.CheckoutController", "com.example.shop.service.PaymentService",
      "com.example.shop.service.InventoryService", "com.example.shop.service.ShippingService",
      "com.example.shop.service.NotificationService", "com.example.shop.repo.OrderRepository",
      "com.example.shop.repo.UserRepository", "com.example.shop.kafka.OrderEventsConsumer",
      "com.example.shop.kafka.PaymentEventsConsumer", "org.hibernate.SQL", "org.apache.kafka.clients.NetworkClient",
      "io.netty.channel.DefaultChannelPipeline", "com.zaxxer.hikari.pool.HikariPool");
  private static final Dim QUEUE = new Dim("queue", "email", "sms", "invoices", "exports", "reindex", "thumbnails",
      "webhooks", "reports", "cleanup", "payouts");
  private static final Dim OUTCOME = new Dim("outcome", "success", "retry", "failure");
  private static final Dim COMPONENT = new Dim("component", "api", "checkout", "payments", "inventory", "shipping",
      "search", "notifications", "auth");
  private static final Dim ERROR_KIND = new Dim("kind", "timeout", "connection_refused", "validation", "conflict",
      "not_found", "unexpected");
  private static final Dim POOL = new Dim("pool", "primary", "replica", "reporting", "batch");
  private static final Dim POOL_STATE = new Dim("state", "active", "idle", "pending");
  private static final Dim MEMORY_AREA = new Dim("area", "heap", "nonheap");
  private static final Dim MEMORY_ID = new Dim("id", "G1 Eden Space", "G1 Old Gen", "G1 Survivor Space",
      "Metaspace", "CodeHeap 'non-nmethods'", "CodeHeap 'profiled nmethods'", "CodeHeap 'non-profiled nmethods'",
      "Compressed Class Space");
  private static final Dim GC = new Dim("gc", "G1 Young Generation", "G1 Concurrent GC", "G1 Old Generation");
  private static final Dim THREAD_STATE = new Dim("state", "runnable", "blocked", "waiting", "timed-waiting", "new",
      "terminated");
  private static final Dim CPU_MODE = new Dim("mode", "user", "system", "iowait", "idle");

  private static final List<Family> COUNTERS = List.of(
      new Family("http_server_requests_total", 'c', false, 10_000, 400, "Total HTTP requests handled.", METHOD, ROUTE,
          STATUS),
      new Family("grpc_server_handled_total", 'c', false, 5_000, 200,
          "Total number of RPCs completed on the server, regardless of success or failure.", GRPC_SERVICE,
          GRPC_METHOD, GRPC_CODE),
      new Family("kafka_consumer_records_consumed_total", 'c', false, 100_000, 2_000,
          "The total number of records consumed.", TOPIC, PARTITION),
      new Family("db_client_queries_total", 'c', false, 50_000, 800, "Database queries executed.", DB_OPERATION,
          DB_TABLE),
      new Family("log_events_total", 'c', false, 1_000, 50, "Log events by level and logger.", LEVEL, LOGGER),
      new Family("http_client_requests_total", 'c', false, 2_000, 100, "Outgoing HTTP requests.", PEER, METHOD,
          STATUS),
      new Family("kafka_producer_records_sent_total", 'c', false, 80_000, 1_500, "The total number of records sent.",
          TOPIC, PARTITION),
      new Family("cache_gets_total", 'c', false, 200_000, 5_000, "Cache lookups by result.", CACHE, CACHE_RESULT),
      new Family("jobs_processed_total", 'c', false, 3_000, 30, "Background jobs processed.", QUEUE, OUTCOME),
      new Family("errors_total", 'c', false, 100, 5, "Errors by component and kind.", COMPONENT, ERROR_KIND),
      new Family("cache_evictions_total", 'c', false, 1_000, 20, "Cache evictions.", CACHE),
      new Family("jvm_gc_collection_seconds_total", 'c', true, 30_000, 400,
          "Time spent in garbage collection, in seconds.", GC),
      new Family("process_cpu_seconds_total", 'c', true, 4_000_000, 3_000,
          "Total user and system CPU time spent in seconds.", CPU_MODE));

  private static final List<Family> GAUGES = List.of(
      new Family("kafka_consumer_lag_records", 'g', false, 50, 40, "Consumer lag per partition.", TOPIC, PARTITION),
      new Family("http_server_active_requests", 'g', false, 3, 3, "HTTP requests in progress.", METHOD, ROUTE),
      new Family("db_client_connections", 'g', false, 10, 3, "Connections in the pool by state.", POOL, POOL_STATE),
      new Family("cache_size_entries", 'g', false, 50_000, 500, "Entries in the cache.", CACHE),
      new Family("jvm_memory_used_bytes", 'g', false, 200_000_000, 5_000_000, "Used bytes of a memory pool.",
          MEMORY_AREA, MEMORY_ID),
      new Family("jvm_memory_committed_bytes", 'g', false, 300_000_000, 1_000_000,
          "Committed bytes of a memory pool.", MEMORY_AREA, MEMORY_ID),
      new Family("jobs_queued", 'g', false, 20, 10, "Jobs waiting in the queue.", QUEUE),
      new Family("db_client_rows_last", 'g', false, 40, 30, "Rows returned by the last query.", DB_OPERATION,
          DB_TABLE),
      new Family("kafka_consumer_assigned_partitions", 'g', false, 6, 1, "Partitions assigned to this consumer.",
          TOPIC),
      new Family("http_client_connections_open", 'g', false, 8, 3, "Open connections to a peer.", PEER),
      new Family("jvm_buffer_memory_used_bytes", 'g', false, 8_000_000, 100_000, "Memory used by buffer pools.",
          new Dim("id", "direct", "mapped")),
      new Family("jvm_threads_states_threads", 'g', false, 20, 2, "Threads by state.", THREAD_STATE),
      new Family("grpc_server_streams_open", 'g', false, 5, 2, "Open server streams.", GRPC_SERVICE, GRPC_METHOD),
      new Family("db_client_pool_wait_seconds", 'g', true, 20, 10, "Time waiting for a connection, last minute.", POOL),
      new Family("system_load_average_1m", 'g', true, 1_500, 300, "The 1-minute load average."),
      new Family("process_resident_memory_bytes", 'g', false, 700_000_000, 2_000_000,
          "Resident memory size in bytes."),
      new Family("process_open_fds", 'g', false, 120, 4, "Number of open file descriptors."));

  private static final List<Family> HISTOGRAMS = List.of(
      new Family("http_server_request_duration_seconds", 'h', true, 0, 30, "Duration of HTTP server requests.",
          METHOD, ROUTE),
      new Family("db_client_query_duration_seconds", 'h', true, 0, 50, "Duration of database queries.", DB_OPERATION,
          DB_TABLE),
      new Family("http_client_request_duration_seconds", 'h', true, 0, 10, "Duration of outgoing HTTP requests.",
          PEER, METHOD),
      new Family("kafka_consumer_process_duration_seconds", 'h', true, 0, 40, "Time to process one record batch.",
          TOPIC));

  /**
   * Lays out a target of exactly {@code series} sample lines. Targets built with the same
   * {@code series} have the same lines; {@code seed} only changes how the values move.
   */
  static SimulatedTarget build(int series, long seed) {
    if (series < 1) {
      throw new IllegalArgumentException("series must be at least 1");
    }
    int histogramSets = (int) (series * 0.15) / HISTOGRAM_LINES;
    int histogramLines = histogramSets * HISTOGRAM_LINES;
    int counters = (int) Math.round(series * 0.60);
    int gauges = series - counters - histogramLines;

    Layout layout = new Layout(seed);
    layout.fill(COUNTERS, counters);
    layout.fill(HISTOGRAMS, histogramSets);
    layout.fill(GAUGES, gauges);
    if (layout.kinds.size() != series) {
      throw new IllegalStateException("laid out " + layout.kinds.size() + " lines instead of " + series);
    }
    byte[] kinds = new byte[series];
    long[] values = new long[series];
    long[] speeds = new long[series];
    for (int i = 0; i < series; i++) {
      kinds[i] = layout.kinds.get(i);
      values[i] = layout.values.get(i);
      speeds[i] = layout.speeds.get(i);
    }
    return new SimulatedTarget(layout.statics, kinds, values, speeds, seed * 0x9E3779B97F4A7C15L + 1);
  }

  /** Builds the lines family by family; the text before each value goes into statics. */
  private static final class Layout {
    final List<byte[]> statics = new ArrayList<>();
    final List<Byte> kinds = new ArrayList<>();
    final List<Long> values = new ArrayList<>();
    final List<Long> speeds = new ArrayList<>();
    final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    final long seed;

    Layout(long seed) {
      this.seed = seed;
    }

    /**
     * Adds {@code sets} label sets, spread evenly over the families (each up to its capacity); when
     * they are all full, another round of the same families under new names.
     */
    void fill(List<Family> families, int sets) {
      int left = sets;
      for (int round = 1; left > 0; round++) {
        int[] give = new int[families.size()];
        boolean progress = true;
        while (left > 0 && progress) {
          progress = false;
          for (int i = 0; i < families.size() && left > 0; i++) {
            if (give[i] < families.get(i).capacity()) {
              give[i]++;
              left--;
              progress = true;
            }
          }
        }
        for (int i = 0; i < families.size(); i++) {
          if (give[i] > 0) {
            family(families.get(i), round, give[i]);
          }
        }
      }
    }

    private void family(Family f, int round, int sets) {
      String name = round == 1 ? f.name()
          : f.name().endsWith("_total") ? f.name().substring(0, f.name().length() - 6) + "_g" + round + "_total"
          : f.name() + "_g" + round;
      String type = switch (f.type()) {
        case 'c' -> "counter";
        case 'g' -> "gauge";
        default -> "histogram";
      };
      text("# HELP " + name + " " + f.help() + "\n# TYPE " + name + " " + type + "\n");
      long h = seed ^ name.hashCode();
      for (int set = 0; set < sets; set++) {
        String labels = labels(f.dims(), set);
        // spread bases and speeds over the label sets: a few hot series, many slow ones
        long spread = 1 + Math.floorMod(h * 31 + set * 0x9E3779B9L, 7);
        long speed = Math.max(1, f.speed() * spread / 4 / (1 + set % 5));
        if (f.type() == 'h') {
          String base = labels.isEmpty() ? "{" : labels.substring(0, labels.length() - 1) + ",";
          for (int b = 0; b < BUCKETS.length; b++) {
            text(name + "_bucket" + base + "le=\"" + BUCKETS[b] + "\"} ");
            line(HISTOGRAM, 0, b == 0 ? speed : 0);
          }
          text(name + "_sum" + labels + " ");
          line(HISTOGRAM, 0, -1);
          text(name + "_count" + labels + " ");
          line(HISTOGRAM, 0, 0);
        } else {
          text(name + labels + " ");
          byte kind = f.type() == 'c' ? (f.milli() ? COUNTER_MILLI : COUNTER) : (f.milli() ? GAUGE_MILLI : GAUGE);
          line(kind, f.base() * spread / 3, speed);
        }
      }
    }

    /** {@code {a="x",b="y"}} for the set-th combination of the dimensions' values; empty without dimensions. */
    private static String labels(Dim[] dims, int set) {
      if (dims.length == 0) {
        return "";
      }
      StringBuilder sb = new StringBuilder("{");
      int rest = set;
      String[] picked = new String[dims.length];
      for (int d = dims.length - 1; d >= 0; d--) {
        picked[d] = dims[d].values()[rest % dims[d].values().length];
        rest /= dims[d].values().length;
      }
      for (int d = 0; d < dims.length; d++) {
        if (d > 0) {
          sb.append(',');
        }
        sb.append(dims[d].name()).append("=\"").append(picked[d]).append('"');
      }
      return sb.append('}').toString();
    }

    private void text(String s) {
      pending.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    private void line(byte kind, long value, long speed) {
      statics.add(pending.toByteArray());
      pending.reset();
      kinds.add(kind);
      values.add(value);
      speeds.add(speed);
    }
  }
}

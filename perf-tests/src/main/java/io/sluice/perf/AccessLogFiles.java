package io.sluice.perf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The logs benchmark's input: access-log files in nginx's combined format with the request time
 * at the end, about 200 bytes a line, such as
 *
 * <pre>
 * 10.12.7.201 - - [07/Dec/2026:18:00:00.123 +0000] "GET /api/v1/orders/48213?page=3 HTTP/1.1" 200 5123 "https://shop.example.com/cart" "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0" 0.023
 * </pre>
 *
 * <p>The files of a set are written at once, one appender thread per file, each as fast as it
 * goes (buffered appends of whole lines). Every line is hashed as it is written ({@link #lineHash});
 * the set's {@link Written#checksum} is the sum of its lines' hashes, so a sink that sums the hashes
 * of the lines it receives can tell a complete delivery from lost or duplicated lines without
 * keeping them. Status codes: mostly 200, some 3xx, 4xx and 5xx, so that the severity operator maps
 * to info, warn and error.
 */
final class AccessLogFiles {
  private static final String[] METHODS = {"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"};
  private static final String[] PATHS = {"/api/v1/orders/", "/api/v1/cart/items/", "/api/v2/products/",
      "/api/v1/users/", "/static/js/app.", "/checkout/step/", "/api/v1/search?q=shoe&page=", "/healthz?probe="};
  private static final String[] REFERERS = {"https://shop.example.com/cart", "https://shop.example.com/",
      "https://www.example.org/search?q=running+shoes", "-"};
  private static final String[] AGENTS = {
      "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
      "okhttp/4.12.0", "kube-probe/1.31"};
  private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
      "Nov", "Dec"};
  /** 2026-12-07T18:00:00Z: the first line's time; each line of a file is 1 ms after the one before. */
  private static final long START_MILLIS = 1_796_666_400_000L;

  private AccessLogFiles() {}

  /** A written set of files: how many lines and bytes (newlines included), and the sum of the lines' hashes. */
  record Written(List<Path> files, long lines, long bytes, long checksum, double seconds) {}

  /**
   * Writes {@code files} files {@code dir/<prefix>-NN.log} of {@code linesPerFile} lines each,
   * concurrently, one thread per file; {@code seed} makes them reproducible and tells sets apart.
   */
  static Written write(Path dir, String prefix, int files, long linesPerFile, long seed) throws Exception {
    Files.createDirectories(dir);
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(files);
    try {
      List<Future<long[]>> parts = new ArrayList<>();
      List<Path> paths = new ArrayList<>();
      for (int i = 0; i < files; i++) {
        Path p = dir.resolve(String.format("%s-%02d.log", prefix, i));
        paths.add(p);
        long fileSeed = seed * 1_000 + i;
        parts.add(pool.submit(() -> writeOne(p, linesPerFile, fileSeed)));
      }
      long lines = 0;
      long bytes = 0;
      long sum = 0;
      for (Future<long[]> f : parts) {
        long[] r = f.get();
        lines += r[0];
        bytes += r[1];
        sum += r[2];
      }
      return new Written(List.copyOf(paths), lines, bytes, sum, (System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** {lines, bytes, checksum} of one file. */
  private static long[] writeOne(Path file, long lines, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    byte[] buf = new byte[1024];
    long bytes = 0;
    long sum = 0;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      StringBuilder sb = new StringBuilder(256);
      for (long n = 0; n < lines; n++) {
        sb.setLength(0);
        line(sb, rnd, START_MILLIS + n);
        int len = sb.length();
        for (int i = 0; i < len; i++) {
          buf[i] = (byte) sb.charAt(i); // ASCII only
        }
        sum += lineHash(buf, 0, len);
        buf[len] = '\n';
        out.write(buf, 0, len + 1);
        bytes += len + 1;
      }
    }
    return new long[] {lines, bytes, sum};
  }

  private static void line(StringBuilder sb, SplittableRandom rnd, long millis) {
    sb.append("10.").append(rnd.nextInt(256)).append('.').append(rnd.nextInt(256)).append('.')
        .append(1 + rnd.nextInt(254)).append(" - ").append(rnd.nextInt(8) == 0 ? "alice" : "-").append(" [");
    time(sb, millis);
    sb.append("] \"").append(METHODS[rnd.nextInt(METHODS.length)]).append(' ');
    int p = rnd.nextInt(PATHS.length);
    sb.append(PATHS[p]).append(rnd.nextInt(100_000));
    if (p == 4) {
      sb.append(".js");
    }
    sb.append(" HTTP/1.1\" ").append(status(rnd)).append(' ').append(rnd.nextInt(60_000)).append(" \"")
        .append(REFERERS[rnd.nextInt(REFERERS.length)]).append("\" \"").append(AGENTS[rnd.nextInt(AGENTS.length)])
        .append("\" 0.");
    int ms = rnd.nextInt(1000);
    sb.append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10));
  }

  private static int status(SplittableRandom rnd) {
    int r = rnd.nextInt(100);
    if (r < 86) {
      return 200;
    }
    if (r < 90) {
      return 304;
    }
    if (r < 96) {
      return 404;
    }
    if (r < 98) {
      return 429;
    }
    return r < 99 ? 500 : 503;
  }

  /** {@code 07/Dec/2026:18:00:00.123 +0000}, in UTC. */
  private static void time(StringBuilder sb, long millis) {
    java.time.LocalDateTime t = java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000),
        (int) Math.floorMod(millis, 1000) * 1_000_000, java.time.ZoneOffset.UTC);
    two(sb, t.getDayOfMonth()).append('/').append(MONTHS[t.getMonthValue() - 1]).append('/').append(t.getYear())
        .append(':');
    two(sb, t.getHour()).append(':');
    two(sb, t.getMinute()).append(':');
    two(sb, t.getSecond()).append('.');
    int ms = t.getNano() / 1_000_000;
    sb.append((char) ('0' + ms / 100)).append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10))
        .append(" +0000");
  }

  private static StringBuilder two(StringBuilder sb, int v) {
    return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }

  /** The hash of one line (without its newline): 64-bit FNV-1a, then a final mix. */
  static long lineHash(byte[] b, int off, int len) {
    long h = 0xcbf29ce484222325L;
    for (int i = off, end = off + len; i < end; i++) {
      h = (h ^ (b[i] & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    return h ^ (h >>> 33);
  }
}

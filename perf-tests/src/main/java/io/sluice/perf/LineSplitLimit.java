package io.sluice.perf;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The limit of the logs benchmark: the same files read and split into lines by a bare loop on one
 * thread: {@link FileChannel#read} into a reused 256 KiB heap buffer, then a scan for {@code '\n'}
 * that also hashes each line with {@link AccessLogFiles#lineHash} (as the sink does; a pass that
 * only counted newlines would measure less than "lines found, each touched once"). No parsing, no
 * records, no network. The files are in the page cache (just written, and read by the gateways),
 * so this is memory bandwidth and the loop, not the disk.
 */
final class LineSplitLimit {
  private LineSplitLimit() {}

  /** One pass: lines and bytes found, wall and thread CPU seconds, and the lines' hash sum (a check). */
  record Pass(long lines, long bytes, double seconds, double cpuSeconds, long checksum) {
    double linesPerSecond() {
      return lines / seconds;
    }
  }

  static Pass run(List<Path> files) throws IOException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    byte[] buf = new byte[256 * 1024];
    ByteBuffer bb = ByteBuffer.wrap(buf);
    long lines = 0;
    long bytes = 0;
    long sum = 0;
    for (Path f : files) {
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
        int carry = 0; // bytes of an unfinished line kept at the buffer's start
        bb.clear();
        int n;
        while ((n = ch.read(bb)) >= 0) {
          bytes += n;
          int limit = bb.position();
          int start = 0;
          for (int i = carry; i < limit; i++) {
            if (buf[i] == '\n') {
              sum += AccessLogFiles.lineHash(buf, start, i - start);
              lines++;
              start = i + 1;
            }
          }
          carry = limit - start;
          if (carry == buf.length) {
            throw new IOException(f + ": a line longer than " + buf.length + " bytes");
          }
          System.arraycopy(buf, start, buf, 0, carry);
          bb.clear().position(carry);
        }
        if (carry > 0) {
          sum += AccessLogFiles.lineHash(buf, 0, carry);
          lines++;
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Pass(lines, bytes, seconds, (threads.getCurrentThreadCpuTime() - cpu0) / 1e9, sum);
  }
}

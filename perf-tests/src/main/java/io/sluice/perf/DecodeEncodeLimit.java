package io.sluice.perf;

import com.google.protobuf.CodedOutputStream;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;

/**
 * The floor under any OTLP pass-through in Java: decode a request into the generated OTLP classes
 * and encode it again, in a loop on one thread with no network, over the same request bytes the
 * load generator sends. Whatever a gateway does on top (gRPC framing, HTTP/2, batching, queueing,
 * copying between buffers) costs more than this.
 *
 * <p>Encoding goes into one reused buffer, the cheapest way protobuf-java offers, so the floor is as
 * low as it can honestly be. The result gives the CPU time of this thread and of the whole process
 * (which adds the garbage collector's and JIT compiler's threads, as the gateway's own figure does);
 * the rest of the process must be idle meanwhile.
 */
final class DecodeEncodeLimit {
  /**
   * @param spans spans decoded and encoded in the measured interval
   * @param threadCpuNanos CPU time of the looping thread
   * @param processCpuTicks CPU time of the whole process, in clock ticks
   * @param wallNanos length of the measured interval
   * @param checksum derived from the output, so the work cannot be optimised away
   */
  record Result(long spans, long threadCpuNanos, long processCpuTicks, long wallNanos, long checksum) {
    double threadCpuSecondsPerMillionSpans() {
      return threadCpuNanos / 1e9 / spans * 1e6;
    }

    double processCpuSecondsPerMillionSpans() {
      return ProcStats.ticksToSeconds(processCpuTicks) / spans * 1e6;
    }

    double spansPerSecond() {
      return spans / (wallNanos / 1e9);
    }
  }

  private DecodeEncodeLimit() {}

  static Result run(TraceRequests pool, Duration warmup, Duration duration) throws IOException {
    int largest = 0;
    for (int i = 0; i < pool.size(); i++) {
      largest = Math.max(largest, pool.get(i).length);
    }
    byte[] out = new byte[largest * 2];
    long checksum = loop(pool, out, warmup.toNanos(), 0)[1];

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long pid = ProcessHandle.current().pid();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long ticks0 = ProcStats.cpuTicks(pid);
    long t0 = System.nanoTime();
    long[] r = loop(pool, out, duration.toNanos(), checksum);
    long wall = System.nanoTime() - t0;
    long ticks = ProcStats.cpuTicks(pid) - ticks0;
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    return new Result(r[0] * pool.spansPerRequest(), cpu, ticks, wall, r[1]);
  }

  /** Decodes and re-encodes requests for {@code nanos}; returns {requests done, checksum}. */
  private static long[] loop(TraceRequests pool, byte[] out, long nanos, long checksum) throws IOException {
    long end = System.nanoTime() + nanos;
    long done = 0;
    long sum = checksum;
    do {
      ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(pool.get(done));
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      request.writeTo(cos);
      int written = cos.getTotalBytesWritten();
      sum = sum * 31 + written + out[written - 1];
      done++;
    } while (System.nanoTime() - end < 0);
    return new long[] {done, sum};
  }
}

package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Inputs the receiver's fuzz targets and their review found, each the minimal form of one finding. */
class OtlpReceiverFuzzFindingsTest {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /**
   * Found by otlp-decompression: a snappy framing-format chunk header claiming 16 MiB made the
   * library allocate 16 MiB for a 14-byte body, whatever max_request_body_size.
   */
  @Test
  void aSnappyChunkClaimingMoreThanTheBodyHoldsIsRefusedWithoutAllocatingIt() {
    byte[] body = {(byte) 0xff, 6, 0, 0, 's', 'N', 'a', 'P', 'p', 'Y', 0, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    long before = THREADS.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(() -> Decompression.SNAPPY_FRAMED.decompress(body, body.length, 1 << 20))
        .isInstanceOf(IOException.class)
        .hasMessage("the body is not valid x-snappy-framed data: the chunk at byte 10 claims 16777215 bytes, but"
            + " the body has 0 more");
    assertThat(THREADS.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
  }

  /**
   * Found in review while fuzzing the HTTP receiver: the body buffer was sized by the request's
   * Content-Length before any of the body arrived, so a client declaring 20 MB and sending 10
   * bytes made the receiver allocate 20 MB per request. The buffer now grows with what arrives.
   */
  @Test
  void aDeclaredContentLengthIsNotAllocatedBeforeTheBodyArrives() throws Exception {
    try (RunningReceiver r = RunningReceiver.start()) {
      long[] loops = eventLoopThreads();
      long before = allocated(loops);
      for (int i = 0; i < 20; i++) {
        try (Socket s = new Socket("127.0.0.1", r.httpPort)) {
          OutputStream out = s.getOutputStream();
          out.write(("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
              + "Content-Length: 20000000\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          // wait until the receiver has the body's first bytes: the next request on another
          // connection is answered after this one's headers and bytes were read on the same loop
          r.post("/v1/traces", "application/x-protobuf", null, new byte[0]);
        }
      }
      long perRequest = (allocated(loops) - before) / 20;
      assertThat(perRequest).as("bytes allocated per request on the event loops").isLessThan(4L << 20);
      byte[] good = ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("ok", 3, 1)).build()
          .toByteArray();
      r.consumer(Signal.TRACES).clear();
      assertThat(r.post("/v1/traces", "application/x-protobuf", null, good).statusCode()).isEqualTo(200);
      assertThat(r.consumer(Signal.TRACES).itemCount(Signal.TRACES)).isEqualTo(3);
    }
  }

  private static long[] eventLoopThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().contains("eventloop"))
        .mapToLong(Thread::getId).toArray();
  }

  private static long allocated(long[] threads) {
    return Arrays.stream(THREADS.getThreadAllocatedBytes(threads)).filter(b -> b > 0).sum();
  }
}

package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.Signal;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver reads gRPC's framing itself: every malformed frame gets the gRPC status that says
 * what was wrong, and the next good call on the same receiver is served. The client is curl,
 * which sends the bytes it is given (a gRPC library would not send a broken frame).
 */
class OtlpGrpcFramingTest {
  @TempDir
  static Path dir;
  private static RunningReceiver receiver;

  @BeforeAll
  static void start() {
    receiver = RunningReceiver.start();
  }

  @AfterAll
  static void stop() throws Exception {
    receiver.close();
  }

  private static byte[] message() {
    return OtlpSamples.tracesProto().toByteArray();
  }

  private static Buffer frame(int flag, byte[] msg) {
    return Buffer.buffer().appendByte((byte) flag).appendInt(msg.length).appendBytes(msg);
  }

  /** Response headers and trailers of one call with {@code body} as its request body. */
  private static String call(Buffer body, String... headers) throws Exception {
    Path file = Files.createTempFile(dir, "body", ".bin");
    Files.write(file, body.getBytes());
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--http2-prior-knowledge", "-H", "te: trailers",
        "--data-binary", "@" + file, "-D", "-", "-o", "/dev/null", "--max-time", "20"));
    boolean typed = false;
    for (String h : headers) {
      cmd.add("-H");
      cmd.add(h);
      typed |= h.startsWith("content-type");
    }
    if (!typed) {
      cmd.add("-H");
      cmd.add("content-type: application/grpc");
    }
    cmd.add("http://127.0.0.1:" + receiver.grpcPort + "/" + GrpcHandler.TRACE_SERVICE + "/Export");
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("this test needs curl with HTTP/2: apt-get install -y curl", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
    return out;
  }

  private static void assertGoodCallServed() throws Exception {
    int before = receiver.consumer(Signal.TRACES).batches().size();
    assertThat(call(frame(0, message()))).contains("HTTP/2 200").contains("grpc-status: 0");
    assertThat(receiver.consumer(Signal.TRACES).batches()).hasSize(before + 1);
  }

  @Test
  void aWellFramedCallIsServedWithStatusInTrailers() throws Exception {
    assertGoodCallServed();
  }

  @Test
  void twoMessagesInAUnaryCallAreRefused() throws Exception {
    Buffer two = frame(0, message()).appendBuffer(frame(0, message()));
    assertThat(call(two)).contains("grpc-status: 3").contains("more than one message");
    assertGoodCallServed();
  }

  @Test
  void aMessageCutShortIsRefusedWithTheByteCounts() throws Exception {
    byte[] msg = message();
    Buffer cut = frame(0, msg).slice(0, 5 + msg.length - 10);
    assertThat(call(cut)).contains("grpc-status: 3")
        .contains("after " + (msg.length - 10) + " of the request message's " + msg.length + " bytes");
    assertGoodCallServed();
  }

  @Test
  void aPrefixCutShortAndAnEmptyCallAreRefused() throws Exception {
    assertThat(call(Buffer.buffer(new byte[] {0, 0, 0}))).contains("grpc-status: 3").contains("5-byte prefix");
    assertThat(call(Buffer.buffer())).contains("grpc-status: 3").contains("no request message");
    assertGoodCallServed();
  }

  @Test
  void anUnknownCompressedFlagAndAnUnnamedCompressionAreRefused() throws Exception {
    assertThat(call(frame(7, message()))).contains("grpc-status: 3").contains("compressed flag is 7");
    assertThat(call(frame(1, message()))).contains("grpc-status: 13").contains("names no grpc-encoding");
    assertThat(call(frame(1, message()), "grpc-encoding: br")).contains("grpc-status: 12")
        .contains("grpc-accept-encoding");
    assertGoodCallServed();
  }

  @Test
  void aDeclaredLengthOverTheLimitIsRefusedBeforeAnythingIsAllocated() throws Exception {
    // The prefix claims 2 GiB - 1; the receiver refuses on the prefix alone.
    Buffer huge = Buffer.buffer().appendByte((byte) 0).appendInt(Integer.MAX_VALUE).appendBytes(message());
    assertThat(call(huge)).contains("grpc-status: 8").contains("2147483647 bytes, over the limit");
    assertGoodCallServed();
  }

  @Test
  void otherContentTypesAreTurnedAway() throws Exception {
    assertThat(call(frame(0, message()), "content-type: application/json")).contains("HTTP/2 415");
    assertThat(call(frame(0, message()), "content-type: application/grpc+json")).contains("grpc-status: 12")
        .contains("only protobuf messages");
    assertGoodCallServed();
  }

  @Test
  void statusMessagesArePercentEncoded() {
    assertThat(GrpcHandler.percentEncode("50% of \"ü\"\n")).isEqualTo("50%25 of \"%C3%BC\"%0A");
  }

  @Test
  void onlyTheThreeExportPathsAreMethods() {
    assertThat(GrpcHandler.signalOfPath("/" + GrpcHandler.LOGS_SERVICE + "/Export")).isEqualTo(Signal.LOGS);
    assertThat(GrpcHandler.signalOfPath("/" + GrpcHandler.METRICS_SERVICE + "/Export")).isEqualTo(Signal.METRICS);
    assertThat(GrpcHandler.signalOfPath("/" + GrpcHandler.TRACE_SERVICE + "/Exports")).isNull();
    assertThat(GrpcHandler.signalOfPath(GrpcHandler.TRACE_SERVICE + "/Export")).isNull();
    assertThat(GrpcHandler.signalOfPath(null)).isNull();
  }
}

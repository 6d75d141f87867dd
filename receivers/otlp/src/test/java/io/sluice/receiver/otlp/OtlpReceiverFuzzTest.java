package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import io.sluice.core.testkit.fuzz.SdkPayloads;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fuzzed requests against a real {@code otlp} receiver over HTTP and gRPC: mutants of the
 * OpenTelemetry SDK's own requests, protobuf and JSON, plain and in every compression (mutated
 * before and after compressing), and of the decompressors on their own.
 *
 * <p>Invariants: every fuzzed request gets an answer the protocol allows for bad input (200, 400,
 * 413; OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED), never a 5xx, an INTERNAL or a dropped
 * connection; and a good request sent right after it is accepted and its items arrive. The
 * decompressors throw nothing but IOException and stay within the size limit.
 */
class OtlpReceiverFuzzTest {
  private static final String PROTO = "application/x-protobuf";
  private static final String JSON = "application/json";
  private static final List<String> ENCODINGS = List.of("identity", "gzip", "deflate", "zstd", "snappy",
      "x-snappy-framed");
  private static final Set<Integer> HTTP_ALLOWED = Set.of(200, 400, 413);

  private static RunningReceiver r;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    warmUp();
    r = RunningReceiver.start();
    channel = OtlpGrpcTest.channel(r.grpcPort);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    r.close();
  }

  /**
   * Decodes a few hundred mutants of every signal off the event loops first: a small body is
   * decoded on the loop, and the first to reach a message type would load its classes there,
   * blocking the loop longer than the test kit's blocked-loop check allows (a once-per-process cost
   * that is not what these targets are after).
   */
  private static void warmUp() {
    io.sluice.core.Envelope envelope = io.sluice.core.Envelope.of(io.sluice.core.ComponentId.of("otlp"));
    Random rnd = new Random(1);
    for (Signal s : Signal.values()) {
      List<byte[]> seeds = new ArrayList<>(SdkPayloads.protobuf(s));
      seeds.addAll(SdkPayloads.json(s));
      Mutator m = Mutator.of(seeds, 2);
      for (int i = 0; i < 300; i++) {
        byte[] b = i < seeds.size() ? seeds.get(i) : m.apply(rnd);
        try {
          if (b.length > 0 && b[0] == '{') {
            OtlpCodec.fromJson(s, b, b.length, envelope).resources();
          } else {
            OtlpCodec.fromProto(s, b, b.length, envelope).resources();
          }
        } catch (Exception e) {
          // most mutants are invalid; loading the classes on the way is the point
        }
      }
    }
  }

  private static String path(Signal s) {
    return "/v1/" + s.configName();
  }

  /** A good request of 3 spans right after a fuzzed one: 200, and the spans arrive. */
  private static void goodRequestStillWorks(FuzzGuard guard, byte[] after) {
    r.consumer(Signal.TRACES).clear();
    byte[] good = ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("ok", 3, 7)).build()
        .toByteArray();
    HttpResponse<byte[]> ok = r.post("/v1/traces", PROTO, null, good);
    if (ok.statusCode() != 200 || r.consumer(Signal.TRACES).itemCount(Signal.TRACES) != 3) {
      throw guard.failure("left the receiver answering " + ok.statusCode() + " to a good request, with "
          + r.consumer(Signal.TRACES).itemCount(Signal.TRACES) + " of its 3 spans delivered", after);
    }
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void fuzzedHttpRequestsGetAClientErrorAndTheNextGoodRequestSucceeds(Signal signal) {
    List<byte[]> seeds = new ArrayList<>(SdkPayloads.protobuf(signal));
    seeds.addAll(SdkPayloads.json(signal));
    try (FuzzGuard guard = FuzzGuard.of("otlp-receiver-http-" + signal.configName())) {
      Mutator mutants = Mutator.of(seeds, 4);
      Fuzz.run(guard, Fuzz.tries(1_500), rnd -> request(rnd, mutants), input -> {
        Random pick = new Random(java.util.Arrays.hashCode(input));
        String encoding = ENCODINGS.get(pick.nextInt(ENCODINGS.size()));
        String type = input.length > 0 && input[0] == '{' ? JSON : PROTO;
        byte[] body = compressed(encoding, input, pick);
        HttpResponse<byte[]> resp = r.post(path(signal), type, encoding.equals("identity") ? null : encoding, body);
        guard.ran("HTTP " + resp.statusCode());
        if (!HTTP_ALLOWED.contains(resp.statusCode())) {
          throw guard.failure("was answered " + resp.statusCode() + " (" + encoding + ", " + type + "): "
              + new String(resp.body(), java.nio.charset.StandardCharsets.UTF_8), input);
        }
        if (pick.nextInt(10) == 0) {
          goodRequestStillWorks(guard, input);
        }
      });
      goodRequestStillWorks(guard, new byte[0]);
    }
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void fuzzedGrpcCallsGetInvalidArgumentAndTheNextGoodCallSucceeds(Signal signal) {
    MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(GrpcHandler.serviceOf(signal) + "/Export")
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    Set<Status.Code> allowed = Set.of(Status.Code.OK, Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED);
    try (FuzzGuard guard = FuzzGuard.of("otlp-receiver-grpc-" + signal.configName())) {
      Mutator mutants = Mutator.of(SdkPayloads.protobuf(signal), 4);
      Fuzz.run(guard, Fuzz.tries(1_500), mutants, input -> {
        boolean gzip = (input.length & 1) == 1;
        Status.Code code;
        try {
          ClientCalls.blockingUnaryCall(channel, export, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)
              .withCompression(gzip ? "gzip" : "identity"), input);
          code = Status.Code.OK;
        } catch (StatusRuntimeException e) {
          code = e.getStatus().getCode();
        }
        guard.ran("gRPC " + code);
        if (!allowed.contains(code)) {
          throw guard.failure("was answered " + code, input);
        }
        if (input.length % 10 == 0) {
          goodRequestStillWorks(guard, input);
        }
      });
      goodRequestStillWorks(guard, new byte[0]);
    }
  }

  @Test
  void decompressorsRefuseBrokenDataWithIoExceptionsAndStayWithinTheLimit() {
    long limit = 1 << 20;
    List<byte[]> seeds = new ArrayList<>();
    for (String e : ENCODINGS) {
      for (Signal s : Signal.values()) {
        seeds.add(RunningReceiver.compress(e.equals("identity") ? "gzip" : e, SdkPayloads.protobuf(s).get(1)));
      }
    }
    // at most the limit, plus what the steps of decompressing keep beside it
    try (FuzzGuard guard = FuzzGuard.of("otlp-decompression", IOException.class).allocating(64, 4 * limit + (16 << 20))) {
      Fuzz.run(guard, Fuzz.tries(20_000), Mutator.of(seeds, 4), input -> {
        Decompression codec = Decompression.values()[1 + Math.floorMod(java.util.Arrays.hashCode(input), 5)];
        FuzzGuard.Outcome<Decompression.Bytes> o = guard.run(input, () -> codec.decompress(input, input.length,
            limit));
        if (o.accepted()) {
          assertThat((long) o.value().length()).isLessThanOrEqualTo(limit);
          try {
            OtlpCodec.fromProto(Signal.TRACES, o.value().array(), o.value().length(),
                io.sluice.core.Envelope.of(io.sluice.core.ComponentId.of("otlp")));
          } catch (InvalidProtocolBufferException e) {
            // a decompressed mutant need not be a request
          }
        }
      });
    }
  }

  private static byte[] request(Random rnd, Mutator mutants) {
    return mutants.apply(rnd);
  }

  /** The body compressed with {@code encoding}; sometimes the compressed bytes are mutated too. */
  private static byte[] compressed(String encoding, byte[] input, Random pick) {
    if (encoding.equals("identity")) {
      return input;
    }
    byte[] c = RunningReceiver.compress(encoding, input);
    if (pick.nextInt(3) == 0 && c.length > 0) {
      c = c.clone();
      c[pick.nextInt(c.length)] ^= (byte) (1 << pick.nextInt(8));
    }
    return c;
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}

package io.sluice.exporter.jaeger;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.jaegertracing.api_v2.Model;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A gRPC server on loopback (grpc-java's Netty server) that registers
 * {@code jaeger.api_v2.CollectorService/PostSpans} itself, reading each request's batch with the
 * published Jaeger model classes, recording it, and answering as a test tells it to.
 */
final class TestJaegerCollector implements AutoCloseable {
  /** How the server answers call number {@code n} (from 1). */
  record Outcome(StatusRuntimeException error, boolean held) {
    static Outcome ok() {
      return new Outcome(null, false);
    }

    static Outcome fail(Status status) {
      return new Outcome(status.asRuntimeException(), false);
    }

    static Outcome fail(StatusRuntimeException e) {
      return new Outcome(e, false);
    }

    /** Keep the call open until {@link #release()}, then answer OK. */
    static Outcome hold() {
      return new Outcome(null, true);
    }
  }

  /** What arrived in one call. */
  record Call(Model.Batch batch, Metadata headers, long arrivedNanos) {}

  /** Every call, accepted or not, in arrival order. */
  final List<Call> calls = new CopyOnWriteArrayList<>();
  /** The batches of the calls answered OK. */
  final List<Model.Batch> accepted = new CopyOnWriteArrayList<>();
  private final AtomicInteger count = new AtomicInteger();
  private final List<Runnable> held = new ArrayList<>();
  private volatile IntFunction<Outcome> behaviour = n -> Outcome.ok();
  private final Server server;

  private TestJaegerCollector(Server server) {
    this.server = server;
  }

  /** Starts plaintext on 127.0.0.1:{@code port}. */
  static TestJaegerCollector start(int port) {
    return start(port, null, null);
  }

  /** Starts on 127.0.0.1:{@code port}, with TLS when a certificate and key are given. */
  static TestJaegerCollector start(int port, Path certFile, Path keyFile) {
    TestJaegerCollector[] self = new TestJaegerCollector[1];
    MethodDescriptor<Model.Batch, byte[]> method = MethodDescriptor.<Model.Batch, byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(PostSpans.FULL_METHOD_NAME)
        .setRequestMarshaller(new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(Model.Batch value) {
            throw new UnsupportedOperationException();
          }

          @Override
          public Model.Batch parse(InputStream stream) {
            try {
              return PostSpansRequests.batch(stream);
            } catch (IOException e) {
              throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
            }
          }
        })
        .setResponseMarshaller(new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value); // PostSpansResponse{}: no fields
          }

          @Override
          public byte[] parse(InputStream stream) {
            throw new UnsupportedOperationException();
          }
        })
        .build();
    HeaderCapture capture = new HeaderCapture();
    ServerServiceDefinition service = ServerServiceDefinition.builder("jaeger.api_v2.CollectorService")
        .addMethod(method, ServerCalls.asyncUnaryCall((Model.Batch batch, StreamObserver<byte[]> answer) ->
            self[0].handle(batch, capture.current.get(), answer)))
        .build();
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(ServerInterceptors.intercept(service, capture));
    try {
      if (certFile != null) {
        b.sslContext(GrpcSslContexts.forServer(certFile.toFile(), keyFile.toFile()).build());
      }
      self[0] = new TestJaegerCollector(b.build().start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return self[0];
  }

  /** Hands each call's headers to its handler, which grpc-java runs on the same thread. */
  private static final class HeaderCapture implements ServerInterceptor {
    final ThreadLocal<Metadata> current = new ThreadLocal<>();

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
        ServerCallHandler<Q, A> next) {
      ServerCall.Listener<Q> delegate = next.startCall(call, headers);
      return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
        @Override
        public void onHalfClose() {
          current.set(headers);
          try {
            super.onHalfClose();
          } finally {
            current.remove();
          }
        }
      };
    }
  }

  private void handle(Model.Batch batch, Metadata headers, StreamObserver<byte[]> answer) {
    calls.add(new Call(batch, headers, System.nanoTime()));
    Outcome o = behaviour.apply(count.incrementAndGet());
    if (o.error() != null) {
      answer.onError(o.error());
      return;
    }
    Runnable ok = () -> {
      accepted.add(batch);
      answer.onNext(new byte[0]);
      answer.onCompleted();
    };
    if (o.held()) {
      synchronized (held) {
        held.add(ok);
      }
    } else {
      ok.run();
    }
  }

  void behave(IntFunction<Outcome> b) {
    behaviour = b;
  }

  int heldCalls() {
    synchronized (held) {
      return held.size();
    }
  }

  /** Answers every held call OK. */
  void release() {
    List<Runnable> now;
    synchronized (held) {
      now = new ArrayList<>(held);
      held.clear();
    }
    now.forEach(Runnable::run);
  }

  /** Every span accepted, over all calls. */
  List<Model.Span> acceptedSpans() {
    List<Model.Span> out = new ArrayList<>();
    for (Model.Batch b : accepted) {
      out.addAll(b.getSpansList());
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    release();
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }
}

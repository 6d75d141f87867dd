package io.sluice.exporter.otlp;

import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sends one batch as one OTLP/gRPC {@code Export} call and turns the answer into success, a
 * {@link RetryableException} or a {@link PermanentException}. Queueing, retries and the timeout
 * are the {@link io.sluice.core.exporterhelper.ExporterHelper}'s.
 *
 * <p>The channel ({@link GrpcClientChannel}) is opened and closed by the helper's start and
 * shutdown and touched only on the helper's context; answers arrive on a Netty loop and are
 * handed to that context through promises bound to it.
 */
final class OtlpExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpExporter.class);

  private final String id;
  private final GrpcEndpoint endpoint;
  private final GrpcClientChannel.Owner owner;
  private final RateLimitedLog rejectedLog;
  private final RateLimitedLog warningLog;

  OtlpExporter(ComponentContext ctx, OtlpExporterConfig config, GrpcClientChannel.Owner owner) {
    this.id = ctx.id().toString();
    this.endpoint = GrpcEndpoint.parse(config.endpoint());
    this.owner = owner;
    this.rejectedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
    this.warningLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  }

  @Override
  public Future<Void> send(Batch batch) {
    GrpcClientChannel channel = owner.channel();
    if (channel == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open gRPC channel"));
    }
    Promise<Void> done = owner.context().promise();
    EncodedResources req;
    try {
      req = batch.encoded();
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode " + batch.signal()
          + ": " + e.getMessage(), e));
    }
    switch (batch.signal()) {
      case TRACES -> {
        call(channel.newCall(TRACES_ENCODED), req, new Answer<ExportTraceServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportTraceServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedSpans(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
      case METRICS -> {
        call(channel.newCall(METRICS_ENCODED), req, new Answer<ExportMetricsServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportMetricsServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedDataPoints(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
      case LOGS -> {
        call(channel.newCall(LOGS_ENCODED), req, new Answer<ExportLogsServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportLogsServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedLogRecords(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
    }
    return done.future();
  }

  private static final MethodDescriptor<EncodedResources, ExportTraceServiceResponse> TRACES_ENCODED =
      EncodedRequest.method(TraceServiceGrpc.getExportMethod());
  private static final MethodDescriptor<EncodedResources, ExportMetricsServiceResponse> METRICS_ENCODED =
      EncodedRequest.method(MetricsServiceGrpc.getExportMethod());
  private static final MethodDescriptor<EncodedResources, ExportLogsServiceResponse> LOGS_ENCODED =
      EncodedRequest.method(LogsServiceGrpc.getExportMethod());

  /** One unary call sending encoded bytes. */
  private static <R> void call(ClientCall<EncodedResources, R> call, EncodedResources request,
      StreamObserver<R> answer) {
    ClientCalls.asyncUnaryCall(call, request, answer);
  }

  private void reportPartial(Signal signal, long rejected, String message) {
    if (rejected > 0) {
      rejectedLog.log("Exporter '{}': '{}' accepted the request only in part and rejected {} {}: {}", id,
          endpoint.target(), rejected, signal.itemName(), message.isEmpty() ? "(no reason given)" : message);
    } else if (!message.isEmpty()) {
      warningLog.log("Exporter '{}': '{}' accepted the {} with a warning: {}", id, endpoint.target(), signal,
          message);
    }
  }

  /** Completes the exporter's promise from the answer of one call; runs on a Netty event loop. */
  private abstract class Answer<R> implements StreamObserver<R> {
    private final Signal signal;
    private final Promise<Void> done;

    Answer(Signal signal, Promise<Void> done) {
      this.signal = signal;
      this.done = done;
    }

    abstract void partialSuccess(R response);

    @Override
    public void onNext(R response) {
      try {
        partialSuccess(response);
      } catch (RuntimeException e) {
        LOG.debug("Exporter '{}' could not read a partial success answer", id, e);
      }
    }

    @Override
    public void onError(Throwable t) {
      done.tryFail(failure(id, endpoint.target(), signal, t));
    }

    @Override
    public void onCompleted() {
      done.tryComplete();
    }
  }

  /**
   * Maps a failed call to the exception the helper acts on: the codes OTLP says to retry (and
   * {@code RESOURCE_EXHAUSTED} when the server sent a retry delay) are retryable, everything else
   * is permanent.
   */
  static RuntimeException failure(String id, String target, Signal signal, Throwable t) {
    Status status = Status.fromThrowable(t);
    Duration retryAfter = GrpcClientChannel.retryDelay(t);
    String message = "Exporter '" + id + "' could not send " + signal + " to '" + target + "': "
        + status.getCode() + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
    return switch (status.getCode()) {
      case CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS ->
          new RetryableException(message, retryAfter, t);
      case RESOURCE_EXHAUSTED -> retryAfter != null
          ? new RetryableException(message, retryAfter, t)
          : new PermanentException(message + "; the server sent no retry delay, so this is not retried", t);
      default -> new PermanentException(message, t);
    };
  }
}

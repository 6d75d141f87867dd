package io.sluice.exporter.jaeger;

import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.exporter.otlp.GrpcClientChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sends one request (the spans of one process) as one {@code PostSpans} call and turns the
 * answer into success, a {@link RetryableException} or a {@link PermanentException}. Queueing,
 * retries and the timeout are the {@link io.sluice.core.exporterhelper.ExporterHelper}'s; the
 * helper's request splitter ({@link #byProcess}) makes the requests.
 *
 * <p>Everything here runs on the helper's context, where the channel's {@link
 * GrpcClientChannel.Owner} opens and closes it: the translation, and the promise an answer
 * completes (answers arrive on a Netty loop).
 */
final class JaegerExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(JaegerExporter.class);
  static final String INVALID_IDS = "invalid_ids";

  private final String id;
  private final GrpcClientChannel.Owner owner;
  private final SelfMetrics.ExporterMetrics metrics;
  private final RateLimitedLog invalidLog;
  private final JaegerEncoder encoder = new JaegerEncoder();

  JaegerExporter(ComponentContext ctx, JaegerExporterConfig config, GrpcClientChannel.Owner owner) {
    this.id = ctx.id().toString();
    this.owner = owner;
    this.metrics = ctx.metrics().exporter(ctx.id());
    this.invalidLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  }

  @Override
  public Future<Void> send(Batch batch) {
    GrpcClientChannel channel = owner.channel();
    if (channel == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open gRPC channel"));
    }
    JaegerEncoder.Encoded request;
    try {
      request = encoder.encode(batch.encoded());
    } catch (RuntimeException e) {
      return Future.failedFuture(e instanceof PermanentException ? e : new PermanentException("Exporter '" + id
          + "' could not translate spans for Jaeger: " + e.getMessage(), e));
    }
    if (request.invalidSpans() > 0) {
      metrics.dropped(Signal.TRACES, INVALID_IDS, request.invalidSpans());
      invalidLog.log("Exporter '{}' left out {} spans whose trace ID is not 16 bytes, span ID not 8 bytes or"
          + " parent span ID not 8 bytes; Jaeger cannot store them", id, request.invalidSpans());
    }
    if (request.spans() == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> done = owner.context().promise();
    ClientCalls.asyncUnaryCall(channel.newCall(PostSpans.METHOD), request.bytes(),
        new StreamObserver<PostSpans.Response>() {
          @Override
          public void onNext(PostSpans.Response value) {}

          @Override
          public void onError(Throwable t) {
            done.tryFail(failure(id, channel.target(), request.spans(), t));
          }

          @Override
          public void onCompleted() {
            done.tryComplete();
          }
        });
    return done.future();
  }

  /**
   * Maps a failed call to the exception the helper acts on. Jaeger's collector answers
   * {@code RESOURCE_EXHAUSTED} when its queue is full and {@code UNAVAILABLE} when it cannot take
   * spans now: both are retried (after the server's {@code RetryInfo} delay when it sent one), as
   * are the other transient codes; {@code INVALID_ARGUMENT} and the rest are permanent. A message
   * over the server's size limit is permanent too: sending it again cannot help.
   */
  static RuntimeException failure(String id, String target, int spans, Throwable t) {
    Status status = Status.fromThrowable(t);
    Duration retryAfter = GrpcClientChannel.retryDelay(t);
    String description = status.getDescription();
    String message = "Exporter '" + id + "' could not send " + spans + " spans to Jaeger at '" + target + "': "
        + status.getCode() + (description == null ? "" : " (" + description + ")");
    return switch (status.getCode()) {
      case RESOURCE_EXHAUSTED -> tooLarge(description)
          ? new PermanentException(message + "; lower 'max_request_size' below the server's message limit", t)
          : new RetryableException(message, retryAfter, t);
      case CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS ->
          new RetryableException(message, retryAfter, t);
      default -> new PermanentException(message, t);
    };
  }

  /** True for a gRPC server's refusal of a message over its size limit (Go's and Java's wording). */
  private static boolean tooLarge(String description) {
    if (description == null) {
      return false;
    }
    String d = description.toLowerCase(Locale.ROOT);
    return d.contains("larger than max") || d.contains("exceeds maximum size");
  }

  /**
   * A batch as the requests it is sent in: one per process (resource), so each {@code PostSpans}
   * carries one Jaeger batch whose spans share its process, cut further where a process's spans
   * take more than {@code maxRequestSize} bytes (0: no limit). Encoded batches are grouped by
   * their resources' bytes without parsing; decoded ones by their resource messages.
   */
  static List<Batch> byProcess(Batch batch, long maxRequestSize) {
    List<Batch> groups;
    if (batch.isEncoded()) {
      List<EncodedResources> parts = batch.encoded().groupByResource();
      groups = new ArrayList<>(parts.size());
      if (parts.size() == 1) {
        groups.add(batch);
      } else {
        for (EncodedResources p : parts) {
          groups.add(batch.withEncoded(p));
        }
      }
    } else {
      Map<Resource, List<ResourceSpans>> byResource = new LinkedHashMap<>();
      for (ResourceSpans rs : batch.resourceSpans()) {
        byResource.computeIfAbsent(rs.getResource(), r -> new ArrayList<>()).add(rs);
      }
      groups = new ArrayList<>(byResource.size());
      if (byResource.size() <= 1) {
        groups.add(batch);
      } else {
        for (List<ResourceSpans> g : byResource.values()) {
          groups.add(batch.withResources(g));
        }
      }
    }
    if (maxRequestSize <= 0) {
      return groups;
    }
    List<Batch> out = new ArrayList<>(groups.size());
    for (Batch g : groups) {
      if (g.sizeBytes() <= maxRequestSize) {
        out.add(g);
      } else {
        for (EncodedResources p : g.encoded().splitBySize(maxRequestSize)) {
          out.add(g.withEncoded(p));
        }
      }
    }
    return out;
  }
}

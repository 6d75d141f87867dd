package io.sluice.exporter.loki;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * One push request: the entries of one stream from one batch, sorted by time. It is the resource
 * list of the batch the exporter helper queues (the records it came from, so counts and sizes are
 * the batch's own), and carries what the request needs: its key (tenant and labels), which the
 * helper serialises requests on, and its body, encoded once and kept for retries.
 */
final class StreamRequest extends AbstractList<ResourceLogs> {
  final String tenant;
  final TreeMap<String, String> labels;
  final String selector;
  /** The tenant and the labels: equal for requests of one stream. */
  final String key;
  final List<PushEncoder.Line> lines;
  private final List<ResourceLogs> resources;
  private byte[] body;

  private StreamRequest(Builder b) {
    this.tenant = b.tenant;
    this.labels = b.labels;
    this.selector = b.selector;
    this.key = b.key;
    List<PushEncoder.Line> sorted = new ArrayList<>(b.lines);
    sorted.sort(Comparator.comparingLong(PushEncoder.Line::timeNanos)); // stable: equal times keep their order
    this.lines = sorted;
    this.resources = b.resources();
  }

  /** The request body, encoded on the first call. */
  byte[] body(boolean json) {
    if (body == null) {
      body = json ? PushEncoder.json(labels, lines) : PushEncoder.protobuf(selector, lines);
    }
    return body;
  }

  @Override
  public ResourceLogs get(int index) {
    return resources.get(index);
  }

  @Override
  public int size() {
    return resources.size();
  }

  /** Gathers one stream's records of a batch, remembering the resource and scope each came from. */
  static final class Builder {
    final String tenant;
    final TreeMap<String, String> labels;
    final String selector;
    final String key;
    final List<PushEncoder.Line> lines = new ArrayList<>();
    private final List<ResourceLogs> done = new ArrayList<>();
    private ResourceLogs resource;
    private ScopeLogs scope;
    private ResourceLogs.Builder rb;
    private ScopeLogs.Builder sb;

    Builder(String tenant, TreeMap<String, String> labels, String selector, String key) {
      this.tenant = tenant;
      this.labels = labels;
      this.selector = selector;
      this.key = key;
    }

    void add(ResourceLogs from, ScopeLogs in, LogRecord record, PushEncoder.Line line) {
      if (from != resource) {
        finishResource();
        resource = from;
        rb = ResourceLogs.newBuilder().setResource(from.getResource()).setSchemaUrl(from.getSchemaUrl());
      }
      if (in != scope) {
        finishScope();
        scope = in;
        sb = ScopeLogs.newBuilder().setScope(in.getScope()).setSchemaUrl(in.getSchemaUrl());
      }
      sb.addLogRecords(record);
      lines.add(line);
    }

    private void finishScope() {
      if (sb != null) {
        rb.addScopeLogs(sb);
        sb = null;
        scope = null;
      }
    }

    private void finishResource() {
      finishScope();
      if (rb != null) {
        done.add(rb.build());
        rb = null;
        resource = null;
      }
    }

    List<ResourceLogs> resources() {
      finishResource();
      return done;
    }

    StreamRequest build() {
      return new StreamRequest(this);
    }
  }
}

package io.sluice.exporter.loki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.loki4j.pkg.loki.protobuf.Push;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.xerial.snappy.Snappy;

/**
 * A Loki push endpoint for tests, on a free loopback port: decodes protobuf pushes with the
 * published {@code com.github.loki4j:loki-protobuf} messages and snappy-java (not with the
 * exporter's own code), and JSON pushes with Jackson. Records every push and answers what the
 * test's script says (204 by default).
 */
final class LokiSink implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One entry as Loki received it. */
  record Entry(long timeNanos, String line, Map<String, String> metadata) {
  }

  /** One stream of a push: its labels as sent (the selector string) and parsed, and its entries. */
  record Stream(String selector, Map<String, String> labels, List<Entry> entries) {
  }

  /** One push: its headers that matter, its streams, when it came and what it was answered. */
  record Received(String tenant, String contentType, String userAgent, String authorization, List<Stream> streams,
      long atNanos, int status) {
    /** The one stream of this push (the exporter sends one per request). */
    Stream stream() {
      if (streams.size() != 1) {
        throw new AssertionError("expected one stream, got " + streams.size());
      }
      return streams.get(0);
    }
  }

  /** What to answer: a status, a Retry-After value (or null) and a body. */
  record Answer(int status, String retryAfter, String body) {
    static final Answer OK = new Answer(204, null, "");
  }

  private final HttpServer server;
  final List<Received> pushes = new CopyOnWriteArrayList<>();
  private volatile Function<List<Stream>, Answer> script = s -> Answer.OK;

  private LokiSink(HttpServer server) {
    this.server = server;
  }

  static LokiSink start(Vertx vertx) throws Exception {
    LokiSink[] sink = new LokiSink[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> sink[0].handle(req));
    sink[0] = new LokiSink(server);
    server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return sink[0];
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/loki/api/v1/push";
  }

  /** Answers every push with what {@code script} says about its streams. */
  void answer(Function<List<Stream>, Answer> script) {
    this.script = script;
  }

  /** Every stream of every push answered 2xx, in the order they came. */
  List<Stream> accepted() {
    List<Stream> out = new ArrayList<>();
    for (Received p : pushes) {
      if (p.status() / 100 == 2) {
        out.addAll(p.streams());
      }
    }
    return out;
  }

  /** The lines of every accepted entry of the stream with this selector, in the order they came. */
  List<String> acceptedLines(String selector) {
    List<String> out = new ArrayList<>();
    for (Stream s : accepted()) {
      if (s.selector().equals(selector)) {
        s.entries().forEach(e -> out.add(e.line()));
      }
    }
    return out;
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      String contentType = req.getHeader("Content-Type");
      List<Stream> streams;
      try {
        streams = "application/json".equals(contentType) ? fromJson(body.getBytes())
            : fromProtobuf(Snappy.uncompress(body.getBytes()));
      } catch (Exception e) {
        req.response().setStatusCode(400).end("cannot decode: " + e);
        return;
      }
      Answer a = script.apply(streams);
      pushes.add(new Received(req.getHeader("X-Scope-OrgID"), contentType, req.getHeader("User-Agent"),
          req.getHeader("Authorization"), streams, System.nanoTime(), a.status()));
      if (a.retryAfter() != null) {
        req.response().putHeader("Retry-After", a.retryAfter());
      }
      req.response().setStatusCode(a.status()).end(a.body());
    });
  }

  private static List<Stream> fromProtobuf(byte[] raw) throws Exception {
    Push.PushRequest request = Push.PushRequest.parseFrom(raw);
    List<Stream> out = new ArrayList<>();
    for (Push.StreamAdapter s : request.getStreamsList()) {
      if (s.getHash() != 0) {
        throw new IllegalArgumentException("the hash field is Loki's own");
      }
      List<Entry> entries = new ArrayList<>();
      for (Push.EntryAdapter e : s.getEntriesList()) {
        Map<String, String> md = new LinkedHashMap<>();
        for (Push.LabelPairAdapter p : e.getStructuredMetadataList()) {
          md.put(p.getName(), p.getValue());
        }
        long t = e.getTimestamp().getSeconds() * 1_000_000_000L + e.getTimestamp().getNanos();
        entries.add(new Entry(t, e.getLine(), md));
      }
      out.add(new Stream(s.getLabels(), parseSelector(s.getLabels()), entries));
    }
    return out;
  }

  private static List<Stream> fromJson(byte[] raw) throws Exception {
    JsonNode root = JSON.readTree(raw);
    List<Stream> out = new ArrayList<>();
    for (JsonNode s : root.get("streams")) {
      Map<String, String> labels = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = s.get("stream").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        labels.put(f.getKey(), f.getValue().asText());
      }
      List<Entry> entries = new ArrayList<>();
      for (JsonNode v : s.get("values")) {
        if (!v.get(0).isTextual()) {
          throw new IllegalArgumentException("the timestamp must be a string");
        }
        Map<String, String> md = new LinkedHashMap<>();
        if (v.size() > 2) {
          for (Iterator<Map.Entry<String, JsonNode>> it = v.get(2).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            md.put(f.getKey(), f.getValue().asText());
          }
        }
        entries.add(new Entry(Long.parseLong(v.get(0).asText()), v.get(1).asText(), md));
      }
      out.add(new Stream(null, labels, entries));
    }
    return out;
  }

  /** Parses {@code {a="x", b="y\"z"}} as Loki's push handler would (Go string escapes). */
  static Map<String, String> parseSelector(String s) {
    if (!s.startsWith("{") || !s.endsWith("}")) {
      throw new IllegalArgumentException("not a selector: " + s);
    }
    Map<String, String> out = new LinkedHashMap<>();
    int i = 1;
    int end = s.length() - 1;
    while (i < end) {
      while (i < end && (s.charAt(i) == ' ' || s.charAt(i) == ',')) {
        i++;
      }
      if (i >= end) {
        break;
      }
      int eq = s.indexOf('=', i);
      String name = s.substring(i, eq).trim();
      if (!name.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
        throw new IllegalArgumentException("invalid label name '" + name + "' in " + s);
      }
      if (s.charAt(eq + 1) != '"') {
        throw new IllegalArgumentException("unquoted value in " + s);
      }
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; s.charAt(j) != '"'; j++) {
        char c = s.charAt(j);
        if (c == '\\') {
          char n = s.charAt(++j);
          v.append(switch (n) {
            case 'n' -> '\n';
            case 't' -> '\t';
            default -> n;
          });
        } else {
          v.append(c);
        }
      }
      if (out.put(name, v.toString()) != null) {
        throw new IllegalArgumentException("duplicate label '" + name + "' in " + s);
      }
      i = j + 1;
    }
    return out;
  }

  @Override
  public void close() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the Loki sink did not close in 10 s", e);
    }
  }
}

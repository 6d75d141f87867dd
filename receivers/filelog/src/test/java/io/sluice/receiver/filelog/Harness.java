package io.sluice.receiver.filelog;

import org.awaitility.Awaitility;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs filelog receivers in a test: a strict Vert.x, a consumer that records the records of every
 * batch it acknowledges, and a host that knows the extensions a test adds.
 */
final class Harness implements AutoCloseable {
  final TestVertx tv = TestVertx.create();
  final SelfMetrics metrics = new SelfMetrics();
  final Map<ComponentId, Extension> extensions = new java.util.concurrent.ConcurrentHashMap<>();
  /** Records of acknowledged batches. */
  final List<LogRecord> delivered = new CopyOnWriteArrayList<>();
  final List<Batch> attempts = new CopyOnWriteArrayList<>();
  private final List<FilelogReceiver> receivers = new ArrayList<>();
  /** Decides each batch's answer; success by default. */
  volatile Function<Batch, Future<Void>> answer = b -> Future.succeededFuture();

  final Host host = new Host() {
    @Override
    public boolean ready() {
      return true;
    }

    @Override
    public Optional<Extension> extension(ComponentId id) {
      return Optional.ofNullable(extensions.get(id));
    }
  };

  /**
   * A receiver config reading {@code include} (a glob under {@code dir}) from the beginning, polling
   * every 20 ms and flushing after 100 ms, with {@code more} lines of YAML.
   */
  static String yaml(java.nio.file.Path dir, String include, String... more) {
    return "include: [\"" + dir + "/" + include + "\"]\nstart_at: beginning\npoll_interval: 20ms\n"
        + "force_flush_period: 100ms\n" + String.join("\n", more);
  }

  static FilelogReceiverConfig config(String yaml) throws Exception {
    return ConfigLoader.bindComponent(new FilelogReceiverFactory(), yaml);
  }

  ComponentContext context(ComponentKind kind, String id) {
    return new ComponentContext(ComponentId.parse(id), kind, "", tv.vertx(), metrics, host);
  }

  FilelogReceiver start(String yaml) throws Exception {
    return start(config(yaml));
  }

  FilelogReceiver start(FilelogReceiverConfig config) throws Exception {
    return start(config, LogEntryPipeline::of);
  }

  FilelogReceiver start(FilelogReceiverConfig config,
      java.util.function.BiFunction<List<Map<String, Object>>, String, LogEntryPipeline> pipelines) throws Exception {
    FilelogReceiver r = new FilelogReceiver(context(ComponentKind.RECEIVER, "filelog"), config, batch -> {
      attempts.add(batch);
      Future<Void> f = answer.apply(batch);
      return f.onSuccess(v -> delivered.addAll(records(batch)));
    }, System::nanoTime, Clock.systemUTC(), pipelines);
    receivers.add(r);
    await(r.start());
    return r;
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static List<LogRecord> records(Batch batch) {
    List<LogRecord> out = new ArrayList<>();
    for (ResourceLogs rl : batch.resourceLogs()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        out.addAll(sl.getLogRecordsList());
      }
    }
    return out;
  }

  /** The bodies delivered, sorted: a multiset to compare with what was written. */
  List<String> lines() {
    return delivered.stream().map(r -> r.getBody().getStringValue()).sorted().collect(Collectors.toList());
  }

  /** Waits until exactly {@code expected} (as a multiset) was delivered, and stays so for a few polls. */
  void awaitExactly(List<String> expected) {
    List<String> sorted = new ArrayList<>(expected);
    Collections.sort(sorted);
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> delivered.size() >= sorted.size());
    Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> delivered.size() == sorted.size());
    org.assertj.core.api.Assertions.assertThat(lines()).isEqualTo(sorted);
  }

  void stop(FilelogReceiver r) throws Exception {
    await(r.shutdown());
    receivers.remove(r);
  }

  @Override
  public void close() throws Exception {
    for (FilelogReceiver r : receivers) {
      await(r.shutdown());
    }
    for (Extension e : extensions.values()) {
      await(e.shutdown());
    }
    tv.close();
  }
}

package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentKind;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FilelogReceiverConfigTest {
  private final FilelogReceiverFactory factory = new FilelogReceiverFactory();

  private FilelogReceiverConfig bind(String yaml) throws ConfigException {
    return ConfigLoader.bindComponent(factory, yaml);
  }

  private void rejects(String yaml, String... messageParts) {
    var assertion = assertThatThrownBy(() -> bind(yaml)).isInstanceOf(ConfigException.class);
    for (String part : messageParts) {
      assertion.hasMessageContaining(part);
    }
  }

  @Test
  void bindsTheCollectorsKeys() throws Exception {
    FilelogReceiverConfig c = bind("""
        include: [/var/log/app/*.log, "/var/log/**/*.json"]
        exclude: [/var/log/app/debug.log]
        exclude_older_than: 24h
        start_at: beginning
        poll_interval: 1s
        max_concurrent_files: 10
        max_batches: 2
        fingerprint_size: 2kb
        max_log_size: 512KiB
        encoding: utf-16le
        include_file_name: false
        include_file_path: true
        include_file_name_resolved: true
        include_file_path_resolved: true
        include_file_owner_name: true
        include_file_owner_group_name: true
        delete_after_read: true
        storage: file_storage/checkpoints
        force_flush_period: 2s
        retry_on_failure: {enabled: true, initial_interval: 2s, max_interval: 10s, max_elapsed_time: 1m}
        attributes: {team: payments}
        resource: {service.name: checkout}
        multiline: {line_start_pattern: '^\\d{4}-', omit_pattern: false}
        preserve_leading_whitespaces: true
        preserve_trailing_whitespaces: true
        compression: gzip
        operators:
          - type: regex_parser
            regex: '^(?P<time>\\S+) (?P<msg>.*)$'
        """);

    assertThat(c.include()).containsExactly("/var/log/app/*.log", "/var/log/**/*.json");
    assertThat(c.fingerprintBytes()).isEqualTo(2048);
    assertThat(c.maxLogBytes()).isEqualTo(512 * 1024);
    assertThat(c.startAtBeginning()).isTrue();
    assertThat(c.pollInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.retryOnFailure().enabled()).isTrue();
    assertThat(c.multiline().lineStartPattern()).isEqualTo("^\\d{4}-");
    assertThat(c.operators()).singleElement().satisfies(op -> assertThat(op).containsEntry("type", "regex_parser"));
    assertThat(c.resource()).isEqualTo(Map.of("service.name", "checkout"));
  }

  @Test
  void defaultsAreTheCollectors() throws Exception {
    FilelogReceiverConfig c = bind("include: [/var/log/*.log]");

    assertThat(c.startAtBeginning()).isFalse();
    assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(c.maxConcurrentFiles()).isEqualTo(1024);
    assertThat(c.fingerprintBytes()).isEqualTo(1024);
    assertThat(c.maxLogBytes()).isEqualTo(1 << 20);
    assertThat(c.includeFileName()).isTrue();
    assertThat(c.includeFilePath()).isFalse();
    assertThat(c.forceFlushPeriod()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.retryOnFailure().enabled()).isFalse();
    assertThat(c.retryOnFailure().initialInterval()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void wrongValuesNameTheirKeyPathAndWhatIsValid() {
    rejects("start_at: end", "receivers.filelog.include", "is required");
    rejects("include: [a]\nstart_at: middle", "receivers.filelog.start_at", "\"middle\"", "beginning");
    rejects("include: [a]\nfingerprint_size: 8", "receivers.filelog.fingerprint_size", "at least 16 bytes");
    rejects("include: [a]\nfingerprint_size: lots", "receivers.filelog.fingerprint_size", "\"lots\" is not a byte size");
    rejects("include: [a]\nmax_log_size: 0", "receivers.filelog.max_log_size");
    rejects("include: [a]\nencoding: utf-32", "receivers.filelog.encoding", "utf-16le");
    rejects("include: [a]\nmax_concurrent_files: 0", "receivers.filelog.max_concurrent_files");
    rejects("include: [a]\npoll_interval: 0s", "receivers.filelog.poll_interval");
    rejects("include: [a]\ndelete_after_read: true", "receivers.filelog.delete_after_read", "start_at: beginning");
    rejects("include: [a]\nstorage: \"a/b/c\"", "receivers.filelog.storage");
    rejects("include: [a]\nmultiline: {line_start_pattern: '(['}", "receivers.filelog.multiline.line_start_pattern");
    rejects("include: [a]\nmultiline: {line_start_pattern: a, line_end_pattern: b}", "receivers.filelog.multiline",
        "give one");
    rejects("include: [a]\nmultiline: {line_begin: a}", "line_begin");
    rejects("include: [a]\ncompression: zstd", "receivers.filelog.compression", "gzip");
    rejects("include: [a]\nretry_on_failure: {initial_interval: 0s}", "receivers.filelog.retry_on_failure.initial_interval");
    rejects("include: [a]\noperators: [{regex: x}]", "receivers.filelog.operators[0]");
    rejects("include: [a]\ninclude_file_paths: true", "include_file_paths");
  }

  @Test
  void byteSizesReadAsTheCollectorWritesThem() {
    assertThat(ByteSizes.parse("1000")).isEqualTo(1000);
    assertThat(ByteSizes.parse("1kb")).isEqualTo(1024);
    assertThat(ByteSizes.parse("16KiB")).isEqualTo(16 * 1024);
    assertThat(ByteSizes.parse("1.5MiB")).isEqualTo(3 << 19);
    assertThat(ByteSizes.parse("2 GB")).isEqualTo(2L << 30);
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      var r = factory.create(TestContexts.context(tv.vertx(), ComponentKind.RECEIVER, "filelog"),
          bind("include: [/nonexistent/*.log]"), Map.of());
      Harness.await(r.shutdown());
      Harness.await(r.shutdown());
    }
  }

  @Test
  void startShutdownStartAgain() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      var ctx = TestContexts.context(tv.vertx(), ComponentKind.RECEIVER, "filelog");
      var config = bind("include: [/nonexistent/*.log]");
      var first = factory.create(ctx, config, Map.of(io.sluice.core.Signal.LOGS, b -> io.vertx.core.Future.succeededFuture()));
      Harness.await(first.start());
      Harness.await(first.shutdown());
      var second = factory.create(ctx, config, Map.of(io.sluice.core.Signal.LOGS, b -> io.vertx.core.Future.succeededFuture()));
      Harness.await(second.start());
      Harness.await(second.shutdown());
    }
  }
}

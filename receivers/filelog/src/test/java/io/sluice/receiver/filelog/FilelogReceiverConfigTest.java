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
        initial_buffer_size: 32KiB
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
    assertThat(c.fingerprintBytes()).as("2kb: 2,000 bytes, as the Collector reads it").isEqualTo(2000);
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
    assertThat(c.fingerprintBytes()).as("1kb, the Collector's default: 1000 bytes").isEqualTo(1000);
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
    rejects("include: [a]\nfingerprint_size: lots", "receivers.filelog.fingerprint_size",
        "\"lots\" is not a byte size");
    rejects("include: [a]\nmax_log_size: 0", "receivers.filelog.max_log_size");
    rejects("include: [a]\ninitial_buffer_size: 0", "receivers.filelog.initial_buffer_size", "positive");
    rejects("include: [a]\ninitial_buffer_size: lots", "receivers.filelog.initial_buffer_size", "not a byte size");
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
    rejects("include: [a]\nretry_on_failure: {initial_interval: 0s}",
        "receivers.filelog.retry_on_failure.initial_interval");
    rejects("include: [a]\noperators: [{regex: x}]", "receivers.filelog.operators[0]");
    rejects("include: [a]\ninclude_file_paths: true", "include_file_paths");
  }

  @Test
  void theHeaderOrderingLockAndRecordNumberKeysBindAndAreCheckedWithTheirPaths() throws Exception {
    FilelogReceiverConfig c = bind("""
        include: [/var/log/iis/*.log]
        start_at: beginning
        include_file_record_number: true
        acquire_fs_lock: true
        encoding: utf-16
        header:
          pattern: '^#'
          metadata_operators:
            - type: regex_parser
              regex: '^#(?P<directive>\\w+): (?P<text>.*)$'
        ordering_criteria:
          regex: 'u_ex(?P<date>\\d{8})\\.log$'
          top_n: 2
          group_by: '/(?P<site>W3SVC\\d+)/'
          sort_by:
            - {regex_key: date, sort_type: timestamp, layout: '%Y%m%d', location: Europe/Berlin, ascending: false}
        """);
    assertThat(c.includeFileRecordNumber()).isTrue();
    assertThat(c.acquireFsLock()).isTrue();
    assertThat(c.header().metadataOperators()).singleElement()
        .satisfies(op -> assertThat(op).containsEntry("type", "regex_parser"));
    assertThat(c.orderingCriteria().topN()).isEqualTo(2);
    assertThat(c.orderingCriteria().sortBy()).singleElement()
        .satisfies(s -> assertThat(s.location()).isEqualTo("Europe/Berlin"));

    String head = "include: [a]\nstart_at: beginning\n";
    rejects("include: [a]\nheader: {pattern: '^#', metadata_operators: [{type: regex_parser, regex: '(?P<a>x)'}]}",
        "receivers.filelog.header", "start_at: beginning");
    rejects(head + "header: {metadata_operators: [{type: regex_parser, regex: '(?P<a>x)'}]}",
        "receivers.filelog.header.pattern", "is required");
    rejects(head + "header: {pattern: '(', metadata_operators: [{type: regex_parser, regex: '(?P<a>x)'}]}",
        "receivers.filelog.header.pattern", "not a valid regular expression");
    rejects(head + "header: {pattern: '^#'}", "receivers.filelog.header.metadata_operators", "is required");
    rejects(head + "header: {pattern: '^#', metadata_operators: [{type: router, routes: []}]}",
        "receivers.filelog.header.metadata_operators[0].type", "\"router\" cannot parse a header", "regex_parser");
    rejects(head + "header: {pattern: '^#', metadata_operators: [{type: regex_parser}]}",
        "receivers.filelog.header.metadata_operators[0]");
    rejects(head + "header: {pattern: '^#', metadata_operators: [{type: regex_parser, regex: x}], extra: 1}",
        "extra");
    rejects(head + "ordering_criteria: {sort_by: [{regex_key: n, sort_type: numeric}]}",
        "receivers.filelog.ordering_criteria.regex", "is required");
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', sort_by: [{regex_key: m, sort_type: numeric}]}",
        "receivers.filelog.ordering_criteria.sort_by[0].regex_key", "\"m\" is no named group", "[n]");
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', sort_by: [{regex_key: n, sort_type: size}]}",
        "receivers.filelog.ordering_criteria.sort_by[0].sort_type", "\"size\"", "numeric");
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', sort_by: [{regex_key: n, sort_type: timestamp}]}",
        "receivers.filelog.ordering_criteria.sort_by[0].layout", "is required");
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', sort_by: [{regex_key: n, sort_type: timestamp,"
        + " layout: '%Y', location: Mars/Olympus}]}", "receivers.filelog.ordering_criteria.sort_by[0].location",
        "Mars/Olympus");
    String numeric = "sort_by: [{regex_key: n, sort_type: numeric}]";
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', top_n: -1, " + numeric + "}",
        "receivers.filelog.ordering_criteria.top_n");
    rejects(head + "ordering_criteria: {regex: '(?P<n>\\d+)', group_by: '[', " + numeric + "}",
        "receivers.filelog.ordering_criteria.group_by");
    rejects(head + "acquire_fs_lock: maybe", "receivers.filelog.acquire_fs_lock");
  }

  @Test
  void aHeaderOperatorThatCannotParseAHeaderIsAnErrorAtItsFileAndLine() {
    ConfigLoader loader = new ConfigLoader(io.sluice.core.config.Factories.of(new FilelogReceiverFactory(),
        new io.sluice.core.config.FakeComponents.DebugExporterFactory()), Map.of());
    ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
        () -> loader.loadYaml("gw.yaml", """
            receivers:
              filelog:
                include: [/var/log/*.log]
                start_at: beginning
                header:
                  pattern: '^#'
                  metadata_operators:
                    - type: filter
                      expr: 'true'
            exporters:
              debug:
            service:
              pipelines:
                logs: {receivers: [filelog], exporters: [debug]}
            """));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.file()).isEqualTo("gw.yaml");
      assertThat(err.line()).isEqualTo(8);
      assertThat(err.path()).isEqualTo("receivers.filelog.header.metadata_operators[0].type");
      assertThat(err.message()).contains("\"filter\" cannot parse a header");
    });
  }

  @Test
  void byteSizesReadAsTheCollectorWritesThem() {
    assertThat(ByteSizes.parse("1000")).isEqualTo(1000);
    assertThat(ByteSizes.parse("1kb")).isEqualTo(1000);
    assertThat(ByteSizes.parse("1KiB")).isEqualTo(1024);
    assertThat(ByteSizes.parse("16KiB")).isEqualTo(16 * 1024);
    assertThat(ByteSizes.parse("1.5MiB")).isEqualTo(3 << 19);
    assertThat(ByteSizes.parse("1.5mb")).isEqualTo(1_500_000);
    assertThat(ByteSizes.parse("2 GB")).isEqualTo(2_000_000_000L);
    assertThat(ByteSizes.parse("1pib")).isEqualTo(1L << 50);
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

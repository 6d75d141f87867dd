package io.sluice.receiver.filelog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code header}: a file's first lines parsed into attributes of its records; byte-order marks. */
class FilelogHeaderTest {
  @TempDir Path dir;
  @TempDir Path storageDir;
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  /** Header lines such as {@code #host: alpha}, each parsed into one attribute. */
  private static final String[] KV_HEADER = {"header:", "  pattern: '^#'", "  metadata_operators:",
      "    - type: regex_parser", "      regex: '^#(?P<kv>.*)$'", "    - type: key_value_parser",
      "      parse_from: attributes.kv", "      delimiter: ':'", "      pair_delimiter: ';'", "    - type: remove",
      "      field: attributes.kv"};

  private String yamlWithHeader(String include, String... more) {
    String[] all = java.util.Arrays.copyOf(more, more.length + KV_HEADER.length);
    System.arraycopy(KV_HEADER, 0, all, more.length, KV_HEADER.length);
    return Harness.yaml(dir, include, all);
  }

  static Map<String, String> attributes(LogRecord r) {
    return r.getAttributesList().stream()
        .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue(), (a, b) -> b));
  }

  private static List<String> w3c(String software, int records) {
    List<String> out = new java.util.ArrayList<>(List.of("#Version: 1.0", "#Software: " + software,
        "#Fields: date time cs-method cs-uri"));
    for (int i = 0; i < records; i++) {
      out.add("2026-12-07 10:00:0" + (i % 10) + " GET /" + software + "/" + i);
    }
    return out;
  }

  @Test
  void headerLinesAreNotRecordsAndTheirAttributesAreOnEveryRecordOfTheirFile() throws Exception {
    FilelogRotationTest.append(dir.resolve("iis.log"), w3c("IIS", 3));
    FilelogRotationTest.append(dir.resolve("squid.log"), w3c("Squid", 2));
    h.start(Harness.yaml(dir, "*.log", "header:", "  pattern: '^#'", "  metadata_operators:",
        "    - type: regex_parser",
        "      regex: '^#(?P<directive>\\w+): (?P<text>.*)$'", "    - type: retain",
        "      fields: [attributes.directive]"));

    h.awaitExactly(List.of("2026-12-07 10:00:00 GET /IIS/0", "2026-12-07 10:00:01 GET /IIS/1",
        "2026-12-07 10:00:02 GET /IIS/2", "2026-12-07 10:00:00 GET /Squid/0", "2026-12-07 10:00:01 GET /Squid/1"));
    for (LogRecord r : h.delivered) {
      // each header line overwrote the one before: the last directive wins
      assertThat(attributes(r)).containsEntry("directive", "Fields").doesNotContainKey("text");
    }
  }

  @Test
  void eachFileCarriesItsOwnHeaderValuesAlsoAfterRotationAndARestart() throws Exception {
    Path log = dir.resolve("app.log");
    FilelogRotationTest.append(log, List.of("#host: alpha", "#env: prod", "first record", "second record"));
    FilelogCheckpointTest.addStorage(h, storageDir);
    String yaml = yamlWithHeader("*.log", "storage: file_storage");
    FilelogReceiver r = h.start(yaml);
    h.awaitExactly(List.of("first record", "second record"));
    assertThat(h.delivered).allSatisfy(rec -> assertThat(attributes(rec)).containsEntry("host", "alpha")
        .containsEntry("env", "prod"));
    h.stop(r);
    for (var e : h.extensions.values()) {
      Harness.await(e.shutdown());
    }
    h.extensions.clear();

    // After a restart the header is read again from the file; the records go on where they were.
    FilelogRotationTest.append(log, List.of("third record"));
    Harness second = new Harness();
    try {
      FilelogCheckpointTest.addStorage(second, storageDir);
      second.start(yaml);
      second.awaitExactly(List.of("third record"));
      assertThat(attributes(second.delivered.get(0))).containsEntry("host", "alpha").containsEntry("env", "prod");

      // Rotation: a new file at the path has its own header.
      Files.move(log, dir.resolve("app.log.1"));
      FilelogRotationTest.append(log, List.of("#host: beta", "#env: staging", "new file record"));
      second.awaitExactly(List.of("third record", "new file record"));
      LogRecord fresh = second.delivered.stream().filter(x -> x.getBody().getStringValue().equals("new file record"))
          .findFirst().orElseThrow();
      assertThat(attributes(fresh)).containsEntry("host", "beta").containsEntry("env", "staging");
    } finally {
      second.close();
    }
  }

  @Test
  void aHeaderStillBeingWrittenHoldsTheRecordsBackUntilItEnds() throws Exception {
    Path log = dir.resolve("app.log");
    FilelogRotationTest.append(log, List.of("#host: alpha"));
    h.start(yamlWithHeader("*.log"));
    org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300))
        .atMost(java.time.Duration.ofSeconds(5)).until(() -> h.delivered.isEmpty());

    FilelogRotationTest.append(log, List.of("#env: prod", "record"));
    h.awaitExactly(List.of("record"));
    assertThat(attributes(h.delivered.get(0))).containsEntry("host", "alpha").containsEntry("env", "prod");
  }

  @Test
  void aCompressedFilesHeaderIsReadThroughGzip() throws Exception {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("old.log.gz")))) {
      out.write("#host: gamma\nzipped record\n".getBytes(UTF_8));
    }
    h.start(Harness.yaml(dir, "*.log.gz", "header:", "  pattern: '^#'", "  metadata_operators:",
        "    - type: regex_parser",
        "      regex: '^#host: (?P<host>.*)$'"));
    h.awaitExactly(List.of("zipped record"));
    assertThat(attributes(h.delivered.get(0))).containsEntry("host", "gamma");
  }

  @Test
  void aUtf16ByteOrderMarkPicksTheByteOrderAndIsNotPartOfTheFirstRecord() throws Exception {
    byte[] le = "erste\nzweite\n".getBytes(StandardCharsets.UTF_16LE);
    byte[] be = "first\nsecond\n".getBytes(StandardCharsets.UTF_16BE);
    Files.write(dir.resolve("le.log"), concat(new byte[] {(byte) 0xff, (byte) 0xfe}, le));
    Files.write(dir.resolve("be.log"), concat(new byte[] {(byte) 0xfe, (byte) 0xff}, be));
    Files.write(dir.resolve("nobom.log"), "plain\n".getBytes(StandardCharsets.UTF_16BE));
    h.start(Harness.yaml(dir, "*.log", "encoding: utf-16"));
    h.awaitExactly(List.of("erste", "zweite", "first", "second", "plain"));
  }

  @Test
  void aUtf8ByteOrderMarkIsSkippedAlsoBeforeAHeader() throws Exception {
    Files.write(dir.resolve("bom.log"), concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf},
        "#host: delta\nrecord\n".getBytes(UTF_8)));
    h.start(Harness.yaml(dir, "bom.log", KV_HEADER));
    h.awaitExactly(List.of("record"));
    assertThat(attributes(h.delivered.get(0))).containsEntry("host", "delta");
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

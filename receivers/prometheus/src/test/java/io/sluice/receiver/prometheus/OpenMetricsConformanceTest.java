package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the OpenMetrics parser conformance cases from the shared test data in place: every case
 * marked {@code shouldParse: true} must parse, every other case must be rejected.
 */
class OpenMetricsConformanceTest {
  private static final Pattern SHOULD_PARSE = Pattern.compile("\"shouldParse\"\\s*:\\s*(true|false)");

  static Path casesDir() {
    String shared = System.getProperty("sluice.shared.dir", "../../../shared");
    return Path.of(shared, "testdata", "openmetrics", "parsers");
  }

  @TestFactory
  Stream<DynamicTest> conformanceCases() throws IOException {
    Path dir = casesDir();
    if (!Files.isDirectory(dir)) {
      // a dynamic test that aborts is reported as skipped, with the reason, by surefire
      String reason = "OpenMetrics conformance data not found at " + dir.toAbsolutePath()
          + "; set -Dsluice.shared.dir to the shared folder";
      return Stream.of(DynamicTest.dynamicTest("shared test data missing",
          () -> assumeTrue(false, reason)));
    }
    List<Path> cases;
    try (Stream<Path> list = Files.list(dir)) {
      cases = list.filter(p -> Files.isRegularFile(p.resolve("test.json"))).sorted().toList();
    }
    assertThat(cases).as("conformance cases in %s", dir).hasSizeGreaterThan(200);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(), () -> run(c)));
  }

  private static void run(Path caseDir) throws IOException {
    String json = Files.readString(caseDir.resolve("test.json"), StandardCharsets.UTF_8);
    Matcher m = SHOULD_PARSE.matcher(json);
    assertThat(m.find()).as("shouldParse in %s", caseDir).isTrue();
    boolean shouldParse = Boolean.parseBoolean(m.group(1));
    byte[] body = Files.readAllBytes(caseDir.resolve("metrics"));
    if (shouldParse) {
      try {
        List<MetricFamily> families = ExpositionFormat.OPENMETRICS_TEXT.parse(body);
        assertThat(families).isNotNull();
      } catch (ParseException e) {
        throw new AssertionError("expected " + caseDir.getFileName() + " to parse, but: "
            + e.getMessage(), e);
      }
    } else {
      assertThatThrownBy(() -> ExpositionFormat.OPENMETRICS_TEXT.parse(body))
          .as("case %s must be rejected", caseDir.getFileName())
          .isInstanceOf(ParseException.class)
          .hasMessageStartingWith("line ");
    }
  }
}

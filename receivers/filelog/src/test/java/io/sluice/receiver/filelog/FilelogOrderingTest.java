package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ordering_criteria}: of the matched files, only the first {@code top_n} after sorting are read. */
class FilelogOrderingTest {
  @TempDir Path dir;
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private void write(String name, String... lines) throws Exception {
    FilelogRotationTest.append(dir.resolve(name), List.of(lines));
  }

  @Test
  void readsOnlyTheNewestFileByTheTimestampInItsNameAndMovesOnWhenANewerOneAppears() throws Exception {
    write("app-2026120709.log", "from 09");
    write("app-2026120710.log", "from 10");
    write("app-2026120708.log", "from 08");
    write("app-garbage.log", "not a timestamp");
    write("app-2026139999.log", "month 13 does not parse");
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  regex: 'app-(?P<hour>\\d{10})\\.log$'", "  sort_by:",
        "    - regex_key: hour", "      sort_type: timestamp", "      layout: '%Y%m%d%H'", "      location: UTC"));
    h.awaitExactly(List.of("from 10"));

    // Hourly rotation: the next hour's file is now the one read; the old one is left.
    write("app-2026120711.log", "from 11");
    h.awaitExactly(List.of("from 10", "from 11"));
    write("app-2026120710.log", "late line in 10");
    write("app-2026120711.log", "next in 11");
    h.awaitExactly(List.of("from 10", "from 11", "next in 11"));
  }

  @Test
  void numericAscendingWithTopNPicksTheLowestNumbers() throws Exception {
    for (int i : new int[] {10, 2, 33, 1}) {
      write("part." + i + ".log", "part " + i);
    }
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  regex: 'part\\.(?P<n>\\d+)\\.log$'", "  top_n: 2",
        "  sort_by:",
        "    - {regex_key: n, sort_type: numeric, ascending: true}"));
    h.awaitExactly(List.of("part 1", "part 2"));
  }

  @Test
  void alphabeticalDescendingIsTheDefaultOrder() throws Exception {
    write("svc-alpha.log", "alpha");
    write("svc-gamma.log", "gamma");
    write("svc-beta.log", "beta");
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  regex: 'svc-(?P<name>[a-z]+)\\.log$'", "  sort_by:",
        "    - {regex_key: name, sort_type: alphabetical}"));
    h.awaitExactly(List.of("gamma"));
  }

  @Test
  void groupBySortsAndCutsEachGroupOnItsOwn() throws Exception {
    write("api-1.log", "api 1");
    write("api-2.log", "api 2");
    write("db-1.log", "db 1");
    write("db-7.log", "db 7");
    write("db-3.log", "db 3");
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  regex: '-(?P<n>\\d+)\\.log$'",
        "  group_by: '/(?P<svc>[a-z]+)-\\d+\\.log$'",
        "  sort_by:", "    - {regex_key: n, sort_type: numeric}"));
    h.awaitExactly(List.of("api 2", "db 7"));
  }

  @Test
  void filesLeftOutByExcludeOlderThanTakeNoPlaceInTopN() throws Exception {
    write("part.9.log", "old part 9");
    write("part.3.log", "part 3");
    Files.setLastModifiedTime(dir.resolve("part.9.log"), FileTime.from(Instant.now().minusSeconds(7200)));
    h.start(Harness.yaml(dir, "*.log", "exclude_older_than: 1h", "ordering_criteria:",
        "  regex: 'part\\.(?P<n>\\d+)\\.log$'", "  sort_by:", "    - {regex_key: n, sort_type: numeric}"));
    h.awaitExactly(List.of("part 3"));
  }

  @Test
  void mtimeReadsTheMostRecentlyModifiedFile() throws Exception {
    write("a.log", "a");
    write("b.log", "b");
    Files.setLastModifiedTime(dir.resolve("a.log"), FileTime.from(Instant.now().minusSeconds(60)));
    Files.setLastModifiedTime(dir.resolve("b.log"), FileTime.from(Instant.now().minusSeconds(10)));
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  sort_by:", "    - {sort_type: mtime}"));
    h.awaitExactly(List.of("b"));
  }

  @Test
  void withoutSortByEveryMatchedFileIsRead() throws Exception {
    write("x.log", "x");
    write("y.log", "y");
    h.start(Harness.yaml(dir, "*.log", "ordering_criteria:", "  regex: 'x'"));
    h.awaitExactly(List.of("x", "y"));
    assertThat(FileOrdering.active(Harness.config(Harness.yaml(dir, "*.log", "ordering_criteria:",
        "  regex: 'x'")).orderingCriteria()))
        .isFalse();
  }
}

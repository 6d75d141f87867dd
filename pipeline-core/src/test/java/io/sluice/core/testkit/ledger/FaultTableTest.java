package io.sluice.core.testkit.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ledger.ItemLedger;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultTableTest {
  @TempDir Path dir;

  @Test
  void theFaultTableKeepsRowsInAFileAndRendersMarkdown() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 10);
    ledger.acknowledged(1, 0, 8);
    ledger.refused(1, 8, 2, "RESOURCE_EXHAUSTED");
    for (int i = 0; i < 8; i++) {
      ledger.received(1, i);
    }
    FaultTable table = new FaultTable(dir.resolve("faults").resolve("rows.tsv"));
    table.add(FaultTable.Row.of("queue too small", ledger.counts(), "refusals\treach  the\nclient | counted"));
    table.add(new FaultTable.Row("second", 1, 1, 0, 1, 0, 0, -1, ""));
    // Another instance on the same file (another test class) sees both rows.
    List<FaultTable.Row> rows = new FaultTable(table.file()).rows();
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).refused()).isEqualTo(2);
    assertThat(rows.get(0).notes()).isEqualTo("refusals reach the client / counted");
    assertThat(table.markdown()).startsWith("| case | sent | acknowledged | refused | delivered | lost |")
        .contains("| queue too small | 10 | 8 | 2 | 8 | 0 | 0 | 0 | refusals reach the client / counted |\n")
        .contains("| second | 1 | 1 | 0 | 1 | 0 | 0 | - |  |\n");
  }
}

package io.sluice.receiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The offset to commit moves only past chunks that are all acknowledged, whatever order they are acknowledged in. */
class AckedPrefixTest {

  @Test
  void outOfOrderAcknowledgementsCommitOnlyThePrefix() {
    AckedPrefix p = new AckedPrefix();
    AckedPrefix.Chunk a = p.add(10, 100);
    AckedPrefix.Chunk b = p.add(25, 100);
    AckedPrefix.Chunk c = p.add(40, 100);
    assertThat(p.acknowledged()).isEqualTo(-1);

    assertThat(p.acknowledge(c)).isZero();
    assertThat(p.acknowledge(b)).isZero();
    assertThat(p.acknowledged()).as("nothing past the first chunk not acknowledged").isEqualTo(-1);
    assertThat(p.open()).isEqualTo(3);

    assertThat(p.acknowledge(a)).isEqualTo(3);
    assertThat(p.acknowledged()).isEqualTo(40);
    assertThat(p.open()).isZero();
  }

  @Test
  void thePrefixStopsAtEachGapAndMovesOnAsItCloses() {
    AckedPrefix p = new AckedPrefix();
    AckedPrefix.Chunk a = p.add(5, 1);
    AckedPrefix.Chunk b = p.add(9, 1);
    AckedPrefix.Chunk c = p.add(12, 1);
    AckedPrefix.Chunk d = p.add(20, 1);

    assertThat(p.acknowledge(a)).isEqualTo(1);
    assertThat(p.acknowledged()).isEqualTo(5);
    assertThat(p.acknowledge(c)).isZero();
    assertThat(p.acknowledged()).isEqualTo(5);
    assertThat(p.acknowledge(b)).isEqualTo(2);
    assertThat(p.acknowledged()).isEqualTo(12);
    AckedPrefix.Chunk e = p.add(30, 1);
    assertThat(p.acknowledge(e)).isZero();
    assertThat(p.acknowledged()).isEqualTo(12);
    assertThat(p.acknowledge(d)).isEqualTo(2);
    assertThat(p.acknowledged()).isEqualTo(30);
  }
}

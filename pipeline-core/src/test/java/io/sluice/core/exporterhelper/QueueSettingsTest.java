package io.sluice.core.exporterhelper;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QueueSettingsTest {
  @Test
  void theDefaultsCountRequestsAndDoNotBatch() {
    QueueSettings q = QueueSettings.defaults();
    assertThat(q.sizer()).isEqualTo("requests");
    assertThat(q.batch()).isNull();
    assertThat(q.batchSizer()).isNull();
    assertThat(q.blockOnOverflow()).isFalse();
    assertThat(q.waitForResult()).isFalse();
  }

  @Test
  void aBatchSizesByItemsUnlessTheQueueCountsItemsOrBytes() {
    QueueSettings.Batching defaults = new QueueSettings.Batching(null, null, null, null);
    assertThat(defaults).isEqualTo(new QueueSettings.Batching(Duration.ofMillis(200), null, 8192L, 0L));
    assertThat(new QueueSettings(true, 1, 1000, "requests", false, false, defaults).batchSizer()).isEqualTo("items");
    assertThat(new QueueSettings(true, 1, 1 << 20, "bytes", false, false, defaults).batchSizer()).isEqualTo("bytes");
    assertThat(new QueueSettings(true, 1, 1000, "requests", false, false,
        new QueueSettings.Batching(null, "bytes", 100L, null)).batchSizer()).isEqualTo("bytes");
  }

  @Test
  void reportsEachWrongKeyWithItsPath() {
    QueueSettings q = new QueueSettings(true, 1, 100, "spans", false, false,
        new QueueSettings.Batching(Duration.ZERO, "requests", 10L, 5L));
    assertThat(q.validate("sending_queue")).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "sending_queue.sizer", "sending_queue.batch.flush_timeout", "sending_queue.batch.sizer",
        "sending_queue.batch.max_size");

    QueueSettings tooSmall = new QueueSettings(true, 1, 100, "items", false, false,
        new QueueSettings.Batching(null, null, 1000L, null));
    assertThat(tooSmall.validate("sending_queue")).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("sending_queue.batch.min_size");
      assertThat(p.message()).contains("more than queue_size 100");
    });
  }

  @Test
  void aStorageMakesTheQueuePersistentOnlyWhileItIsEnabled() {
    QueueSettings q = new QueueSettings(true, 1, 100, "items", false, false, null, " file_storage/q ");
    assertThat(q.storage()).isEqualTo("file_storage/q");
    assertThat(q.persistent()).isTrue();
    assertThat(q.validate("sending_queue")).isEmpty();
    assertThat(new QueueSettings(false, 1, 100, "items", false, false, null, "file_storage").persistent()).isFalse();
    assertThat(new QueueSettings(true, 1, 100, "items", false, false, null, "").storage()).isNull();
  }

  @Test
  void aStorageRefusesWaitForResultAndAnIdThatDoesNotParse() {
    QueueSettings waits = new QueueSettings(true, 1, 100, "requests", false, true, null, "file_storage");
    assertThat(waits.validate("sending_queue")).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("sending_queue.wait_for_result");
      assertThat(p.message()).contains("persistent queue").contains("\"file_storage\"");
    });
    QueueSettings bad = new QueueSettings(true, 1, 100, "requests", false, false, null, "file storage");
    assertThat(bad.validate("sending_queue")).extracting(ConfigProblem::path).containsExactly("sending_queue.storage");
  }
}

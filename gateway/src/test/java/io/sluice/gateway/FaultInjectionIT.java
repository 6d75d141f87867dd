package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.ledger.FaultTable;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults a gateway meets in production, each injected into the packaged gateway started through
 * {@code bin/sluice} while numbered spans flow through it: an OTLP/gRPC client sends spans whose
 * ids carry a source ID and a sequence number ({@link NumberedItems}) from {@value #STREAMS}
 * streams, one request per stream in flight, and an OTLP/HTTP backend ({@link FaultyBackend},
 * the gateway's {@code otlphttp} exporter sends to it) counts what arrives; an {@link ItemLedger}
 * says, per case, what was sent, acknowledged and refused, and what was lost, duplicated and
 * reordered. Every case adds a row to the summary table ({@link FaultSuite}), printed at the end.
 *
 * <p>What the gateway promises is asserted exactly: no acknowledged item lost. Where it promises
 * a bound, the bound: items delivered twice only when a request the backend had taken was sent
 * again (it was in flight at a kill, an outage or a timeout). Reordering is reported, not
 * asserted: the {@code otlphttp} exporter has {@value #CONSUMERS} requests in flight and retries
 * each on its own, so a retried request lands after later ones.
 *
 * <p>The 10x overload case is OverloadIT (it adds its rows to the same table); the persistent
 * queue's kill while its backends are down, and a full disk, are PersistentQueueKillIT.
 */
class FaultInjectionIT {
  private static final int STREAMS = 4;
  private static final int ITEMS_PER_REQUEST = 50;
  /** Requests per second a client sends: 1,000 spans/s. */
  private static final int RATE = 20;
  private static final int CONSUMERS = 4;
  /** Items a request the exporter had in flight carries, for every consumer: what a fault may deliver twice. */
  private static final long IN_FLIGHT_ITEMS = (long) CONSUMERS * ITEMS_PER_REQUEST;
  private static final Duration OUTAGE = Duration.ofSeconds(60);
  private static final Duration DRAIN = Duration.ofSeconds(120);

  private static Vertx vertx;

  @TempDir Path dir;
  private final List<Case> cases = new ArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void printTheSummary() throws Exception {
    vertx.close().await(20, TimeUnit.SECONDS);
    FaultSuite.printSummary("FaultInjectionIT");
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (Case c : cases) {
      c.stop();
    }
  }

  private static String memoryQueue(int items) {
    return "{num_consumers: " + CONSUMERS + ", sizer: items, queue_size: " + items + "}";
  }

  private static String persistentQueue() {
    return "{storage: file_storage, num_consumers: " + CONSUMERS + ", sizer: items, queue_size: 1000000}";
  }

  /** A gateway, its backend, its client and their ledger, for one case. */
  private final class Case {
    final String key;
    final String name;
    final ItemLedger ledger = new ItemLedger();
    final NumberedItems spans = new NumberedItems();
    final int grpc = Ports.freePort();
    final int health = Ports.freePort();
    final int metrics = Ports.freePort();
    final FaultyBackend backend;
    Path config;
    GatewayProcess gateway;
    NumberedSender sender;
    private int starts;

    /** {@code key} names the case's files; {@code name} is its row in the table. */
    Case(String key, String name) throws Exception {
      this.key = key;
      this.name = name;
      this.backend = new FaultyBackend(vertx, Ports.freePort(), spans, ledger);
      cases.add(this);
    }

    /** Writes the case's config: an OTLP/gRPC receiver, the {@code otlphttp} exporter with {@code queue}. */
    Path config(String timeout, String queue) {
      boolean persistent = queue.contains("storage:");
      String yaml = """
          receivers:
            otlp:
              protocols:
                grpc:
                  endpoint: 127.0.0.1:%d
          exporters:
            otlphttp:
              endpoint: %s
              timeout: %s
              sending_queue: %s
              retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0s}
          extensions:
            health_check:
              endpoint: 127.0.0.1:%d
          %s
          service:
            extensions: [%shealth_check]
            telemetry:
              metrics:
                address: 127.0.0.1:%d
            pipelines:
              traces:
                receivers: [otlp]
                exporters: [otlphttp]
          """.formatted(grpc, backend.endpoint(), timeout, queue, health,
          persistent ? "  file_storage: {directory: " + dir.resolve(key + "-queue") + ", create_directory: true}" : "",
          persistent ? "file_storage, " : "", metrics);
      config = GatewayFixtures.writeConfig(dir, key + ".yaml", yaml);
      return config;
    }

    Case start() throws IOException {
      gateway = GatewayProcess.start(new GatewayProcess.Launch(dir, config, health, key + "-" + (++starts) + ".log")
          .args("--shutdown-timeout", "30s"));
      return this;
    }

    Case send() {
      sender = new NumberedSender(grpc, spans, ledger, 1, STREAMS, ITEMS_PER_REQUEST, RATE, 0).start();
      return this;
    }

    ItemLedger.Counts counts() {
      return ledger.counts();
    }

    Map<String, Double> scrape() throws Exception {
      return GatewayFixtures.scrape(metrics);
    }

    void awaitAcknowledged(long items, Duration atMost) {
      await(name + ": " + items + " items acknowledged").atMost(atMost).pollInterval(Duration.ofMillis(100))
          .untilAsserted(() -> {
            assertThat(gateway.isAlive()).as("%s: the gateway runs; log:\n%s", name, gateway.output()).isTrue();
            assertThat(counts().acknowledged()).as("%s: items acknowledged (%s)", name, counts())
                .isGreaterThanOrEqualTo(items);
          });
    }

    void awaitDelivered(long items) {
      await(name + ": " + items + " items delivered").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> counts().delivered() >= items);
    }

    /** Waits until every acknowledged item reached the backend (lost 0), failing with what is missing. */
    void awaitNothingLost() {
      await(name + ": every acknowledged item at the backend").atMost(DRAIN).pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> assertThat(counts().lost())
              .as("%s: acknowledged items not delivered (%s; first missing per stream %s)", name, counts(),
                  firstLost())
              .isZero());
    }

    Map<Integer, List<Integer>> firstLost() {
      Map<Integer, List<Integer>> out = new LinkedHashMap<>();
      for (int s : ledger.sources()) {
        List<Integer> lost = ledger.lost(s, 5);
        if (!lost.isEmpty()) {
          out.put(s, lost);
        }
      }
      return out;
    }

    /** Adds the case's row to the summary table and prints it with the ledger in full. */
    void report(String notes) {
      ItemLedger.Counts c = counts();
      System.out.printf("FaultInjectionIT %s: %s; backend answers %s; sender ticks skipped (every stream waiting"
          + " for an answer) %d; %s%n", name, c, backend.byStatus(), sender == null ? 0 : sender.skipped(), notes);
      FaultSuite.table().add(FaultTable.Row.of(name, c, notes));
    }

    void stop() throws Exception {
      if (sender != null) {
        sender.close();
      }
      if (gateway != null) {
        gateway.close();
      }
      backend.close();
    }
  }

  @Test
  void backendDownFor60sThenBackWithAndWithoutThePersistentQueue() throws Exception {
    Case disk = new Case("outage-disk", "backend down 60 s, persistent queue");
    disk.config("5s", persistentQueue());
    Case memory = new Case("outage-memory", "backend down 60 s, in-memory queue of 200000 items");
    memory.config("5s", memoryQueue(200_000));
    Case small = new Case("outage-small", "backend down 60 s, in-memory queue of 5000 items (too small)");
    small.config("5s", memoryQueue(5_000));
    List<Case> all = List.of(disk, memory, small);
    for (Case c : all) {
      c.backend.up();
      c.start().send();
    }
    for (Case c : all) {
      c.awaitDelivered(1_000);
    }

    // The three backends go down together, and stay down for a minute; the gateways keep running.
    for (Case c : all) {
      c.backend.down();
    }
    Map<Case, Long> ackedAtOutage = new LinkedHashMap<>();
    all.forEach(c -> ackedAtOutage.put(c, c.counts().acknowledged()));
    await("the gateways run through the outage").during(OUTAGE).atMost(OUTAGE.plusSeconds(10))
        .pollInterval(Duration.ofSeconds(1)).until(() -> all.stream().allMatch(c -> c.gateway.isAlive()));
    Map<Case, Long> ackedDuring = new LinkedHashMap<>();
    for (Case c : all) {
      ackedDuring.put(c, c.counts().acknowledged() - ackedAtOutage.get(c));
    }

    // Back up: everything acknowledged arrives, and the gateways take data again.
    for (Case c : all) {
      c.backend.up();
    }
    for (Case c : all) {
      c.awaitAcknowledged(c.counts().acknowledged() + 2_000, Duration.ofSeconds(60));
    }
    for (Case c : all) {
      c.sender.stop();
    }
    for (Case c : all) {
      c.awaitNothingLost();
    }

    for (Case c : all) {
      ItemLedger.Counts counts = c.counts();
      double refusedByQueue = GatewayFixtures.sum(c.scrape(), "sluice_exporter_enqueue_failed_items_total");
      c.report(String.format("%d acknowledged during the outage; refusals %s; the gateway counted %.0f items refused"
              + " by its full queue", ackedDuring.get(c), counts.refusedBy(), refusedByQueue));
      assertThat(counts.lost()).as("%s: acknowledged items lost", c.name).isZero();
      assertThat(counts.duplicated()).as("%s: duplicates (at most a request per consumer in flight when the"
          + " backend went down)", c.name).isLessThanOrEqualTo(IN_FLIGHT_ITEMS);
    }
    // A queue large enough for the outage (on disk, or in memory) refuses nothing.
    assertThat(disk.counts().refused()).as("items refused with the persistent queue: %s", disk.counts()).isZero();
    assertThat(memory.counts().refused()).as("items refused with the large in-memory queue: %s", memory.counts())
        .isZero();
    // One too small refuses, and the client is told so: RESOURCE_EXHAUSTED, counted by the gateway too.
    assertThat(small.counts().refused("RESOURCE_EXHAUSTED")).as("items refused with the small queue: %s",
        small.counts()).isPositive();
    assertThat(small.counts().refused()).as("every refusal of the small queue is RESOURCE_EXHAUSTED: %s",
        small.counts()).isEqualTo(small.counts().refused("RESOURCE_EXHAUSTED"));
    assertThat(GatewayFixtures.sum(small.scrape(), "sluice_exporter_enqueue_failed_items_total"))
        .as("items the small queue refused, by the gateway's count")
        .isEqualTo((double) small.counts().refused("RESOURCE_EXHAUSTED"));
    // And during the outage the large queues held what was acknowledged.
    assertThat(ackedDuring.get(disk)).as("items acknowledged during the outage, on disk")
        .isGreaterThanOrEqualTo(30_000);
    assertThat(ackedDuring.get(memory)).as("items acknowledged during the outage, in memory")
        .isGreaterThanOrEqualTo(30_000);
  }


  @Test
  void backendAnswering429WithRetryAfter503AndPermanently400ForOneStream() throws Exception {
    int poisoned = STREAMS;
    Case c = new Case("refusals", "backend answers 429 (Retry-After: 1) to 1 request in 10, 503 to 1 in 10,"
        + " 400 to stream " + poisoned);
    c.config("5s", memoryQueue(200_000));
    c.backend.policy((n, sources) -> sources.contains(poisoned) ? FaultyBackend.Answer.status(400)
        : n % 10 == 1 ? FaultyBackend.Answer.retryAfter(429, 1)
        : n % 10 == 2 ? FaultyBackend.Answer.status(503)
        : FaultyBackend.Answer.OK);
    c.backend.up();
    c.start().send();
    c.awaitAcknowledged(15_000, Duration.ofSeconds(60));
    c.sender.stop();

    // Streams 1..3 arrive whole; what the gateway acknowledged of the poisoned stream the backend
    // refused for good (400 is permanent: not retried), and the gateway dropped and counted it.
    long poisonedAcked = c.ledger.counts(poisoned).acknowledged();
    await("every acknowledged item of the other streams delivered, the poisoned stream's dropped")
        .atMost(DRAIN).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
          for (int s = 1; s < poisoned; s++) {
            assertThat(c.ledger.counts(s).lost()).as("stream %d: acknowledged items lost (%s)", s,
                c.ledger.counts(s)).isZero();
          }
          assertThat(GatewayFixtures.sum(c.scrape(), "sluice_exporter_send_failed_items_total"))
              .as("items the gateway dropped after a permanent error").isEqualTo((double) poisonedAcked);
        });
    Map<String, Double> end = c.scrape();
    ItemLedger.Counts poison = c.ledger.counts(poisoned);
    c.report(String.format("400 is permanent: the %d items lost are stream %d's, each refused by the backend with"
            + " 400 and dropped by the gateway, which counted them (sluice_exporter_send_failed_items_total %.0f);"
            + " %.0f requests retried after 429/503, none sooner than Retry-After asked (shortest wait %s)",
        poison.lost(), poisoned, GatewayFixtures.sum(end, "sluice_exporter_send_failed_items_total"),
        GatewayFixtures.sum(end, "sluice_exporter_retried_requests_total"), c.backend.shortestWaitAfter429()));
    assertThat(poison.acknowledged()).as("items of the poisoned stream acknowledged").isPositive();
    assertThat(poison.delivered()).as("items of the poisoned stream the backend took").isZero();
    assertThat(c.counts().lost()).as("items lost: exactly the poisoned stream's").isEqualTo(poison.acknowledged());
    assertThat(c.counts().duplicated()).as("duplicates (a refused request was not taken)").isZero();
    assertThat(c.backend.byStatus()).containsKeys(429, 503, 400);
    assertThat(c.backend.shortestWaitAfter429()).as("the shortest wait before a request answered 429 with"
        + " Retry-After: 1 came again").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(GatewayFixtures.sum(end, "sluice_exporter_retried_requests_total"))
        .as("requests retried after 429 and 503").isGreaterThanOrEqualTo(
            c.backend.byStatus().get(429) + c.backend.byStatus().get(503));
    assertThat(c.counts().refused()).as("items refused to the client").isZero();
  }

  @Test
  void backendSlowFiveSecondsPerRequestWithAndWithoutTimingOut() throws Exception {
    FaultyBackend.Policy slow = (n, sources) -> FaultyBackend.Answer.slow(5_000);
    // A timeout longer than the backend's answers: requests complete slowly, the small queue fills
    // and refuses, and the refusals reach the client.
    Case patient = new Case("slow", "backend slow (5 s per request), exporter timeout 10 s, queue of 2000 items");
    patient.config("10s", memoryQueue(2_000));
    // A timeout shorter: every request times out and is sent again while the backend is slow; the
    // backend has taken each copy, so the copies are duplicates, at most one per retry.
    Case impatient = new Case("timeout", "backend slow (5 s per request), exporter timeout 2 s");
    impatient.config("2s", memoryQueue(200_000));
    List<Case> both = List.of(patient, impatient);
    for (Case c : both) {
      c.backend.policy(slow);
      c.backend.up();
      c.start().send();
    }
    await("the slow backend's queue refuses, and the other's requests time out and are retried")
        .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
            patient.counts().refused("RESOURCE_EXHAUSTED") >= 1_000
                && GatewayFixtures.sum(impatient.scrape(), "sluice_exporter_retried_requests_total") >= 2 * CONSUMERS);
    for (Case c : both) {
      c.backend.policy((n, sources) -> FaultyBackend.Answer.OK);
    }
    for (Case c : both) {
      c.awaitAcknowledged(c.counts().acknowledged() + 2_000, Duration.ofSeconds(60));
      c.sender.stop();
    }
    for (Case c : both) {
      c.awaitNothingLost();
    }
    await("the slow requests answered").atMost(Duration.ofSeconds(10))
        .until(() -> GatewayFixtures.sum(patient.scrape(), "sluice_exporter_queue_size") == 0);

    double retried = GatewayFixtures.sum(impatient.scrape(), "sluice_exporter_retried_requests_total");
    patient.report("backpressure: refusals " + patient.counts().refusedBy() + " reached the client");
    impatient.report(String.format("%.0f requests timed out and were retried; duplicates at most %d (one request of"
        + " %d items per retry)", retried, (long) retried * ITEMS_PER_REQUEST, ITEMS_PER_REQUEST));
    assertThat(patient.counts().lost()).isZero();
    assertThat(patient.counts().duplicated()).as("duplicates without timeouts").isZero();
    assertThat(patient.counts().refused()).as("every refusal is RESOURCE_EXHAUSTED: %s", patient.counts())
        .isEqualTo(patient.counts().refused("RESOURCE_EXHAUSTED"));
    assertThat(impatient.counts().lost()).isZero();
    assertThat(impatient.counts().duplicated()).as("duplicates: at most a request per retry")
        .isLessThanOrEqualTo((long) retried * ITEMS_PER_REQUEST);
  }

  @Test
  void killedWithSigkillMidStreamWithThePersistentQueueLosesNothingAcknowledged() throws Exception {
    Case c = new Case("kill9", "gateway killed with kill -9 mid-stream (persistent queue), started again");
    c.config("5s", persistentQueue());
    // The backend answers in 300 ms: four consumers take 13 requests/s of the 20 sent, so the
    // queue on disk holds a backlog of acknowledged items when the gateway is killed.
    c.backend.policy((n, sources) -> FaultyBackend.Answer.slow(300));
    c.backend.up();
    c.start().send();
    await("a backlog of acknowledged items in the queue").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> c.counts().acknowledged() - c.counts().delivered() >= 3_000);
    c.gateway.kill9();
    long backlog = c.counts().acknowledged() - c.counts().delivered();
    c.backend.policy((n, sources) -> FaultyBackend.Answer.OK);
    c.start();
    c.awaitAcknowledged(c.counts().acknowledged() + 2_000, Duration.ofSeconds(60));
    c.sender.stop();
    c.awaitNothingLost();
    Map<String, Double> end = c.scrape();
    double recovered = GatewayFixtures.sum(end, "sluice_exporter_queue_recovered_items_total");
    c.report(String.format("%d items acknowledged and not yet delivered at the kill; %.0f recovered from disk at the"
        + " start; refusals while it was down %s", backlog, recovered, c.counts().refusedBy()));
    assertThat(c.counts().lost()).as("acknowledged items lost").isZero();
    assertThat(recovered).as("items the second start found on disk").isGreaterThanOrEqualTo(backlog);
    // In flight at the kill: a request per consumer, and requests delivered whose removal was not
    // committed yet (as PersistentQueueKillIT bounds it).
    assertThat(c.counts().duplicated()).as("duplicates").isLessThanOrEqualTo(2 * IN_FLIGHT_ITEMS);
    assertThat(c.gateway.output()).contains("resumes").doesNotContain("corrupt");
  }

  @Test
  void sigtermUnderLoadDeliversEverythingAcknowledgedBeforeExiting() throws Exception {
    Case c = new Case("sigterm", "SIGTERM under load");
    c.config("5s", memoryQueue(200_000));
    c.backend.policy((n, sources) -> FaultyBackend.Answer.slow(300)); // a backlog to drain at the stop
    c.backend.up();
    c.start().send();
    await("a backlog of acknowledged items in the queue").atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> c.counts().acknowledged() - c.counts().delivered() >= 1_000);
    long backlog = c.counts().acknowledged() - c.counts().delivered();
    int exit = c.gateway.terminate(Duration.ofSeconds(60));
    c.sender.stop();
    c.report(String.format("%d items acknowledged and not yet delivered at SIGTERM; exit code %d; refusals after it"
        + " %s", backlog, exit, c.counts().refusedBy()));
    assertThat(exit).as("exit code after SIGTERM; log:\n%s", c.gateway.output()).isZero();
    // The gateway has exited: nothing more can arrive, so what is missing now is lost.
    assertThat(c.counts().lost()).as("acknowledged items lost (%s; first missing %s)", c.counts(), c.firstLost())
        .isZero();
    assertThat(c.counts().duplicated()).as("duplicates").isZero();
  }

  @Test
  void sighupUnderLoadLosesNothing() throws Exception {
    Case c = new Case("sighup", "SIGHUP reload under load (the exporter's timeout changed)");
    c.config("5s", memoryQueue(200_000));
    c.backend.up();
    c.start().send();
    c.awaitAcknowledged(3_000, Duration.ofSeconds(30));
    c.config("6s", memoryQueue(200_000));
    long before = c.counts().acknowledged();
    c.gateway.hangUp();
    await("the gateway applied the new config").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> {
          assertThat(c.gateway.isAlive()).as("the gateway runs after SIGHUP; log:\n%s", c.gateway.output()).isTrue();
          assertThat(c.gateway.output()).contains("Applied the new config");
        });
    c.awaitAcknowledged(before + 3_000, Duration.ofSeconds(30));
    c.sender.stop();
    c.awaitNothingLost();
    c.report("refusals during the reload " + c.counts().refusedBy() + "; the receiver, whose config did not change,"
        + " keeps running while the exporter is replaced");
    assertThat(c.counts().lost()).isZero();
    assertThat(c.counts().refused()).as("items the unchanged receiver refused during the reload (%s)",
        c.counts().refusedBy()).isZero();
    assertThat(c.counts().duplicated()).as("duplicates").isZero();
  }
}

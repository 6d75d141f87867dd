package io.sluice.translation.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.tls.TlsClientSettings;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.testkit.kafka.KafkaBroker;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The client settings of the kafka components against a broker that takes SASL (PLAIN and SCRAM)
 * and TLS: what the config says is what the connection does.
 */
class KafkaClientSecurityIT {
  @TempDir
  static Path dir;
  private static TestCertificates certs;
  private static KafkaBroker broker;
  private static Vertx vertx;

  @BeforeAll
  static void startBroker() {
    certs = TestCertificates.newCa(dir, "kafka-ca");
    TestCertificates.Issued server = certs.server("kafka");
    broker = KafkaBroker.start(KafkaBroker.Options.plain().withSasl().withTls(server.certPem(), server.keyPem()));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) {
      broker.close();
    }
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static KafkaClientSettings settings(String bootstrap, TlsClientSettings tls, KafkaAuth auth) {
    return new KafkaClientSettings(List.of(bootstrap), "sluice-test", "", false, null, tls, auth, null);
  }

  /** Asks the broker for its nodes with these settings: the connection and authentication must work. */
  private static int nodes(KafkaClientSettings s) throws Exception {
    Map<String, Object> p = s.properties(vertx);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    try (Admin admin = Admin.create(p)) {
      return admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
    }
  }

  private static KafkaAuth sasl(String mechanism, String user, String password) {
    return new KafkaAuth(new KafkaAuth.Sasl(mechanism, user, password, null, null, null), null, null, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
  void saslMechanismsAuthenticateAndAWrongPasswordIsRefused(String mechanism) throws Exception {
    assertThat(nodes(settings(broker.saslBootstrap(), null, sasl(mechanism, "alice",
        KafkaBroker.SASL_USERS.get("alice"))))).isEqualTo(1);

    assertThatThrownBy(() -> nodes(settings(broker.saslBootstrap(), null, sasl(mechanism, "alice", "wrong"))))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
  }

  @Test
  void theOlderPlainTextBlockIsSaslPlain() throws Exception {
    KafkaAuth older = new KafkaAuth(null, new KafkaAuth.PlainText("bob", KafkaBroker.SASL_USERS.get("bob")), null,
        null);
    assertThat(nodes(settings(broker.saslBootstrap(), null, older))).isEqualTo(1);
  }

  @Test
  void tlsChecksTheBrokerAgainstTheCaFileOrNotAtAllWhenTold() throws Exception {
    TlsClientSettings withCa = new TlsClientSettings(false, false, certs.ca().certFile().toString(), "", "");
    assertThat(nodes(settings(broker.tlsBootstrap(), withCa, null))).isEqualTo(1);

    TlsClientSettings skipVerify = new TlsClientSettings(false, true, "", "", "");
    assertThat(nodes(settings(broker.tlsBootstrap(), skipVerify, null))).isEqualTo(1);

    // The JVM's CAs do not know the test CA: the handshake fails, saying so.
    assertThatThrownBy(() -> nodes(settings(broker.tlsBootstrap(), TlsClientSettings.defaults(), null)))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SslAuthenticationException.class);
  }

  @Test
  void anUnreadableCaFileIsAClearError() {
    TlsClientSettings missing = new TlsClientSettings(false, false, dir.resolve("nope.pem").toString(), "", "");
    assertThatThrownBy(() -> settings(broker.tlsBootstrap(), missing, null).properties(vertx))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot use the TLS files \"" + dir.resolve("nope.pem"));
  }

  @Test
  void plaintextNeedsNoTlsOrSasl() throws Exception {
    assertThat(settings(broker.bootstrap(), null, null).properties(vertx))
        .containsEntry("security.protocol", "PLAINTEXT");
    assertThat(nodes(settings(broker.bootstrap(), new TlsClientSettings(true, false, "", "", ""), null)))
        .isEqualTo(1);
  }

}

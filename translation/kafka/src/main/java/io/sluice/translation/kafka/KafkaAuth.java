package io.sluice.translation.kafka;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsClientSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code auth} block of the kafka exporter and receiver, with the Collector's keys:
 *
 * <pre>
 * auth:
 *   sasl:
 *     mechanism: SCRAM-SHA-512   # PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
 *     username: alice
 *     password: ${env:KAFKA_PASSWORD}
 *   plain_text:                  # the older spelling of sasl with mechanism PLAIN
 *     username: alice
 *     password: secret
 *   tls: {...}                   # the older place of the top-level tls block
 * </pre>
 *
 * <p>Kerberos, AWS MSK IAM and OAUTHBEARER are accepted as keys so that such a config loads, and
 * refused by validation with what Sluice supports instead.
 *
 * @param sasl SASL credentials; null for none
 * @param plainText the Collector's deprecated {@code plain_text}: SASL PLAIN
 * @param tls the Collector's deprecated {@code auth.tls}, the same as the top-level {@code tls}
 * @param kerberos accepted, refused by validation
 */
public record KafkaAuth(
    Sasl sasl,
    PlainText plainText,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonDeserialize(using = KafkaTls.Deserializer.class)
    TlsClientSettings tls,
    Map<String, Object> kerberos) {

  /** The SASL mechanisms Sluice's Kafka client speaks. */
  public static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
  private static final Set<String> KNOWN_ELSEWHERE = Set.of("AWS_MSK_IAM", "AWS_MSK_IAM_OAUTHBEARER",
      "OAUTHBEARER", "GSSAPI");

  /**
   * {@code auth.sasl}.
   *
   * @param version the SASL handshake version (0 or 1); the Java client negotiates it itself
   * @param awsMsk accepted, refused by validation (AWS MSK IAM is not supported)
   * @param oauthbearerTokenSource accepted, refused by validation (OAUTHBEARER is not supported)
   */
  public record Sasl(String mechanism, String username, String password, Integer version,
      Map<String, Object> awsMsk, String oauthbearerTokenSource) {
    public Sasl {
      mechanism = mechanism == null ? "" : mechanism.trim();
      username = username == null ? "" : username;
      password = password == null ? "" : password;
      oauthbearerTokenSource = oauthbearerTokenSource == null ? "" : oauthbearerTokenSource;
    }
  }

  /** {@code auth.plain_text}: SASL PLAIN, the Collector's older spelling. */
  public record PlainText(String username, String password) {
    public PlainText {
      username = username == null ? "" : username;
      password = password == null ? "" : password;
    }
  }

  /** The SASL mechanism in force and its credentials, or null for none. */
  public Credentials credentials() {
    if (sasl != null && !sasl.mechanism().isEmpty()) {
      return new Credentials(sasl.mechanism().toUpperCase(Locale.ROOT), sasl.username(), sasl.password());
    }
    if (plainText != null) {
      return new Credentials("PLAIN", plainText.username(), plainText.password());
    }
    return null;
  }

  /** A SASL mechanism with a user name and password. */
  public record Credentials(String mechanism, String username, String password) {
    @Override
    public String toString() {
      return "Credentials[" + mechanism + ", " + username + "]";
    }
  }

  /** Problems with key paths under {@code prefix} (normally {@code auth}). */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (kerberos != null) {
      problems.add(new ConfigProblem(prefix + ".kerberos", "Kerberos (GSSAPI) is not supported by Sluice's kafka"
          + " components; use " + prefix + ".sasl with mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"));
    }
    if (sasl != null && plainText != null) {
      problems.add(new ConfigProblem(prefix + ".plain_text", "set either " + prefix + ".sasl or the older "
          + prefix + ".plain_text, not both"));
    }
    if (sasl != null) {
      String at = prefix + ".sasl";
      String m = sasl.mechanism().toUpperCase(Locale.ROOT);
      if (m.isEmpty()) {
        problems.add(new ConfigProblem(at + ".mechanism", "is required: one of " + String.join(", ", MECHANISMS)));
      } else if (!MECHANISMS.contains(m)) {
        problems.add(new ConfigProblem(at + ".mechanism", "\"" + sasl.mechanism() + "\" is "
            + (KNOWN_ELSEWHERE.contains(m) ? "not supported by Sluice" : "not a SASL mechanism") + "; use one of "
            + String.join(", ", MECHANISMS)));
      }
      if (MECHANISMS.contains(m)) {
        if (sasl.username().isEmpty()) {
          problems.add(new ConfigProblem(at + ".username", "is required for " + m));
        }
        if (sasl.password().isEmpty()) {
          problems.add(new ConfigProblem(at + ".password", "is required for " + m));
        }
      }
      if (sasl.version() != null && sasl.version() != 0 && sasl.version() != 1) {
        problems.add(new ConfigProblem(at + ".version", "must be 0 or 1, got " + sasl.version()));
      }
      if (sasl.awsMsk() != null) {
        problems.add(new ConfigProblem(at + ".aws_msk", "AWS MSK IAM is not supported by Sluice; use SCRAM"));
      }
      if (!sasl.oauthbearerTokenSource().isEmpty()) {
        problems.add(new ConfigProblem(at + ".oauthbearer_token_source", "OAUTHBEARER is not supported by Sluice;"
            + " use SCRAM"));
      }
    }
    if (plainText != null) {
      if (plainText.username().isEmpty()) {
        problems.add(new ConfigProblem(prefix + ".plain_text.username", "is required"));
      }
      if (plainText.password().isEmpty()) {
        problems.add(new ConfigProblem(prefix + ".plain_text.password", "is required"));
      }
    }
    if (tls != null) {
      problems.addAll(tls.validate(prefix + ".tls"));
    }
    return problems;
  }

  @Override
  public String toString() {
    return "KafkaAuth[" + credentials() + ", tls=" + tls + "]";
  }
}

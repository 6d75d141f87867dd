package io.sluice.core.tls;

import io.sluice.core.ConfigProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A server's TLS settings, the {@code tls} block of the Collector's {@code configtls} server
 * config, with its keys and defaults:
 *
 * <pre>
 * tls:
 *   cert_file: server.crt        # PEM certificate chain; or cert_pem with the PEM itself
 *   key_file: server.key         # PEM private key (PKCS#8, PKCS#1 or SEC1); or key_pem
 *   client_ca_file: ca.crt       # PEM CAs of client certificates: set it and every client needs one (mTLS)
 *   client_ca_file_reload: false # re-read client_ca_file when it changes
 *   min_version: "1.2"           # "1.0", "1.1", "1.2" or "1.3"
 *   max_version: ""              # empty: the newest the JVM has (1.3)
 *   cipher_suites: []            # Go names, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; empty: the JVM's
 *   reload_interval: 0s          # re-read cert and key this often; 0: never
 *   ca_file: ""                  # accepted as the Collector does; a server does not use it
 *   ca_pem: ""
 *   include_system_ca_certs_pool: false
 * </pre>
 *
 * <p>Cipher suites name TLS 1.2 suites (and the TLS 1.3 ones, which, as in Go, are always on).
 *
 * @param certFile PEM certificate chain of the server
 * @param certPem the same, inline
 * @param keyFile PEM private key of the certificate
 * @param keyPem the same, inline; never logged
 * @param clientCaFile PEM CAs that sign client certificates; set = client certificates required
 * @param clientCaFileReload re-read {@code clientCaFile} when it changes
 * @param minVersion lowest TLS version, "1.2" by default
 * @param maxVersion highest TLS version, empty for the newest
 * @param cipherSuites TLS 1.2 cipher suites by their Go (IANA) names; empty for the JVM's defaults
 * @param reloadInterval how often certificate and key are re-read from disk; zero for never
 * @param caFile accepted for Collector configs; unused by a server
 * @param caPem accepted for Collector configs; unused by a server
 * @param includeSystemCaCertsPool accepted for Collector configs; unused by a server
 */
public record TlsServerSettings(
    String certFile,
    String certPem,
    String keyFile,
    String keyPem,
    String clientCaFile,
    Boolean clientCaFileReload,
    String minVersion,
    String maxVersion,
    List<String> cipherSuites,
    Duration reloadInterval,
    String caFile,
    String caPem,
    Boolean includeSystemCaCertsPool) {

  /** TLS versions by the Collector's names, as the JDK names them. */
  static final Map<String, String> VERSIONS = Map.of(
      "1.0", "TLSv1", "1.1", "TLSv1.1", "1.2", "TLSv1.2", "1.3", "TLSv1.3");

  /**
   * The cipher suites Go's {@code tls.CipherSuites()} offers and the Collector accepts, by Go
   * name, to the JDK's name. Go's names are the IANA names, as the JDK's are, but for the two
   * ChaCha20 suites that Go also knows without {@code _SHA256}.
   */
  static final Map<String, String> CIPHER_SUITES;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    for (String name : List.of(
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384")) {
      m.put(name, name);
    }
    m.put("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    m.put("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    CIPHER_SUITES = Map.copyOf(m);
  }

  /** The TLS 1.3 suites, always enabled when TLS 1.3 is, as in Go. */
  static final List<String> TLS13_SUITES =
      List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

  public TlsServerSettings {
    certFile = orEmpty(certFile);
    certPem = orEmpty(certPem);
    keyFile = orEmpty(keyFile);
    keyPem = orEmpty(keyPem);
    clientCaFile = orEmpty(clientCaFile);
    clientCaFileReload = clientCaFileReload != null && clientCaFileReload;
    minVersion = minVersion == null || minVersion.isEmpty() ? "1.2" : minVersion;
    maxVersion = orEmpty(maxVersion);
    cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
    reloadInterval = reloadInterval == null ? Duration.ZERO : reloadInterval;
    caFile = orEmpty(caFile);
    caPem = orEmpty(caPem);
    includeSystemCaCertsPool = includeSystemCaCertsPool != null && includeSystemCaCertsPool;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** A server certificate and key from files, every other setting at its default. */
  public static TlsServerSettings ofFiles(String certFile, String keyFile) {
    return new TlsServerSettings(certFile, null, keyFile, null, null, null, null, null, null, null, null, null, null);
  }

  /** A copy that requires client certificates signed by the CAs in {@code clientCaFile}. */
  public TlsServerSettings withClientCaFile(String file, boolean reload) {
    return new TlsServerSettings(certFile, certPem, keyFile, keyPem, file, reload, minVersion, maxVersion,
        cipherSuites, reloadInterval, caFile, caPem, includeSystemCaCertsPool);
  }

  /** A copy that re-reads certificate and key every {@code interval}. */
  public TlsServerSettings withReloadInterval(Duration interval) {
    return new TlsServerSettings(certFile, certPem, keyFile, keyPem, clientCaFile, clientCaFileReload, minVersion,
        maxVersion, cipherSuites, interval, caFile, caPem, includeSystemCaCertsPool);
  }

  /** True when clients must present a certificate signed by {@code client_ca_file}. */
  public boolean requiresClientCertificate() {
    return !clientCaFile.isEmpty();
  }

  /** The JDK protocol names from {@code min_version} to {@code max_version}; valid settings only. */
  List<String> protocols() {
    List<String> order = List.of("1.0", "1.1", "1.2", "1.3");
    int from = order.indexOf(minVersion);
    int to = maxVersion.isEmpty() ? order.size() - 1 : order.indexOf(maxVersion);
    List<String> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(VERSIONS.get(order.get(i)));
    }
    return out;
  }

  /** The JDK names of the configured suites plus the TLS 1.3 ones; empty for the JVM's defaults. */
  List<String> jdkCipherSuites() {
    if (cipherSuites.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : cipherSuites) {
      String jdk = CIPHER_SUITES.get(s);
      if (jdk != null && !out.contains(jdk)) {
        out.add(jdk);
      }
    }
    for (String s : TLS13_SUITES) {
      if (!out.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Every problem with these settings, with key paths under {@code prefix} (such as
   * {@code protocols.grpc.tls}).
   */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    boolean hasCert = !certFile.isEmpty() || !certPem.isEmpty();
    boolean hasKey = !keyFile.isEmpty() || !keyPem.isEmpty();
    if (!certFile.isEmpty() && !certPem.isEmpty()) {
      problems.add(new ConfigProblem(prefix + ".cert_pem", "is set as well as " + prefix + ".cert_file; set one"));
    }
    if (!keyFile.isEmpty() && !keyPem.isEmpty()) {
      problems.add(new ConfigProblem(prefix + ".key_pem", "is set as well as " + prefix + ".key_file; set one"));
    }
    if (!hasCert) {
      problems.add(new ConfigProblem(prefix + ".cert_file", "is required for a TLS server: the PEM file of its"
          + " certificate (or cert_pem with the PEM itself); leave tls out to serve in plaintext"));
    }
    if (!hasKey) {
      problems.add(new ConfigProblem(prefix + ".key_file", "is required for a TLS server: the PEM file of the"
          + " certificate's private key (or key_pem with the PEM itself)"));
    }
    TlsClientSettings.checkFile(problems, prefix + ".cert_file", certFile);
    TlsClientSettings.checkFile(problems, prefix + ".key_file", keyFile);
    TlsClientSettings.checkFile(problems, prefix + ".client_ca_file", clientCaFile);
    TlsClientSettings.checkFile(problems, prefix + ".ca_file", caFile);
    if (clientCaFileReload && clientCaFile.isEmpty()) {
      problems.add(new ConfigProblem(prefix + ".client_ca_file_reload", "is true but " + prefix
          + ".client_ca_file is not set; set the file to reload, or leave the key out"));
    }
    boolean versionsKnown = checkVersion(problems, prefix + ".min_version", minVersion);
    if (!maxVersion.isEmpty()) {
      versionsKnown &= checkVersion(problems, prefix + ".max_version", maxVersion);
      if (versionsKnown && maxVersion.compareTo(minVersion) < 0) {
        problems.add(new ConfigProblem(prefix + ".max_version", "\"" + maxVersion + "\" is lower than min_version \""
            + minVersion + "\"; raise max_version or lower min_version"));
      }
    }
    for (int i = 0; i < cipherSuites.size(); i++) {
      String s = cipherSuites.get(i);
      if (s == null || !CIPHER_SUITES.containsKey(s)) {
        problems.add(new ConfigProblem(prefix + ".cipher_suites[" + i + "]", (s == null ? "is empty"
            : "\"" + s + "\" is not a supported cipher suite") + "; valid: "
            + String.join(", ", CIPHER_SUITES.keySet().stream().sorted().toList())));
      }
    }
    if (reloadInterval.isNegative()) {
      problems.add(new ConfigProblem(prefix + ".reload_interval", "is negative; expected a duration such as \"1h\","
          + " or 0 to never reload"));
    }
    return problems;
  }

  private static boolean checkVersion(List<ConfigProblem> problems, String key, String version) {
    if (VERSIONS.containsKey(version)) {
      return true;
    }
    problems.add(new ConfigProblem(key, "\"" + version + "\" is not a TLS version; expected \"1.0\", \"1.1\","
        + " \"1.2\" or \"1.3\""));
    return false;
  }

  @Override
  public String toString() {
    return "TlsServerSettings[certFile=" + certFile + ", certPem=" + (certPem.isEmpty() ? "" : "(set)")
        + ", keyFile=" + keyFile + ", keyPem=" + (keyPem.isEmpty() ? "" : "[REDACTED]")
        + ", clientCaFile=" + clientCaFile + ", minVersion=" + minVersion + ", maxVersion=" + maxVersion
        + ", cipherSuites=" + cipherSuites + ", reloadInterval=" + reloadInterval + "]";
  }
}

package io.sluice.core.tls;

import io.sluice.core.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A client's TLS settings, the {@code tls} block of the Collector's {@code configtls} client
 * config, with its keys and defaults:
 *
 * <pre>
 * tls:
 *   insecure: false              # true: plaintext
 *   insecure_skip_verify: false  # true: TLS, but any server certificate is accepted
 *   ca_file: ""                  # PEM CAs that sign the server's certificate; the JVM's when empty
 *   cert_file: ""                # PEM client certificate, for mutual TLS (with key_file)
 *   key_file: ""                 # PEM private key of cert_file
 * </pre>
 *
 * <p>Whether {@code insecure} decides plaintext is up to the component: over HTTP the URL's
 * scheme decides, and the key is accepted so that Collector configs load.
 *
 * @param insecure send in plaintext
 * @param insecureSkipVerify use TLS but accept any server certificate
 * @param caFile PEM file with the CAs that sign the server's certificate; empty for the JVM's
 * @param certFile PEM client certificate, for mutual TLS (with {@code keyFile}); empty for none
 * @param keyFile PEM private key of {@code certFile}; empty for none
 */
public record TlsClientSettings(
    boolean insecure, boolean insecureSkipVerify, String caFile, String certFile, String keyFile) {

  public TlsClientSettings {
    caFile = caFile == null ? "" : caFile;
    certFile = certFile == null ? "" : certFile;
    keyFile = keyFile == null ? "" : keyFile;
  }

  /** The Collector's defaults: TLS, verified against the JVM's CAs, no client certificate. */
  public static TlsClientSettings defaults() {
    return new TlsClientSettings(false, false, "", "", "");
  }

  /** True when a CA file replaces the JVM's trusted CAs. */
  public boolean hasCaFile() {
    return !caFile.isEmpty();
  }

  /** True when a client certificate and key are set, for mutual TLS. */
  public boolean hasClientCertificate() {
    return !certFile.isEmpty() && !keyFile.isEmpty();
  }

  /**
   * Problems with paths under {@code prefix} (normally {@code tls}): {@code cert_file} and
   * {@code key_file} set together or not at all, and every file named exists and can be read.
   */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (certFile.isEmpty() != keyFile.isEmpty()) {
      problems.add(new ConfigProblem(prefix + (certFile.isEmpty() ? ".cert_file" : ".key_file"),
          prefix + ".cert_file and " + prefix + ".key_file go together: set both for mutual TLS, or neither"));
    }
    checkFile(problems, prefix + ".ca_file", caFile);
    checkFile(problems, prefix + ".cert_file", certFile);
    checkFile(problems, prefix + ".key_file", keyFile);
    return problems;
  }

  /** Adds a problem when {@code file} is set but is not a readable regular file. */
  static void checkFile(List<ConfigProblem> problems, String key, String file) {
    if (file.isEmpty()) {
      return;
    }
    Path p;
    try {
      p = Path.of(file);
    } catch (InvalidPathException e) {
      problems.add(new ConfigProblem(key, "\"" + file + "\" is not a valid path: " + e.getReason()));
      return;
    }
    String why = !Files.exists(p) ? "does not exist"
        : !Files.isRegularFile(p) ? "is not a file"
        : !Files.isReadable(p) ? "cannot be read; check its permissions"
        : null;
    if (why != null) {
      String where = p.isAbsolute() ? ""
          : " (relative to the working directory " + Path.of("").toAbsolutePath() + ")";
      problems.add(new ConfigProblem(key, "\"" + file + "\"" + where + " " + why + "; expected a PEM file"));
    }
  }
}

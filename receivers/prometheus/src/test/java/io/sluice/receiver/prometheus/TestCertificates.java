package io.sluice.receiver.prometheus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test with the JDK's own {@code keytool} (no extra libraries): a CA, a
 * server certificate it signs for {@code localhost} and {@code 127.0.0.1}, an unrelated CA, and a
 * self-signed client certificate; all written as PEM files.
 */
record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path otherCaCert, Path clientCert,
    Path clientKey) {
  private static final String PASSWORD = "changeit";

  static TestCertificates create(Path dir) throws Exception {
    Path ca = dir.resolve("ca.p12");
    Path server = dir.resolve("server.p12");
    Path other = dir.resolve("other-ca.p12");
    Path client = dir.resolve("client.p12");
    // the key pairs in parallel: each keytool is a JVM start
    List<Process> keys = new ArrayList<>();
    keys.add(keytool("-genkeypair", "-alias", "ca", "-dname", "CN=Sluice Test CA", "-ext", "bc:c",
        "-keystore", ca.toString()).start());
    keys.add(keytool("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-keystore", server.toString())
        .start());
    keys.add(keytool("-genkeypair", "-alias", "other", "-dname", "CN=Unrelated Test CA", "-ext", "bc:c",
        "-keystore", other.toString()).start());
    keys.add(keytool("-genkeypair", "-alias", "client", "-dname", "CN=sluice-scraper", "-keystore",
        client.toString()).start());
    for (Process p : keys) {
      await(p);
    }
    // the CA signs the server's certificate request
    Path serverCert = dir.resolve("server-cert.pem");
    List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
        keytool("-certreq", "-alias", "server", "-keystore", server.toString()),
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-rfc", "-outfile", serverCert.toString(),
            "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth")));
    for (Process p : pipeline) {
      await(p);
    }
    TestCertificates certs = new TestCertificates(dir.resolve("ca.pem"), serverCert, dir.resolve("server-key.pem"),
        dir.resolve("other-ca.pem"), dir.resolve("client-cert.pem"), dir.resolve("client-key.pem"));
    writeCert(ca, "ca", certs.caCert());
    writeKey(server, "server", certs.serverKey());
    writeCert(other, "other", certs.otherCaCert());
    writeCert(client, "client", certs.clientCert());
    writeKey(client, "client", certs.clientKey());
    return certs;
  }

  private static ProcessBuilder keytool(String... args) {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    if (!Files.isExecutable(keytool)) {
      throw new IllegalStateException("The TLS tests make their certificates with the JDK's keytool, but "
          + keytool + " is missing; run the tests with a full JDK 17");
    }
    List<String> command = new ArrayList<>();
    command.add(keytool.toString());
    command.addAll(List.of(args));
    if (!List.of(args).contains("-certreq") && !List.of(args).contains("-gencert")) {
      command.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2"));
    } else if (List.of(args).contains("-gencert")) {
      command.addAll(List.of("-validity", "2"));
    }
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE);
  }

  private static void await(Process p) throws Exception {
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("keytool did not finish in 60 s");
    }
    if (p.exitValue() != 0) {
      String err;
      try (InputStream in = p.getErrorStream()) {
        err = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      throw new IllegalStateException("keytool failed (" + p.exitValue() + "): " + err);
    }
  }

  private static KeyStore load(Path store) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    return ks;
  }

  private static void writeCert(Path store, String alias, Path pem) throws Exception {
    Certificate cert = load(store).getCertificate(alias);
    write(pem, "CERTIFICATE", cert.getEncoded());
  }

  private static void writeKey(Path store, String alias, Path pem) throws Exception {
    Key key = load(store).getKey(alias, PASSWORD.toCharArray());
    write(pem, "PRIVATE KEY", key.getEncoded()); // PKCS#8
  }

  private static void write(Path pem, String type, byte[] der) throws IOException {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    Files.writeString(pem, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
  }
}

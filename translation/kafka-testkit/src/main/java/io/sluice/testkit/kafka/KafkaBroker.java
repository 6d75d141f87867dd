package io.sluice.testkit.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kafka broker for tests: one node in KRaft mode (broker and controller in one process),
 * run from Maven Central's {@code org.apache.kafka:kafka_2.13} jars in its own JVM, listening on
 * free loopback ports only. Its storage is formatted with {@code kafka.tools.StorageTool}, then
 * {@code kafka.Kafka} runs with a {@code server.properties} written here.
 *
 * <p>The broker's classpath is resolved by this module's Maven build and packaged as the resource
 * {@value #CLASSPATH_RESOURCE}, so a test needs nothing besides the build. {@link #shared()} starts
 * one broker per test JVM (stopped when the JVM exits); {@link #start(Options)} starts one with
 * other listeners (SASL, TLS), to be closed by the test.
 */
public final class KafkaBroker implements AutoCloseable {
  static final String CLASSPATH_RESOURCE = "io/sluice/testkit/kafka/broker-classpath.txt";
  /** How long the broker may take to start; about 3 s on an idle machine, much more on a busy one. */
  private static final long START_TIMEOUT_MILLIS = 120_000;
  private static final String STARTED_LINE = "Kafka Server started";

  /** The SASL users a broker with {@link Options#sasl()} accepts: name → password, for PLAIN and SCRAM. */
  public static final Map<String, String> SASL_USERS = Map.of("alice", "alice-secret", "bob", "bob-secret");

  private static KafkaBroker shared;

  private final Path dir;
  private final Process process;
  private final Path log;
  private final int port;
  private final int saslPort;
  private final int tlsPort;

  private KafkaBroker(Path dir, Process process, Path log, int port, int saslPort, int tlsPort) {
    this.dir = dir;
    this.process = process;
    this.log = log;
    this.port = port;
    this.saslPort = saslPort;
    this.tlsPort = tlsPort;
  }

  /**
   * What a broker listens on besides plaintext.
   *
   * @param sasl also a {@code SASL_PLAINTEXT} listener taking PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
   *     for the {@link #SASL_USERS}
   * @param tlsCertificatePem when not null, also an {@code SSL} listener with this certificate (PEM,
   *     with its chain) and {@code tlsKeyPem} (unencrypted PKCS#8 PEM)
   * @param partitions the partitions of topics the broker creates by itself
   */
  public record Options(boolean sasl, String tlsCertificatePem, String tlsKeyPem, int partitions) {
    public static Options plain() {
      return new Options(false, null, null, 1);
    }

    public Options withSasl() {
      return new Options(true, tlsCertificatePem, tlsKeyPem, partitions);
    }

    public Options withTls(String certificatePem, String keyPem) {
      return new Options(sasl, certificatePem, keyPem, partitions);
    }

    public Options withPartitions(int n) {
      return new Options(sasl, tlsCertificatePem, tlsKeyPem, n);
    }
  }

  /** The broker this test JVM shares, started on first use and stopped when the JVM exits. */
  public static synchronized KafkaBroker shared() {
    if (shared == null || !shared.process.isAlive()) {
      KafkaBroker b = start(Options.plain());
      Runtime.getRuntime().addShutdownHook(new Thread(b::close, "sluice-kafka-broker-stop"));
      shared = b;
    }
    return shared;
  }

  /** Starts a broker of its own; the caller closes it. */
  public static KafkaBroker start(Options options) {
    List<String> classpath = classpath();
    Path dir;
    try {
      dir = Files.createTempDirectory("sluice-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a directory for the Kafka broker", e);
    }
    int port = freePort();
    int controllerPort = freePort();
    int saslPort = options.sasl() ? freePort() : -1;
    int tlsPort = options.tlsCertificatePem() != null ? freePort() : -1;
    Path props = dir.resolve("server.properties");
    Path log = dir.resolve("broker.log");
    try {
      Files.writeString(props, serverProperties(dir, port, controllerPort, saslPort, tlsPort, options));
      Files.writeString(dir.resolve("log4j2.properties"), LOG4J);
      List<String> format = new ArrayList<>(List.of("kafka.tools.StorageTool", "format", "-t", clusterId(), "-c",
          props.toString(), "--ignore-formatted"));
      if (options.sasl()) {
        for (Map.Entry<String, String> u : SASL_USERS.entrySet()) {
          for (String mechanism : List.of("SCRAM-SHA-256", "SCRAM-SHA-512")) {
            format.add("--add-scram");
            format.add(mechanism + "=[name=" + u.getKey() + ",password=" + u.getValue() + "]");
          }
        }
      }
      Path formatLog = dir.resolve("format.log");
      Process f = java(classpath, dir, format, formatLog).start();
      if (!f.waitFor(120, TimeUnit.SECONDS)) {
        f.destroyForcibly();
        throw new IllegalStateException("Kafka's StorageTool did not finish formatting " + dir + " in 120 s:\n"
            + tail(formatLog));
      }
      if (f.exitValue() != 0) {
        throw new IllegalStateException("Kafka's StorageTool failed to format " + dir + " (exit " + f.exitValue()
            + "):\n" + tail(formatLog));
      }
      Process p = java(classpath, dir, List.of("kafka.Kafka", props.toString()), log).start();
      KafkaBroker broker = new KafkaBroker(dir, p, log, port, saslPort, tlsPort);
      broker.awaitStarted();
      return broker;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a Kafka broker in " + dir + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting a Kafka broker", e);
    }
  }

  private static ProcessBuilder java(List<String> classpath, Path dir, List<String> args, Path output) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
        "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"), "-cp",
        String.join(java.io.File.pathSeparator, classpath)));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
  }

  private void awaitStarted() throws InterruptedException, IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String why = tail(log);
        deleteDir();
        throw new IllegalStateException("The Kafka broker exited (code " + process.exitValue()
            + ") while starting; its log:\n" + why);
      }
      if (Files.exists(log) && Files.readString(log).contains(STARTED_LINE) && accepts(port)) {
        return;
      }
      Thread.sleep(50); // polling a child process's log: nothing to wait on instead
    }
    String why = tail(log);
    close();
    throw new IllegalStateException("The Kafka broker did not start in " + START_TIMEOUT_MILLIS / 1000
        + " s; its log:\n" + why);
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code host:port} of the plaintext listener. */
  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  /** {@code host:port} of the {@code SASL_PLAINTEXT} listener; only with {@link Options#sasl()}. */
  public String saslBootstrap() {
    if (saslPort < 0) {
      throw new IllegalStateException("this broker was started without a SASL listener");
    }
    return "127.0.0.1:" + saslPort;
  }

  /** {@code host:port} of the {@code SSL} listener; only with a TLS certificate in its options. */
  public String tlsBootstrap() {
    if (tlsPort < 0) {
      throw new IllegalStateException("this broker was started without a TLS listener");
    }
    return "127.0.0.1:" + tlsPort;
  }

  /** The broker's log so far, for a failing test's message. */
  public String logTail() {
    return tail(log);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    deleteDir();
  }

  private void deleteDir() {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  // ---- setup ----

  static List<String> classpath() {
    InputStream in = KafkaBroker.class.getClassLoader().getResourceAsStream(CLASSPATH_RESOURCE);
    if (in == null) {
      throw new IllegalStateException("The Kafka broker's classpath (" + CLASSPATH_RESOURCE + ") is not on the"
          + " test classpath: build the module sluice-kafka-testkit with Maven (mvn -pl translation/kafka-testkit"
          + " install), which resolves org.apache.kafka:kafka_2.13 and writes it");
    }
    String text;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      text = r.lines().reduce("", String::concat).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> jars = List.of(text.split(java.io.File.pathSeparator));
    for (String jar : jars) {
      if (!Files.isRegularFile(Path.of(jar))) {
        throw new IllegalStateException("The Kafka broker's jar " + jar + " is missing: rebuild the module"
            + " sluice-kafka-testkit with Maven (mvn -pl translation/kafka-testkit install) to download it");
      }
    }
    return jars;
  }

  static String serverProperties(Path dir, int port, int controllerPort, int saslPort, int tlsPort,
      Options options) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    List<String> listeners = new ArrayList<>(List.of("PLAINTEXT://127.0.0.1:" + port,
        "CONTROLLER://127.0.0.1:" + controllerPort));
    List<String> advertised = new ArrayList<>(List.of("PLAINTEXT://127.0.0.1:" + port));
    if (saslPort > 0) {
      listeners.add("SASL_PLAINTEXT://127.0.0.1:" + saslPort);
      advertised.add("SASL_PLAINTEXT://127.0.0.1:" + saslPort);
    }
    if (tlsPort > 0) {
      listeners.add("SSL://127.0.0.1:" + tlsPort);
      advertised.add("SSL://127.0.0.1:" + tlsPort);
    }
    p.put("listeners", String.join(",", listeners));
    p.put("advertised.listeners", String.join(",", advertised));
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL");
    p.put("log.dirs", dir.resolve("data").toString());
    p.put("num.partitions", Integer.toString(Math.max(1, options.partitions())));
    p.put("auto.create.topics.enable", "true");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // Consumers that leave or die are noticed quickly, so rebalance tests are short.
    p.put("group.min.session.timeout.ms", "1000");
    p.put("group.consumer.min.session.timeout.ms", "1000");
    p.put("group.consumer.min.heartbeat.interval.ms", "500");
    p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("background.threads", "2");
    p.put("log.cleaner.enable", "false");
    if (saslPort > 0) {
      p.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512");
      StringBuilder plain = new StringBuilder(
          "org.apache.kafka.common.security.plain.PlainLoginModule required");
      SASL_USERS.forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password)
          .append('"'));
      p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", plain + ";");
      p.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      p.put("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    }
    if (tlsPort > 0) {
      p.put("listener.name.ssl.ssl.keystore.type", "PEM");
      p.put("listener.name.ssl.ssl.keystore.certificate.chain", options.tlsCertificatePem().strip());
      p.put("listener.name.ssl.ssl.keystore.key", options.tlsKeyPem().strip());
      p.put("listener.name.ssl.ssl.client.auth", "none");
    }
    StringBuilder sb = new StringBuilder("# Written by Sluice's KafkaBroker test fixture\n");
    p.forEach((k, v) -> sb.append(k).append('=').append(escape(v)).append('\n'));
    return sb.toString();
  }

  /** A value as java.util.Properties reads it back: backslashes and line breaks escaped. */
  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n");
  }

  /** A Kafka cluster id: 16 random bytes, URL-safe base64 without padding. */
  static String clusterId() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private static String tail(Path file) {
    try {
      if (!Files.exists(file)) {
        return "(no output)";
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static final String LOG4J = """
      status = warn
      appender.out.type = Console
      appender.out.name = out
      appender.out.layout.type = PatternLayout
      appender.out.layout.pattern = [%d] %p %m (%c)%n
      rootLogger.level = INFO
      rootLogger.appenderRef.out.ref = out
      logger.kafka.name = kafka
      logger.kafka.level = INFO
      logger.apache.name = org.apache.kafka
      logger.apache.level = WARN
      logger.state.name = state.change.logger
      logger.state.level = WARN
      """;
}

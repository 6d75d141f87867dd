package io.sluice.gateway;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice}: runs the gateway, validates configs and lists components. */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A telemetry pipeline gateway: OTLP, Prometheus, Kafka, Loki and Jaeger in and out.",
    subcommands = {Main.Validate.class, Main.Components.class})
public final class Main implements Callable<Integer> {
  static final String DEFAULT_CONFIG = "config/sluice.yaml";

  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "Config file; repeat to merge several, later over earlier. Default: " + DEFAULT_CONFIG)
  List<Path> configs = new ArrayList<>();

  @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "30s",
      description = "How long SIGTERM may take to drain data in flight (Go syntax: 30s, 2m). Default: 30s")
  String shutdownTimeout;

  @Option(names = "--watch-config",
      description = "Reload when a config file changes (debounced), as SIGHUP does; an invalid config is"
          + " reported and the running one kept.")
  boolean watchConfig;

  /**
   * Starts every pipeline, then stops and exits 0: the training run that records the classes a
   * gateway loads into its class-data-sharing archive (gateway/pom.xml, bin/sluice).
   */
  @Option(names = "--stop-after-start", hidden = true)
  boolean stopAfterStart;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The command line of {@code sluice}; tests redirect its output with {@code setOut}/{@code setErr}. */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  /** The given configs, or the default one: in the working directory, else in the installation. */
  static List<Path> configsOrDefault(List<Path> configs) {
    if (!configs.isEmpty()) {
      return configs;
    }
    Path local = Path.of(DEFAULT_CONFIG);
    String home = System.getProperty("sluice.home");
    if (!java.nio.file.Files.exists(local) && home != null) {
      return List.of(Path.of(home).resolve(DEFAULT_CONFIG));
    }
    return List.of(local);
  }

  /** Waits for a stop already under way on another thread, so the JVM does not end mid-drain. */
  private static void awaitQuietly(CountDownLatch stopped) {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public Integer call() throws Exception {
    List<Path> files = configsOrDefault(configs);
    Duration deadline = Configs.parseDuration(spec.commandLine(), shutdownTimeout, "--shutdown-timeout");
    LoadedConfig config;
    try {
      config = Configs.load(files, System.getenv());
    } catch (Configs.InvalidConfigException e) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(e.getMessage());
      err.flush();
      return 2;
    }
    Logging.apply(config);
    Logger log = LoggerFactory.getLogger(Main.class);
    log.info("Sluice {} starting with {}", Version.version(), files);
    Gateway gateway = Gateway.create();
    // Signals are handled from the start, so a SIGHUP or SIGTERM during startup is never fatal.
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop = () -> {
      if (!stopping.compareAndSet(false, true)) {
        return;
      }
      log.info("Shutting down: stopping intake and draining data in flight (deadline {} s)", deadline.toSeconds());
      gateway.close(deadline);
      log.info("Sluice stopped");
      stopped.countDown();
    };
    // SIGTERM and SIGINT stop the gateway and main returns 0; the hook covers every other exit.
    Signals.onTerminate(stop);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.run();
      awaitQuietly(stopped);
    }, "sluice-shutdown"));
    Runnable reload = () -> {
      try {
        LoadedConfig next = Configs.load(files, System.getenv());
        Logging.apply(next);
        gateway.reload(next, Duration.ofSeconds(60));
      } catch (Configs.InvalidConfigException e) {
        log.error("Reload: the config is not valid, keeping the running one:\n{}", e.getMessage());
      } catch (Exception e) {
        log.error("Reload failed, keeping the running config: {}", e.getMessage(), e);
      }
    };
    Signals.onSighup(reload);
    try {
      gateway.start(config, Duration.ofSeconds(60));
    } catch (Exception e) {
      log.error("Sluice could not start: {}", e.getMessage(), e);
      gateway.close(Duration.ofSeconds(5));
      return 1;
    }
    if (stopAfterStart) {
      return 0; // the shutdown hook stops the pipelines as the JVM exits
    }
    if (watchConfig) {
      ConfigWatcher.start(files, reload); // a daemon thread; it ends with the JVM
    }
    HeapTrim.start();
    stopped.await();
    return 0;
  }

  /** {@code sluice validate --config FILE}: checks a config without starting anything. */
  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check config files without starting anything; exit 0 when valid.")
  static final class Validate implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Config file; repeat to merge several.")
    List<Path> configs = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<Path> files = configsOrDefault(configs);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      LoadedConfig loaded;
      try {
        loaded = Configs.load(files, System.getenv());
      } catch (Configs.InvalidConfigException e) {
        err.println(e.getMessage());
        err.flush();
        return 2;
      }
      out.println("Config is valid: " + files);
      List<String> warnings = Configs.warnings(loaded);
      if (!warnings.isEmpty()) {
        out.println(warnings.size() + (warnings.size() == 1 ? " key has" : " keys have") + " no effect in Sluice:");
        warnings.forEach(w -> out.println("  " + w));
      }
      out.flush();
      return 0;
    }
  }

  /** {@code sluice components}: every component type this build has. */
  @Command(name = "components", mixinStandardHelpOptions = true,
      description = "List the receiver, processor, exporter, connector and extension types.")
  static final class Components implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      out.print(Configs.describeComponents());
      out.flush();
      return 0;
    }
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    static String version() {
      String v = Main.class.getPackage().getImplementationVersion();
      return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
      return new String[] {"sluice " + version(), "Java " + System.getProperty("java.version")};
    }
  }
}

package io.sluice.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The real gateway the harness's tests run: its config, and the process from its jar. */
final class TestGateway {
  private static final Path JAR = Path.of("..", "gateway", "target", "sluice.jar").toAbsolutePath().normalize();

  private TestGateway() {}

  /**
   * Writes {@code gateway.yaml} in {@code dir}: the top-level {@code components} (receivers,
   * processors, exporters), self-metrics on a free loopback port, and the {@code pipelines}.
   */
  static Path config(Path dir, String components, String pipelines) throws IOException {
    return Files.writeString(dir.resolve("gateway.yaml"), """
        %s
        service:
          telemetry:
            metrics:
              readers:
                - pull:
                    exporter:
                      prometheus:
                        host: 127.0.0.1
                        port: %d
          pipelines:
        %s""".formatted(components.stripTrailing(), Reports.freePort(), pipelines.indent(4)));
  }

  /** The gateway from its jar, in a process of its own, logging to {@code gateway.log} in {@code dir}. */
  static ServerProcess start(Path dir, Path config) throws Exception {
    assertThat(JAR).as("the gateway's jar; build it with: mvn -B package -DskipTests -pl gateway -am").exists();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return ServerProcess.startGateway(java, List.of("-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1"),
        JAR, config, Map.of(), dir.resolve("gateway.log"));
  }
}

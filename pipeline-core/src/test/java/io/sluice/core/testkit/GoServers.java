package io.sluice.core.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds the servers {@code bin/build-test-servers} builds from the Go module proxy, where it
 * caches them: {@code ${SLUICE_SERVERS_CACHE:-~/.cache/sluice/servers}/<name>-<hash>}, the hash
 * being that of the Go module (its {@code go.mod} and {@code go.sum}) that pins the version.
 */
final class GoServers {
  private GoServers() {}

  /**
   * The binary built for the version the repository pins now.
   *
   * @param name the binary's name in the cache
   * @param module the pinning Go module's directory, from the repository root
   * @param what the server's name, for the message when it is missing
   * @param coldBuild how long a build from nothing takes, for that message
   * @throws IllegalStateException saying to run the build script when the binary is not there
   */
  static Path binary(String name, String module, String what, String coldBuild) throws IOException {
    Path repo = repoDir();
    Path dir = repo.resolve(module);
    String hash;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(Files.readAllBytes(dir.resolve("go.mod")));
      sha.update(Files.readAllBytes(dir.resolve("go.sum")));
      hash = HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String cache = System.getenv("SLUICE_SERVERS_CACHE");
    Path cacheDir = cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "sluice",
        "servers") : Path.of(cache);
    Path binary = cacheDir.resolve(name + "-" + hash);
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(what + " is not built: " + binary + " is missing. Run "
          + repo.resolve("bin/build-test-servers") + " (it builds it from the Go module proxy with the go tool, "
          + coldBuild + "; bin/test runs it too)");
    }
    return binary;
  }

  /**
   * The repository's root: {@code -Dsluice.repo.dir}, else the nearest parent holding
   * {@code bin/build-test-servers}.
   */
  static Path repoDir() {
    String prop = System.getProperty("sluice.repo.dir");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/build-test-servers"))) {
        return p;
      }
    }
    throw new IllegalStateException("Cannot find the repository root (with bin/build-test-servers) above "
        + Path.of("").toAbsolutePath() + "; set -Dsluice.repo.dir");
  }

  /** Stops a server process (TERM, then KILL after 10 s) and deletes its temporary directory. */
  static void stop(Process process, Path dir) {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }

  /** A server's log file as text, or why it cannot be read. */
  static String log(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}

package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentFactory;
import io.sluice.core.config.YamlNode.Location;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads the gateway's config: YAML in the OpenTelemetry Collector's schema, from one or more
 * files.
 *
 * <ol>
 *   <li>Each file is parsed; later files merge over earlier ones (maps merge key by key, lists
 *       and scalars are replaced), as the Collector's repeated {@code --config} does.
 *   <li>Environment variables in values are expanded: {@code ${env:NAME}}, {@code ${NAME}},
 *       {@code ${env:NAME:-default}}, and {@code $$} for a literal {@code $}.
 *   <li>Every component defined under {@code receivers}, {@code processors}, {@code exporters},
 *       {@code connectors} and {@code extensions} is bound to its factory's config record over
 *       the factory's defaults and validated, whether or not a pipeline uses it.
 *   <li>{@code service} is read and the pipelines are checked against what is defined and what
 *       each component supports.
 * </ol>
 *
 * <p>Every problem found is reported at once in one {@link ConfigException}, each with its file,
 * line, column and key path.
 */
public final class ConfigLoader {
  private final Factories factories;
  private final Map<String, String> env;

  /**
   * @param factories the component types available
   * @param env the environment variables to expand ({@code System.getenv()} in the gateway)
   */
  public ConfigLoader(Factories factories, Map<String, String> env) {
    this.factories = Objects.requireNonNull(factories, "factories");
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /**
   * Loads and validates the config made of {@code files}, later files merging over earlier ones.
   *
   * @throws ConfigException listing every problem: a missing or unreadable file, invalid YAML,
   *     unknown keys, values of the wrong type, invalid settings, broken pipelines
   */
  public ServiceConfig load(List<Path> files) throws ConfigException {
    if (files.isEmpty()) {
      throw new ConfigException(List.of(new ConfigError("", 0, 0, "", "no config file given")));
    }
    List<String> names = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<ConfigError> errors = new ArrayList<>();
    for (Path file : files) {
      String name = file.toString();
      names.add(name);
      try {
        texts.add(Files.readString(file));
      } catch (NoSuchFileException e) {
        errors.add(new ConfigError(name, 0, 0, "", "config file not found (looked for "
            + file.toAbsolutePath().normalize() + ")"));
      } catch (CharacterCodingException e) {
        errors.add(new ConfigError(name, 0, 0, "", "cannot read the config file: it is not UTF-8 text"));
      } catch (IOException e) {
        errors.add(new ConfigError(name, 0, 0, "", "cannot read the config file: " + describe(e)));
      }
    }
    throwIfAny(errors, names);
    return assemble(names, texts);
  }

  /**
   * Loads and validates a config given as text; {@code name} stands for the file in errors.
   *
   * @throws ConfigException listing every problem
   */
  public ServiceConfig loadYaml(String name, String yaml) throws ConfigException {
    return assemble(List.of(name), List.of(yaml));
  }

  private ServiceConfig assemble(List<String> names, List<String> texts) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    YamlNode merged = null;
    for (int i = 0; i < names.size(); i++) {
      YamlNode tree = YamlTree.parse(names.get(i), texts.get(i), errors);
      if (tree != null) {
        merged = merged == null ? tree : YamlTree.merge(merged, tree);
      }
    }
    throwIfAny(errors, names);
    merged = EnvExpansion.expand(merged, env, errors);
    ServiceConfig config = new ServiceAssembler(factories, errors).assemble(merged);
    throwIfAny(errors, names);
    return config;
  }

  /**
   * Binds one component's section on its own, as the loader does: over the factory's defaults,
   * with unknown keys and wrong types reported, then {@code validate()}. For component tests:
   * {@code bindComponent(factory, "endpoint: localhost:4317\ntimeout: 5s")}. Environment
   * references expand as if no variable were set. Errors name the key path from
   * {@code <section>.<type>} ({@code exporters.otlp.sending_queue.queue_size}).
   *
   * @param yamlOfSection the YAML under the component's id; empty or {@code null} for all defaults
   * @throws ConfigException listing every problem
   */
  public static <C extends ComponentConfig> C bindComponent(ComponentFactory<C> f, String yamlOfSection)
      throws ConfigException {
    String prefix = f.kind().section() + "." + f.type();
    String name = "<" + prefix + ">";
    List<ConfigError> errors = new ArrayList<>();
    YamlNode tree = YamlTree.parse(name, yamlOfSection == null ? "" : yamlOfSection, errors);
    throwIfAny(errors, List.of(name));
    tree = EnvExpansion.expand(tree, Map.of(), errors);
    C config = ComponentBinder.bind(f.configClass(), f.defaultConfig(), tree, new Location(name, 1, 1), prefix,
        errors);
    throwIfAny(errors, List.of(name));
    return config;
  }

  private static void throwIfAny(List<ConfigError> errors, List<String> files) throws ConfigException {
    if (errors.isEmpty()) {
      return;
    }
    List<ConfigError> sorted = new ArrayList<>(errors);
    sorted.sort(Comparator.comparingInt((ConfigError e) -> files.indexOf(e.file()))
        .thenComparingInt(ConfigError::line)
        .thenComparingInt(ConfigError::column));
    throw new ConfigException(sorted);
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
  }
}

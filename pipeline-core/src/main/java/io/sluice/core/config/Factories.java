package io.sluice.core.config;

import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.ExporterFactory;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.ReceiverFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The component factories the gateway knows, by kind and type name. A factory is registered under
 * every kind whose factory interface it implements.
 */
public final class Factories {
  private static final Map<ComponentKind, Class<?>> INTERFACES = Map.of(
      ComponentKind.RECEIVER, ReceiverFactory.class,
      ComponentKind.PROCESSOR, ProcessorFactory.class,
      ComponentKind.EXPORTER, ExporterFactory.class,
      ComponentKind.CONNECTOR, ConnectorFactory.class,
      ComponentKind.EXTENSION, ExtensionFactory.class);

  private final Map<ComponentKind, Map<String, ComponentFactory<?>>> byKind = new EnumMap<>(ComponentKind.class);

  /**
   * A registry of exactly these factories (for tests, or a gateway built by hand).
   *
   * @throws IllegalArgumentException when two different factories of one kind share a type name
   */
  public Factories(Collection<? extends ComponentFactory<?>> factories) {
    for (ComponentKind kind : ComponentKind.values()) {
      byKind.put(kind, new TreeMap<>());
    }
    for (ComponentFactory<?> f : factories) {
      for (ComponentKind kind : ComponentKind.values()) {
        if (INTERFACES.get(kind).isInstance(f)) {
          register(kind, f);
        }
      }
    }
  }

  /** A registry of these factories. */
  public static Factories of(ComponentFactory<?>... factories) {
    return new Factories(List.of(factories));
  }

  /** Every factory listed in {@code META-INF/services} on the thread's context class path. */
  public static Factories load() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return load(loader != null ? loader : Factories.class.getClassLoader());
  }

  /** Every factory listed in {@code META-INF/services/io.sluice.core.<Kind>Factory} of {@code loader}. */
  public static Factories load(ClassLoader loader) {
    List<ComponentFactory<?>> found = new ArrayList<>();
    for (Class<?> type : List.of(ReceiverFactory.class, ProcessorFactory.class, ExporterFactory.class,
        ConnectorFactory.class, ExtensionFactory.class)) {
      for (Object f : ServiceLoader.load(type, loader)) {
        found.add((ComponentFactory<?>) f);
      }
    }
    return new Factories(found);
  }

  private void register(ComponentKind kind, ComponentFactory<?> f) {
    String type = f.type();
    if (type == null || type.isEmpty()) {
      throw new IllegalArgumentException(f.getClass().getName() + " has no type name");
    }
    ComponentFactory<?> existing = byKind.get(kind).get(type);
    if (existing != null && existing.getClass() != f.getClass()) {
      throw new IllegalArgumentException("two " + kind.noun() + " factories have the type \"" + type + "\": "
          + existing.getClass().getName() + " and " + f.getClass().getName());
    }
    if (existing == null) {
      byKind.get(kind).put(type, f);
    }
    for (String alias : f.aliases()) {
      ComponentFactory<?> taken = byKind.get(kind).get(alias);
      if (taken != null && taken.getClass() != f.getClass()) {
        throw new IllegalArgumentException("the " + kind.noun() + " type name \"" + alias + "\" of "
            + f.getClass().getName() + " is already taken by " + taken.getClass().getName());
      }
      byKind.get(kind).putIfAbsent(alias, f);
    }
  }

  /** The factory of {@code kind} with {@code type}, or null when there is none. */
  public ComponentFactory<?> get(ComponentKind kind, String type) {
    return byKind.get(kind).get(type);
  }

  /** The receiver factory of this type, or null. */
  public ReceiverFactory<?> receiver(String type) {
    return (ReceiverFactory<?>) get(ComponentKind.RECEIVER, type);
  }

  /** The processor factory of this type, or null. */
  public ProcessorFactory<?> processor(String type) {
    return (ProcessorFactory<?>) get(ComponentKind.PROCESSOR, type);
  }

  /** The exporter factory of this type, or null. */
  public ExporterFactory<?> exporter(String type) {
    return (ExporterFactory<?>) get(ComponentKind.EXPORTER, type);
  }

  /** The connector factory of this type, or null. */
  public ConnectorFactory<?> connector(String type) {
    return (ConnectorFactory<?>) get(ComponentKind.CONNECTOR, type);
  }

  /** The extension factory of this type, or null. */
  public ExtensionFactory<?> extension(String type) {
    return (ExtensionFactory<?>) get(ComponentKind.EXTENSION, type);
  }

  /** The type names known for {@code kind}, aliases included, sorted. */
  public SortedSet<String> types(ComponentKind kind) {
    return new TreeSet<>(byKind.get(kind).keySet());
  }

  /** The factories of {@code kind}, each once, sorted by type name. */
  public List<ComponentFactory<?>> all(ComponentKind kind) {
    return byKind.get(kind).values().stream().distinct().toList();
  }
}

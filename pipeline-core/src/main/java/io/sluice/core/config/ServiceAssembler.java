package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.ExporterFactory;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.YamlNode.Entry;
import io.sluice.core.config.YamlNode.ListNode;
import io.sluice.core.config.YamlNode.Location;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the merged, expanded YAML tree into a {@link ServiceConfig}: binds every component of
 * every section, reads {@code service}, and checks that the pipelines fit together. Every problem
 * goes to the error list; the result is null when there was any.
 */
final class ServiceAssembler {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceAssembler.class);
  private static final List<String> SECTIONS =
      List.of("receivers", "processors", "exporters", "connectors", "extensions", "service");
  private static final List<String> SERVICE_KEYS = List.of("extensions", "pipelines", "telemetry");
  private static final List<String> PIPELINE_KEYS = List.of("exporters", "processors", "receivers");

  /**
   * A component of a section: its factory and config are null when its type or config was bad;
   * {@code section} is its YAML.
   */
  private record Defined(ComponentId id, ComponentFactory<?> factory, ComponentConfig config, Location location,
      YamlNode section) {}

  /** One id written in a list, and where. */
  private record Ref(ComponentId id, Location location) {}

  /** Where a connector is used, by the signal of the pipeline: the first use of each. */
  private record ConnectorUse(Map<Signal, String> asExporter, Map<Signal, Location> exporterAt,
      Map<Signal, String> asReceiver, Map<Signal, Location> receiverAt) {
    ConnectorUse() {
      this(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
    }
  }

  private final Factories factories;
  private final List<ConfigError> errors;
  private final Map<ComponentKind, Map<ComponentId, Defined>> defined = new EnumMap<>(ComponentKind.class);
  private final Map<ComponentId, ConnectorUse> connectorUses = new LinkedHashMap<>();

  ServiceAssembler(Factories factories, List<ConfigError> errors) {
    this.factories = factories;
    this.errors = errors;
  }

  ServiceConfig assemble(YamlNode root) {
    if (!(root instanceof MapNode top)) {
      error(root.location(), "", "the config must be a map with the sections " + String.join(", ", SECTIONS)
          + "; got " + root.describe());
      return null;
    }
    for (Entry e : top.entries().values()) {
      if (!SECTIONS.contains(e.key())) {
        error(e.keyLocation(), e.key(), unknownKey(e.key(), SECTIONS, "sections"));
      }
    }
    for (ComponentKind kind : ComponentKind.values()) {
      defined.put(kind, defineSection(kind, top.entries().get(kind.section())));
    }
    checkConnectorIds();

    Entry service = top.entries().get("service");
    if (service == null || isEmpty(service.value())) {
      Location at = service == null ? top.location() : service.keyLocation();
      error(at, "service", "no pipelines; define at least one under service.pipelines, such as"
          + " \"traces: {receivers: [otlp], exporters: [debug]}\"");
      return null;
    }
    if (!(service.value() instanceof MapNode svc)) {
      error(service.value().location(), "service", "expected a map with the keys " + String.join(", ", SERVICE_KEYS)
          + ", got " + service.value().describe());
      return null;
    }
    for (Entry e : svc.entries().values()) {
      if (!SERVICE_KEYS.contains(e.key())) {
        error(e.keyLocation(), "service." + e.key(), unknownKey(e.key(), SERVICE_KEYS, "keys"));
      }
    }
    Entry telemetryEntry = svc.entries().get("telemetry");
    TelemetryConfig telemetry = ComponentBinder.bind(TelemetryConfig.class, TelemetryConfig.DEFAULT,
        telemetryEntry == null ? null : telemetryEntry.value(),
        telemetryEntry == null ? service.keyLocation() : telemetryEntry.keyLocation(), "service.telemetry", errors);
    List<ComponentId> serviceExtensions = serviceExtensions(svc.entries().get("extensions"));
    List<PipelineConfig> pipelines = pipelines(service, svc.entries().get("pipelines"));
    checkConnectorUses();
    checkAuthenticators(pipelines, serviceExtensions);
    checkSignalUses(pipelines);

    if (!errors.isEmpty()) {
      return null;
    }
    return new ServiceConfig(
        used(ComponentKind.RECEIVER, pipelines, PipelineConfig::receivers, f -> (ReceiverFactory<?>) f),
        used(ComponentKind.PROCESSOR, pipelines, PipelineConfig::processors, f -> (ProcessorFactory<?>) f),
        used(ComponentKind.EXPORTER, pipelines, PipelineConfig::exporters, f -> (ExporterFactory<?>) f),
        usedConnectors(),
        usedExtensions(serviceExtensions),
        pipelines,
        serviceExtensions,
        telemetry);
  }

  // ---- component sections ----

  private Map<ComponentId, Defined> defineSection(ComponentKind kind, Entry section) {
    Map<ComponentId, Defined> out = new LinkedHashMap<>();
    if (section == null || isEmpty(section.value())) {
      return out;
    }
    if (!(section.value() instanceof MapNode m)) {
      error(section.value().location(), kind.section(), "expected a map of " + kind.noun() + " ids (\"type\" or"
          + " \"type/name\") to their settings, got " + section.value().describe());
      return out;
    }
    for (Entry e : m.entries().values()) {
      String path = kind.section() + "." + e.key();
      ComponentId id;
      try {
        id = ComponentId.parse(e.key());
      } catch (IllegalArgumentException ex) {
        error(e.keyLocation(), path, ex.getMessage());
        continue;
      }
      if (out.containsKey(id)) {
        error(e.keyLocation(), path, "\"" + id + "\" is defined twice (first at line "
            + out.get(id).location().line() + ")");
        continue;
      }
      ComponentFactory<?> factory = factories.get(kind, id.type());
      if (factory == null) {
        Set<String> known = factories.types(kind);
        error(e.keyLocation(), path, "unknown " + kind.noun() + " type \"" + id.type() + "\"; "
            + Suggestions.hint(id.type(), known, known.isEmpty() ? "this build of Sluice has no " + kind.section()
                : "known " + kind.noun() + " types: " + String.join(", ", known)));
        out.put(id, new Defined(id, null, null, e.keyLocation(), e.value()));
        continue;
      }
      ComponentConfig config = bind(factory, e.value(), e.keyLocation(), kind.section() + "." + id);
      out.put(id, new Defined(id, factory, config, e.keyLocation(), e.value()));
    }
    return out;
  }

  private <C extends ComponentConfig> C bind(ComponentFactory<C> f, YamlNode section, Location at, String path) {
    return ComponentBinder.bind(f.configClass(), f.defaultConfig(), section, at, path, errors);
  }

  /** As in the Collector, a connector id may not also be a receiver's or an exporter's. */
  private void checkConnectorIds() {
    for (Defined c : defined.get(ComponentKind.CONNECTOR).values()) {
      for (ComponentKind other : List.of(ComponentKind.RECEIVER, ComponentKind.EXPORTER)) {
        if (defined.get(other).containsKey(c.id())) {
          error(c.location(), "connectors." + c.id(), "\"" + c.id() + "\" is also defined under \"" + other.section()
              + "\", so pipelines cannot tell which one they name; rename one of them, such as \"" + c.id().type()
              + "/" + (c.id().name().isEmpty() ? "connector" : c.id().name() + "_connector") + "\"");
        }
      }
    }
  }

  // ---- service ----

  private List<ComponentId> serviceExtensions(Entry entry) {
    List<ComponentId> out = new ArrayList<>();
    if (entry == null) {
      return out;
    }
    Map<ComponentId, Defined> extensions = defined.get(ComponentKind.EXTENSION);
    for (Ref r : idList(entry, "service.extensions")) {
      if (!extensions.containsKey(r.id())) {
        error(r.location(), "service.extensions", notDefined(r.id(), "extensions must be defined under \"extensions\"",
            extensions.keySet(), Set.of()));
      }
      out.add(r.id());
    }
    return out;
  }

  private List<PipelineConfig> pipelines(Entry service, Entry entry) {
    List<PipelineConfig> out = new ArrayList<>();
    if (entry == null || isEmpty(entry.value())) {
      error(entry == null ? service.keyLocation() : entry.keyLocation(), "service.pipelines",
          "no pipelines; define at least one, such as \"traces: {receivers: [otlp], exporters: [debug]}\"");
      return out;
    }
    if (!(entry.value() instanceof MapNode m)) {
      error(entry.value().location(), "service.pipelines", "expected a map of pipeline ids (traces, metrics, logs,"
          + " or those followed by /name) to pipelines, got " + entry.value().describe());
      return out;
    }
    for (Entry p : m.entries().values()) {
      PipelineConfig pipeline = pipeline(p);
      if (pipeline != null) {
        out.add(pipeline);
      }
    }
    return out;
  }

  private PipelineConfig pipeline(Entry p) {
    String path = "service.pipelines." + p.key();
    ComponentId pid;
    try {
      pid = ComponentId.parse(p.key());
    } catch (IllegalArgumentException ex) {
      error(p.keyLocation(), path, ex.getMessage().replace("component id", "pipeline id"));
      return null;
    }
    Signal signal = Signal.fromConfigName(pid.type());
    if (signal == null) {
      error(p.keyLocation(), path, "unknown signal \"" + pid.type() + "\"; " + Suggestions.hint(pid.type(),
          List.of("traces", "metrics", "logs"), "a pipeline id is traces, metrics or logs, optionally followed by /name"));
    }
    Map<String, Entry> keys = Map.of();
    if (p.value() instanceof MapNode pm) {
      keys = pm.entries();
      for (Entry e : pm.entries().values()) {
        if (!PIPELINE_KEYS.contains(e.key())) {
          error(e.keyLocation(), path + "." + e.key(), unknownKey(e.key(), PIPELINE_KEYS, "keys"));
        }
      }
    } else if (!isEmpty(p.value())) {
      error(p.value().location(), path, "expected a map with receivers, processors and exporters, got "
          + p.value().describe());
      return null;
    }
    List<Ref> receivers = idList(keys.get("receivers"), path + ".receivers");
    List<Ref> processors = idList(keys.get("processors"), path + ".processors");
    List<Ref> exporters = idList(keys.get("exporters"), path + ".exporters");
    if (receivers.isEmpty()) {
      Entry at = keys.get("receivers");
      error(at == null ? p.keyLocation() : at.keyLocation(), path + ".receivers",
          "a pipeline needs at least one receiver; list the receivers (or connectors) that feed it");
    }
    if (exporters.isEmpty()) {
      Entry at = keys.get("exporters");
      error(at == null ? p.keyLocation() : at.keyLocation(), path + ".exporters",
          "a pipeline needs at least one exporter; list the exporters (or connectors) it sends to");
    }
    if (signal != null) {
      String id = pid.toString();
      for (Ref r : receivers) {
        checkEnd(r, ComponentKind.RECEIVER, signal, id, path + ".receivers");
      }
      for (Ref r : processors) {
        checkMember(r, ComponentKind.PROCESSOR, signal, path + ".processors");
      }
      for (Ref r : exporters) {
        checkEnd(r, ComponentKind.EXPORTER, signal, id, path + ".exporters");
      }
    }
    return signal == null ? null : new PipelineConfig(pid.toString(), signal, ids(receivers), ids(processors),
        ids(exporters));
  }

  /** A receiver or exporter of a pipeline, which may also be a connector. */
  private void checkEnd(Ref r, ComponentKind kind, Signal signal, String pipeline, String path) {
    Map<ComponentId, Defined> own = defined.get(kind);
    Map<ComponentId, Defined> connectors = defined.get(ComponentKind.CONNECTOR);
    if (connectors.containsKey(r.id()) && !own.containsKey(r.id())) {
      ConnectorUse use = connectorUses.computeIfAbsent(r.id(), k -> new ConnectorUse());
      if (kind == ComponentKind.RECEIVER) {
        use.asReceiver().putIfAbsent(signal, path);
        use.receiverAt().putIfAbsent(signal, r.location());
      } else {
        use.asExporter().putIfAbsent(signal, path);
        use.exporterAt().putIfAbsent(signal, r.location());
      }
      return;
    }
    if (!own.containsKey(r.id())) {
      Set<ComponentId> also = connectors.keySet();
      error(r.location(), path, notDefined(r.id(), "a pipeline's " + kind.section() + " must be defined under \""
          + kind.section() + "\"", own.keySet(), also));
      return;
    }
    checkSignal(own.get(r.id()), kind, signal, r, path);
  }

  private void checkMember(Ref r, ComponentKind kind, Signal signal, String path) {
    Map<ComponentId, Defined> own = defined.get(kind);
    if (!own.containsKey(r.id())) {
      error(r.location(), path, notDefined(r.id(), kind.section() + " must be defined under \"" + kind.section()
          + "\"", own.keySet(), Set.of()));
      return;
    }
    checkSignal(own.get(r.id()), kind, signal, r, path);
  }

  private void checkSignal(Defined d, ComponentKind kind, Signal signal, Ref r, String path) {
    if (d.factory() != null && !d.factory().signals().contains(signal)) {
      Set<Signal> supported = d.factory().signals();
      error(r.location(), path, kind.noun() + " \"" + r.id() + "\" does not support " + signal + "; it supports "
          + (supported.isEmpty() ? "no signals" : ordered(supported)) + ", so it cannot be in a " + signal
          + " pipeline");
    }
  }

  /** Asks each receiver, processor and exporter a pipeline uses whether its config suits those pipelines' signals. */
  private void checkSignalUses(List<PipelineConfig> pipelines) {
    for (ComponentKind kind : List.of(ComponentKind.RECEIVER, ComponentKind.PROCESSOR, ComponentKind.EXPORTER)) {
      Map<ComponentId, Set<Signal>> uses = new LinkedHashMap<>();
      for (PipelineConfig p : pipelines) {
        List<ComponentId> ids = switch (kind) {
          case RECEIVER -> p.receivers();
          case PROCESSOR -> p.processors();
          default -> p.exporters();
        };
        for (ComponentId id : ids) {
          uses.computeIfAbsent(id, k -> EnumSet.noneOf(Signal.class)).add(p.signal());
        }
      }
      for (Map.Entry<ComponentId, Set<Signal>> use : uses.entrySet()) {
        Defined d = defined.get(kind).get(use.getKey());
        if (d != null && d.config() != null) {
          ComponentBinder.report(d.section(), d.location(), kind.section() + "." + d.id(),
              d.config().validateUse(Collections.unmodifiableSet(use.getValue())), errors);
        }
      }
    }
  }

  /** Every connector used as an exporter must be a receiver elsewhere, for a pair of signals it supports. */
  private void checkConnectorUses() {
    for (Map.Entry<ComponentId, ConnectorUse> e : connectorUses.entrySet()) {
      ComponentId id = e.getKey();
      ConnectorUse use = e.getValue();
      if (use.asReceiver().isEmpty()) {
        Signal s = use.asExporter().keySet().iterator().next();
        error(use.exporterAt().get(s), use.asExporter().get(s), "connector \"" + id + "\" is used as an exporter here"
            + " but is not a receiver of any pipeline; add it to the receivers of the pipeline it should feed");
        continue;
      }
      if (use.asExporter().isEmpty()) {
        Signal s = use.asReceiver().keySet().iterator().next();
        error(use.receiverAt().get(s), use.asReceiver().get(s), "connector \"" + id + "\" is used as a receiver here"
            + " but is not an exporter of any pipeline; add it to the exporters of the pipeline it should read from");
        continue;
      }
      Defined d = defined.get(ComponentKind.CONNECTOR).get(id);
      if (!(d.factory() instanceof ConnectorFactory<?> cf)) {
        continue; // unknown type, already reported
      }
      for (Signal from : use.asExporter().keySet()) {
        if (use.asReceiver().keySet().stream().noneMatch(to -> cf.supports(from, to))) {
          error(use.exporterAt().get(from), use.asExporter().get(from), "connector \"" + id + "\" cannot take " + from
              + " to " + ordered(use.asReceiver().keySet()) + " (the pipelines it is a receiver of); it supports "
              + supportedPairs(cf));
        }
      }
      for (Signal to : use.asReceiver().keySet()) {
        if (use.asExporter().keySet().stream().noneMatch(from -> cf.supports(from, to))) {
          error(use.receiverAt().get(to), use.asReceiver().get(to), "connector \"" + id + "\" cannot make " + to
              + " from " + ordered(use.asExporter().keySet()) + " (the pipelines it is an exporter of); it supports "
              + supportedPairs(cf));
        }
      }
    }
  }

  /**
   * Every {@code auth: {authenticator: <id>}} and every {@code storage: <id>} in the config of a
   * component that runs (at any depth, as receivers nest auth under their protocols and exporters
   * storage under their queue) must name an extension listed in {@code service.extensions}: the
   * Collector requires it, and only listed extensions run.
   */
  private void checkAuthenticators(List<PipelineConfig> pipelines, List<ComponentId> serviceExtensions) {
    Map<ComponentKind, Set<ComponentId>> used = new EnumMap<>(ComponentKind.class);
    for (PipelineConfig p : pipelines) {
      used.computeIfAbsent(ComponentKind.RECEIVER, k -> new LinkedHashSet<>()).addAll(p.receivers());
      used.computeIfAbsent(ComponentKind.PROCESSOR, k -> new LinkedHashSet<>()).addAll(p.processors());
      used.computeIfAbsent(ComponentKind.EXPORTER, k -> new LinkedHashSet<>()).addAll(p.exporters());
    }
    used.put(ComponentKind.CONNECTOR, connectorUses.keySet());
    used.forEach((kind, ids) -> {
      for (ComponentId id : ids) {
        Defined d = defined.get(kind).get(id);
        if (d != null && d.config() != null) {
          findAuthenticators(d.section(), kind.section() + "." + id, serviceExtensions);
        }
      }
    });
  }

  private void findAuthenticators(YamlNode node, String path, List<ComponentId> serviceExtensions) {
    if (node instanceof ListNode l) {
      l.items().forEach(item -> findAuthenticators(item, path, serviceExtensions));
      return;
    }
    if (!(node instanceof MapNode m)) {
      return;
    }
    for (Entry e : m.entries().values()) {
      String keyPath = path + "." + e.key();
      Entry authenticator = e.key().equals("auth") && e.value() instanceof MapNode auth
          ? auth.entries().get("authenticator") : null;
      if (authenticator != null && authenticator.value() instanceof Scalar s && !s.isNull()) {
        checkAuthenticator(s, keyPath + ".authenticator", serviceExtensions, "an authenticator");
      } else if (e.key().equals("storage") && e.value() instanceof Scalar s && !s.isNull() && !s.text().isBlank()) {
        checkStorage(s, keyPath, serviceExtensions);
      } else {
        findAuthenticators(e.value(), keyPath, serviceExtensions);
      }
    }
  }

  private void checkAuthenticator(Scalar value, String path, List<ComponentId> serviceExtensions, String what) {
    ComponentId id;
    try {
      id = ComponentId.parse(value.text());
    } catch (IllegalArgumentException e) {
      return; // the component's own validation reports it
    }
    if (serviceExtensions.contains(id)) {
      return;
    }
    Map<ComponentId, Defined> extensions = defined.get(ComponentKind.EXTENSION);
    if (extensions.containsKey(id)) {
      error(value.location(), path, "the extension \"" + id + "\" is not listed in service.extensions, so it does"
          + " not run; add it there, such as \"service: {extensions: [" + id + "]}\"");
    } else {
      error(value.location(), path, notDefined(id, what + " must be defined under \"extensions\" and listed"
          + " in service.extensions", extensions.keySet(), Set.of()));
    }
  }

  /**
   * A {@code storage: <id>} must name a storage extension (such as {@code file_storage}) that is
   * defined and listed in {@code service.extensions}.
   */
  private void checkStorage(Scalar value, String path, List<ComponentId> serviceExtensions) {
    ComponentId id;
    try {
      id = ComponentId.parse(value.text());
    } catch (IllegalArgumentException e) {
      return; // the component's own validation reports it
    }
    Map<ComponentId, Defined> extensions = defined.get(ComponentKind.EXTENSION);
    Set<ComponentId> storages = new LinkedHashSet<>();
    extensions.forEach((k, d) -> {
      if (d.factory() instanceof ExtensionFactory<?> f && f.providesStorage()) {
        storages.add(k);
      }
    });
    Defined d = extensions.get(id);
    if (d == null) {
      error(value.location(), path, notDefined(id, "a storage extension must be defined under \"extensions\", such"
          + " as \"file_storage: {directory: /var/lib/sluice/file_storage}\", and listed in service.extensions",
          storages, Set.of()));
      return;
    }
    if (d.factory() != null && !(d.factory() instanceof ExtensionFactory<?> f && f.providesStorage())) {
      error(value.location(), path, "the extension \"" + id + "\" is a " + d.factory().type() + " extension, which"
          + " keeps no state; name a storage extension such as file_storage (storage extensions defined: "
          + list(storages) + ")");
      return;
    }
    if (!serviceExtensions.contains(id)) {
      error(value.location(), path, "the extension \"" + id + "\" is not listed in service.extensions, so it does"
          + " not run; add it there, such as \"service: {extensions: [" + id + "]}\"");
    }
  }

  private static String supportedPairs(ConnectorFactory<?> cf) {
    List<String> pairs = new ArrayList<>();
    for (Signal from : Signal.values()) {
      for (Signal to : Signal.values()) {
        if (cf.supports(from, to)) {
          pairs.add(from + " to " + to);
        }
      }
    }
    return pairs.isEmpty() ? "nothing" : String.join(", ", pairs);
  }

  private static String ordered(Set<Signal> signals) {
    return java.util.Arrays.stream(Signal.values()).filter(signals::contains).map(Signal::toString)
        .collect(Collectors.joining(" and "));
  }

  // ---- lists of ids ----

  private List<Ref> idList(Entry entry, String path) {
    List<Ref> out = new ArrayList<>();
    if (entry == null || isEmpty(entry.value())) {
      return out;
    }
    if (!(entry.value() instanceof ListNode l)) {
      error(entry.value().location(), path, "expected a list of component ids, such as [otlp, otlp/2], got "
          + entry.value().describe());
      return out;
    }
    Map<ComponentId, Location> seen = new LinkedHashMap<>();
    for (YamlNode item : l.items()) {
      if (!(item instanceof Scalar s) || s.isNull()) {
        error(item.location(), path, "expected a component id such as \"otlp\" or \"otlp/2\", got " + item.describe());
        continue;
      }
      ComponentId id;
      try {
        id = ComponentId.parse(s.text());
      } catch (IllegalArgumentException ex) {
        error(item.location(), path, ex.getMessage());
        continue;
      }
      Location first = seen.putIfAbsent(id, item.location());
      if (first != null) {
        error(item.location(), path, "\"" + id + "\" is listed twice (first at line " + first.line() + ")");
        continue;
      }
      out.add(new Ref(id, item.location()));
    }
    return out;
  }

  private static List<ComponentId> ids(List<Ref> refs) {
    return refs.stream().map(Ref::id).toList();
  }

  // ---- building the result ----

  private <F extends ComponentFactory<?>> Map<ComponentId, BoundComponent<F>> used(ComponentKind kind,
      List<PipelineConfig> pipelines, Function<PipelineConfig, List<ComponentId>> lists,
      Function<ComponentFactory<?>, F> asKind) {
    Set<ComponentId> used = new LinkedHashSet<>();
    pipelines.forEach(p -> used.addAll(lists.apply(p)));
    Map<ComponentId, BoundComponent<F>> out = new LinkedHashMap<>();
    for (Defined d : defined.get(kind).values()) {
      if (used.contains(d.id())) {
        out.put(d.id(), new BoundComponent<>(d.id(), asKind.apply(d.factory()), d.config()));
      } else {
        LOG.info("The {} \"{}\" is defined but not used in any pipeline; it will not be started", kind.noun(), d.id());
      }
    }
    return out;
  }

  private Map<ComponentId, BoundComponent<ConnectorFactory<?>>> usedConnectors() {
    Map<ComponentId, BoundComponent<ConnectorFactory<?>>> out = new LinkedHashMap<>();
    for (Defined d : defined.get(ComponentKind.CONNECTOR).values()) {
      if (connectorUses.containsKey(d.id())) {
        out.put(d.id(), new BoundComponent<>(d.id(), (ConnectorFactory<?>) d.factory(), d.config()));
      } else {
        LOG.info("The connector \"{}\" is defined but not used in any pipeline; it will not be started", d.id());
      }
    }
    return out;
  }

  private Map<ComponentId, BoundComponent<ExtensionFactory<?>>> usedExtensions(List<ComponentId> ids) {
    Map<ComponentId, BoundComponent<ExtensionFactory<?>>> out = new LinkedHashMap<>();
    for (ComponentId id : ids) {
      Defined d = defined.get(ComponentKind.EXTENSION).get(id);
      out.put(id, new BoundComponent<>(id, (ExtensionFactory<?>) d.factory(), d.config()));
    }
    for (Defined d : defined.get(ComponentKind.EXTENSION).values()) {
      if (!out.containsKey(d.id())) {
        LOG.info("The extension \"{}\" is defined but not listed in service.extensions; it will not be started",
            d.id());
      }
    }
    return out;
  }

  // ---- messages ----

  private static boolean isEmpty(YamlNode n) {
    return n == null || n instanceof Scalar s && s.isNull();
  }

  private static String unknownKey(String key, List<String> valid, String what) {
    return "unknown " + (what.equals("sections") ? "section" : "key") + "; "
        + Suggestions.hint(key, valid, "valid " + what + ": " + String.join(", ", valid));
  }

  private static String notDefined(ComponentId id, String rule, Set<ComponentId> definedHere,
      Set<ComponentId> connectors) {
    List<String> candidates = new ArrayList<>();
    definedHere.forEach(c -> candidates.add(c.toString()));
    connectors.forEach(c -> candidates.add(c.toString()));
    String where = rule + " (defined: " + list(definedHere) + ")"
        + (connectors.isEmpty() ? "" : " or \"connectors\" (defined: " + list(connectors) + ")");
    return "\"" + id + "\" is not defined; " + Suggestions.hint(id.toString(), candidates, where);
  }

  private static String list(Set<ComponentId> ids) {
    return ids.isEmpty() ? "none" : ids.stream().map(ComponentId::toString).collect(Collectors.joining(", "));
  }

  private void error(Location at, String path, String message) {
    errors.add(new ConfigError(at.file(), at.line(), at.column(), path, message));
  }
}

package io.sluice.core.service;

import io.sluice.core.Component;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.ExporterFactory;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.Host;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running form of {@code service.pipelines}: every component built once as the Collector
 * builds it, wired, started in order and shut down in reverse.
 *
 * <ul>
 *   <li>A receiver is one instance whatever the number of pipelines naming it; per signal it
 *       feeds every pipeline of that signal that lists it.
 *   <li>A processor is one instance per pipeline.
 *   <li>An exporter is one instance for all the pipelines naming it.
 *   <li>A connector is one instance per pair of signals (in, out); it is an exporter of the
 *       pipelines that list it as exporter and feeds the pipelines that list it as receiver.
 * </ul>
 *
 * <p>Start: extensions, exporters, connectors, processors (last of each pipeline first),
 * receivers. Shutdown: receivers first, so intake stops, then processors from the front of each
 * pipeline (each flushes into the next), connectors, exporters (which drain their queues), and
 * extensions.
 */
public final class ServiceGraph implements Host {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceGraph.class);

  /** A component of the config: its factory and its bound config. */
  public record Spec(ComponentId id, io.sluice.core.ComponentFactory<?> factory, ComponentConfig config) {}

  /** One pipeline of the config. */
  public record Pipeline(String id, Signal signal, List<ComponentId> receivers, List<ComponentId> processors,
      List<ComponentId> exporters) {}

  /** Everything the graph is built from: the pipelines and the components they name. */
  public interface Definition {
    List<Pipeline> pipelines();

    /** The component of that kind and id; the graph is only built from validated configs, so it exists. */
    Spec component(ComponentKind kind, ComponentId id);

    /** The extensions named in {@code service.extensions}. */
    List<ComponentId> extensions();
  }

  private final Vertx vertx;
  private final SelfMetrics metrics;
  private final Definition def;

  private final List<Component> extensions = new ArrayList<>();
  private final Map<ComponentId, Component> exporters = new LinkedHashMap<>();
  private final Map<String, Component> connectors = new LinkedHashMap<>();
  /** Processors per pipeline, in pipeline order (first processor first). */
  private final Map<String, List<Component>> processors = new LinkedHashMap<>();
  private final Map<ComponentId, Component> receivers = new LinkedHashMap<>();
  private final Map<String, Consumer> entries = new HashMap<>();
  private final List<String> buildOrder = new ArrayList<>();

  private volatile boolean ready;
  private Future<Void> shutdownFuture;

  private ServiceGraph(Vertx vertx, SelfMetrics metrics, Definition def) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.def = def;
  }

  /**
   * Builds every component of {@code def} without starting any.
   *
   * @throws IllegalArgumentException when pipelines feed each other in a cycle through connectors
   */
  public static ServiceGraph build(Vertx vertx, SelfMetrics metrics, Definition def) {
    ServiceGraph g = new ServiceGraph(vertx, metrics, def);
    g.buildAll();
    return g;
  }

  @Override
  public boolean ready() {
    return ready;
  }

  private ComponentContext context(ComponentKind kind, ComponentId id, String pipeline) {
    return new ComponentContext(id, kind, pipeline, vertx, metrics, this);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void buildAll() {
    for (ComponentId id : def.extensions()) {
      Spec s = def.component(ComponentKind.EXTENSION, id);
      extensions.add(((ExtensionFactory) s.factory()).create(context(ComponentKind.EXTENSION, id, ""), s.config()));
    }
    Map<String, Pipeline> byId = new LinkedHashMap<>();
    for (Pipeline p : def.pipelines()) {
      byId.put(p.id(), p);
    }
    for (String pid : pipelineOrder(byId)) {
      Pipeline p = byId.get(pid);
      buildOrder.add(pid);
      List<Consumer> tail = new ArrayList<>();
      for (ComponentId eid : p.exporters()) {
        Spec s = def.component(ComponentKind.EXPORTER, eid);
        if (s != null) {
          tail.add((Consumer) exporters.computeIfAbsent(eid, k ->
              ((ExporterFactory) s.factory()).create(context(ComponentKind.EXPORTER, eid, ""), s.config())));
        } else {
          tail.add(connectorInput(eid, p.signal(), byId));
        }
      }
      Consumer next = FanOutConsumer.of(tail);
      List<Component> procs = new ArrayList<>();
      List<ComponentId> pids = p.processors();
      for (int i = pids.size() - 1; i >= 0; i--) {
        ComponentId procId = pids.get(i);
        Spec s = def.component(ComponentKind.PROCESSOR, procId);
        var proc = ((ProcessorFactory) s.factory())
            .create(context(ComponentKind.PROCESSOR, procId, pid), s.config(), p.signal(), next);
        procs.add(0, proc);
        next = proc;
      }
      processors.put(pid, procs);
      entries.put(pid, next);
    }
    Map<ComponentId, Map<Signal, List<Consumer>>> receiverInputs = new LinkedHashMap<>();
    for (Pipeline p : def.pipelines()) {
      for (ComponentId rid : p.receivers()) {
        if (def.component(ComponentKind.RECEIVER, rid) == null) {
          continue; // a connector: wired when the exporting pipeline was built
        }
        receiverInputs.computeIfAbsent(rid, k -> new EnumMap<>(Signal.class))
            .computeIfAbsent(p.signal(), k -> new ArrayList<>())
            .add(entries.get(p.id()));
      }
    }
    receiverInputs.forEach((rid, inputs) -> {
      Spec s = def.component(ComponentKind.RECEIVER, rid);
      Map<Signal, Consumer> next = new EnumMap<>(Signal.class);
      inputs.forEach((sig, list) -> next.put(sig, FanOutConsumer.of(list)));
      receivers.put(rid, ((ReceiverFactory) s.factory()).create(context(ComponentKind.RECEIVER, rid, ""), s.config(),
          next));
    });
  }

  /** The consumer a pipeline of signal {@code from} exports into when it names connector {@code cid}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Consumer connectorInput(ComponentId cid, Signal from, Map<String, Pipeline> byId) {
    Spec s = def.component(ComponentKind.CONNECTOR, cid);
    if (s == null) {
      throw new IllegalArgumentException("\"" + cid + "\" is neither an exporter nor a connector");
    }
    Map<Signal, List<Consumer>> downstream = new EnumMap<>(Signal.class);
    for (Pipeline q : byId.values()) {
      if (q.receivers().contains(cid)) {
        Consumer entry = entries.get(q.id());
        if (entry == null) {
          throw new IllegalStateException("pipeline \"" + q.id() + "\" is not built yet");
        }
        downstream.computeIfAbsent(q.signal(), k -> new ArrayList<>()).add(entry);
      }
    }
    List<Consumer> outs = new ArrayList<>();
    downstream.forEach((to, list) -> {
      String key = cid + "[" + from + "->" + to + "]";
      outs.add((Consumer) connectors.computeIfAbsent(key, k -> ((ConnectorFactory) s.factory())
          .create(context(ComponentKind.CONNECTOR, cid, ""), s.config(), from, to, FanOutConsumer.of(list))));
    });
    return FanOutConsumer.of(outs);
  }

  /**
   * Pipelines ordered so that a pipeline comes after every pipeline it exports into through a
   * connector (those must exist before it can be wired).
   */
  private List<String> pipelineOrder(Map<String, Pipeline> byId) {
    Map<String, Set<String>> dependsOn = new LinkedHashMap<>();
    for (Pipeline p : byId.values()) {
      Set<String> deps = new HashSet<>();
      for (ComponentId e : p.exporters()) {
        if (def.component(ComponentKind.EXPORTER, e) == null) {
          for (Pipeline q : byId.values()) {
            if (q.receivers().contains(e)) {
              deps.add(q.id());
            }
          }
        }
      }
      dependsOn.put(p.id(), deps);
    }
    List<String> order = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (String id : dependsOn.keySet()) {
      visit(id, dependsOn, done, new ArrayDeque<>(), order);
    }
    return order;
  }

  private static void visit(String id, Map<String, Set<String>> deps, Set<String> done, Deque<String> path,
      List<String> order) {
    if (done.contains(id)) {
      return;
    }
    if (path.contains(id)) {
      List<String> cycle = new ArrayList<>(path);
      cycle.add(id);
      throw new IllegalArgumentException("pipelines feed each other in a cycle through connectors: "
          + String.join(" -> ", cycle));
    }
    path.addLast(id);
    for (String d : deps.get(id)) {
      visit(d, deps, done, path, order);
    }
    path.removeLast();
    done.add(id);
    order.add(id);
  }

  /** Starts everything, exporters first and receivers last; ready once all have started. */
  public Future<Void> start() {
    List<Component> order = new ArrayList<>(extensions);
    order.addAll(exporters.values());
    order.addAll(connectors.values());
    for (String pid : buildOrder) {
      List<Component> procs = processors.get(pid);
      for (int i = procs.size() - 1; i >= 0; i--) {
        order.add(procs.get(i));
      }
    }
    order.addAll(receivers.values());
    return sequentially(order, true).onSuccess(v -> {
      ready = true;
      LOG.info("Everything is ready: {} pipelines, {} receivers, {} exporters", buildOrder.size(), receivers.size(),
          exporters.size());
    });
  }

  /**
   * Stops intake, flushes every processor and drains every exporter, in that order. Completes
   * when all is shut down; the caller bounds the wait. Safe to call twice.
   */
  public synchronized Future<Void> shutdown() {
    if (shutdownFuture != null) {
      return shutdownFuture;
    }
    ready = false;
    List<Component> order = new ArrayList<>(receivers.values());
    for (int i = buildOrder.size() - 1; i >= 0; i--) {
      order.addAll(processors.get(buildOrder.get(i)));
    }
    order.addAll(connectors.values());
    order.addAll(exporters.values());
    order.addAll(extensions);
    shutdownFuture = sequentially(order, false);
    return shutdownFuture;
  }

  /** Runs start or shutdown one component after another; on shutdown a failure does not stop the rest. */
  private Future<Void> sequentially(List<Component> order, boolean starting) {
    Promise<Void> done = Promise.promise();
    step(order, 0, starting, null, done);
    return done.future();
  }

  private void step(List<Component> order, int i, boolean starting, Throwable firstError, Promise<Void> done) {
    if (i == order.size()) {
      if (firstError == null) {
        done.complete();
      } else {
        done.fail(firstError);
      }
      return;
    }
    Component c = order.get(i);
    Future<Void> f;
    try {
      f = starting ? c.start() : c.shutdown();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      if (ar.failed()) {
        if (starting) {
          done.fail(ar.cause());
          return;
        }
        LOG.warn("A component failed to shut down cleanly", ar.cause());
        step(order, i + 1, false, firstError == null ? ar.cause() : firstError, done);
        return;
      }
      step(order, i + 1, starting, firstError, done);
    });
  }

  /** The consumer at the head of a pipeline (its first processor, or its exporters). */
  public Consumer pipelineEntry(String pipelineId) {
    return entries.get(pipelineId);
  }
}

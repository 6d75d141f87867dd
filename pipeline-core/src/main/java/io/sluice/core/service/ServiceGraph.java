package io.sluice.core.service;

import io.sluice.core.Component;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.Host;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.BoundComponent;
import io.sluice.core.config.PipelineConfig;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p>Shutdown follows the data: receivers first, so intake stops; then the pipelines from the
 * most upstream on, each after the connectors that feed it, processors from the front (each
 * flushes into the next, and a connector's last output still finds its pipeline running); then
 * exporters (which drain their queues) and extensions. Start is the exact reverse: extensions,
 * exporters, then each pipeline's processors from the back, a connector only once every pipeline
 * it feeds has started, and receivers last. Without connectors that is: extensions, exporters,
 * processors back to front, receivers.
 */
public final class ServiceGraph implements Host {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceGraph.class);

  /**
   * Everything the graph is built from: the pipelines and the components they name. A loaded
   * {@link io.sluice.core.config.ServiceConfig} is one.
   */
  public interface Definition {
    List<PipelineConfig> pipelines();

    /**
     * The component of that kind and id, or null when there is none of that kind. A pipeline's
     * exporter or receiver id that is not an exporter or receiver is a connector; the graph is only
     * built from validated configs, so every id names a component of one of those kinds.
     */
    BoundComponent<?> component(ComponentKind kind, ComponentId id);

    /** The extensions named in {@code service.extensions}, in order. */
    List<ComponentId> serviceExtensions();
  }

  private final Vertx vertx;
  private final SelfMetrics metrics;
  private final Definition def;

  private final List<Component> extensions = new ArrayList<>();
  /** The extensions by id, for components that use one (an authenticator); filled before any other is built. */
  private final Map<ComponentId, Extension> extensionsById = new LinkedHashMap<>();
  private final Map<ComponentId, Component> exporters = new LinkedHashMap<>();
  private final Map<String, Component> connectors = new LinkedHashMap<>();
  /** Processors per pipeline, in pipeline order (first processor first). */
  private final Map<String, List<Component>> processors = new LinkedHashMap<>();
  private final Map<ComponentId, Component> receivers = new LinkedHashMap<>();
  private final Map<String, Consumer> entries = new HashMap<>();
  /** Pipelines, each after every pipeline it exports into through a connector. */
  private final List<String> buildOrder = new ArrayList<>();
  /** Per pipeline, the connector instances that feed it. */
  private final Map<String, List<Component>> connectorsFeeding = new HashMap<>();
  /** How each component is named in logs and errors. */
  private final Map<Component, String> labels = new IdentityHashMap<>();

  private volatile boolean ready;
  private Future<Void> startFuture;
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

  @Override
  public Optional<Extension> extension(ComponentId id) {
    return Optional.ofNullable(extensionsById.get(id));
  }

  private ComponentContext context(ComponentKind kind, ComponentId id, String pipeline) {
    return new ComponentContext(id, kind, pipeline, vertx, metrics, this);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void buildAll() {
    for (ComponentId id : def.serviceExtensions()) {
      BoundComponent<?> s = def.component(ComponentKind.EXTENSION, id);
      Extension ext = named(((ExtensionFactory) s.factory()).create(context(ComponentKind.EXTENSION, id, ""),
          s.config()), "extension '" + id + "'");
      extensions.add(ext);
      extensionsById.put(id, ext);
    }
    Map<String, PipelineConfig> byId = new LinkedHashMap<>();
    for (PipelineConfig p : def.pipelines()) {
      byId.put(p.id(), p);
    }
    for (String pid : pipelineOrder(byId)) {
      PipelineConfig p = byId.get(pid);
      buildOrder.add(pid);
      List<Consumer> tail = new ArrayList<>();
      for (ComponentId eid : p.exporters()) {
        BoundComponent<?> s = def.component(ComponentKind.EXPORTER, eid);
        if (s != null) {
          tail.add((Consumer) exporters.computeIfAbsent(eid, k -> named(((ExporterFactory) s.factory())
              .create(context(ComponentKind.EXPORTER, eid, ""), s.config()), "exporter '" + eid + "'")));
        } else {
          tail.add(connectorInput(eid, p, byId));
        }
      }
      Consumer next = FanOutConsumer.of(tail);
      List<Component> procs = new ArrayList<>();
      List<ComponentId> pids = p.processors();
      for (int i = pids.size() - 1; i >= 0; i--) {
        ComponentId procId = pids.get(i);
        BoundComponent<?> s = def.component(ComponentKind.PROCESSOR, procId);
        var proc = ((ProcessorFactory) s.factory())
            .create(context(ComponentKind.PROCESSOR, procId, pid), s.config(), p.signal(), next);
        named(proc, "processor '" + procId + "' of pipeline '" + pid + "'");
        procs.add(0, proc);
        next = proc;
      }
      processors.put(pid, procs);
      entries.put(pid, next);
    }
    Map<ComponentId, Map<Signal, List<Consumer>>> receiverInputs = new LinkedHashMap<>();
    for (PipelineConfig p : def.pipelines()) {
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
      BoundComponent<?> s = def.component(ComponentKind.RECEIVER, rid);
      Map<Signal, Consumer> next = new EnumMap<>(Signal.class);
      inputs.forEach((sig, list) -> next.put(sig, FanOutConsumer.of(list)));
      receivers.put(rid, named(((ReceiverFactory) s.factory()).create(context(ComponentKind.RECEIVER, rid, ""),
          s.config(), next), "receiver '" + rid + "'"));
    });
  }

  private <T extends Component> T named(T component, String label) {
    labels.put(component, label);
    return component;
  }

  /**
   * The consumer pipeline {@code p} exports into when it names connector {@code cid}: one
   * connector instance per signal of the pipelines that receive from it and that the connector
   * can produce from {@code p}'s signal.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Consumer connectorInput(ComponentId cid, PipelineConfig p, Map<String, PipelineConfig> byId) {
    BoundComponent<?> s = def.component(ComponentKind.CONNECTOR, cid);
    if (s == null) {
      throw new IllegalArgumentException("pipeline \"" + p.id() + "\" exports to \"" + cid
          + "\", which is neither an exporter nor a connector");
    }
    ConnectorFactory factory = (ConnectorFactory) s.factory();
    Signal from = p.signal();
    Map<Signal, List<PipelineConfig>> downstream = new EnumMap<>(Signal.class);
    for (PipelineConfig q : byId.values()) {
      if (q.receivers().contains(cid) && factory.supports(from, q.signal())) {
        if (!entries.containsKey(q.id())) {
          throw new IllegalStateException("pipeline \"" + q.id() + "\" is not built yet");
        }
        downstream.computeIfAbsent(q.signal(), k -> new ArrayList<>()).add(q);
      }
    }
    if (downstream.isEmpty()) {
      throw new IllegalArgumentException("connector \"" + cid + "\" is an exporter of pipeline \"" + p.id()
          + "\" but no pipeline it can feed from " + from + " lists it as a receiver");
    }
    List<Consumer> outs = new ArrayList<>();
    downstream.forEach((to, pipelines) -> {
      String key = cid + "[" + from + "->" + to + "]";
      Component c = connectors.get(key);
      SelfMetrics.ConnectorMetrics counts = metrics.connector(cid, from, to);
      if (c == null) {
        List<Consumer> next = new ArrayList<>();
        pipelines.forEach(q -> next.add(entries.get(q.id())));
        Consumer fanOut = FanOutConsumer.of(next);
        Consumer out = batch -> {
          counts.outgoing(batch.itemCount());
          return fanOut.consume(batch);
        };
        c = named(factory.create(context(ComponentKind.CONNECTOR, cid, ""), s.config(), from, to, out),
            "connector '" + cid + "' (" + from + " to " + to + ")");
        connectors.put(key, c);
        for (PipelineConfig q : pipelines) {
          connectorsFeeding.computeIfAbsent(q.id(), k -> new ArrayList<>()).add(c);
        }
      }
      Consumer in = (Consumer) c;
      outs.add(batch -> {
        counts.incoming(batch.itemCount());
        return in.consume(batch);
      });
    });
    return FanOutConsumer.of(outs);
  }

  /**
   * Pipelines ordered so that a pipeline comes after every pipeline it exports into through a
   * connector (those must exist before it can be wired).
   */
  private List<String> pipelineOrder(Map<String, PipelineConfig> byId) {
    Map<String, Set<String>> dependsOn = new LinkedHashMap<>();
    for (PipelineConfig p : byId.values()) {
      Set<String> deps = new HashSet<>();
      for (ComponentId e : p.exporters()) {
        if (def.component(ComponentKind.EXPORTER, e) == null) {
          for (PipelineConfig q : byId.values()) {
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

  /**
   * Starts everything, exporters first and receivers last; ready once all have started. Fails
   * with the first component that failed to start, naming it, and starts nothing after it; call
   * {@link #shutdown()} to stop what did start. A second call returns the first call's future.
   */
  public Future<Void> start() {
    Promise<Void> started = Promise.promise();
    synchronized (this) {
      if (startFuture != null) {
        return startFuture;
      }
      startFuture = started.future();
    }
    List<Component> order = new ArrayList<>(shutdownOrder());
    Collections.reverse(order);
    sequentially(order, true).onComplete(ar -> {
      if (ar.succeeded()) {
        synchronized (this) {
          ready = shutdownFuture == null; // not ready when a shutdown began meanwhile
        }
        if (ready) {
          LOG.info("Everything is ready: {} pipelines, {} receivers, {} exporters", buildOrder.size(),
              receivers.size(), exporters.size());
        }
      }
      started.handle(ar);
    });
    return started.future();
  }

  /**
   * Stops intake, flushes every processor and drains every exporter, in that order. Completes
   * when all is shut down; the caller bounds the wait. Safe to call twice and without start.
   */
  public Future<Void> shutdown() {
    Promise<Void> stopped = Promise.promise();
    synchronized (this) {
      if (shutdownFuture != null) {
        return shutdownFuture;
      }
      ready = false;
      shutdownFuture = stopped.future();
    }
    sequentially(shutdownOrder(), false).onComplete(stopped);
    return stopped.future();
  }

  private synchronized boolean shuttingDown() {
    return shutdownFuture != null;
  }

  /** Every component in the order they are shut down; started in the reverse order. */
  private List<Component> shutdownOrder() {
    List<Component> order = new ArrayList<>(receivers.values());
    Collections.reverse(order);
    Set<Component> added = Collections.newSetFromMap(new IdentityHashMap<>());
    // Upstream pipelines first: a pipeline comes after every pipeline that exports into it.
    for (int i = buildOrder.size() - 1; i >= 0; i--) {
      String pid = buildOrder.get(i);
      for (Component c : connectorsFeeding.getOrDefault(pid, List.of())) {
        if (added.add(c)) {
          order.add(c);
        }
      }
      order.addAll(processors.get(pid));
    }
    for (Component c : connectors.values()) {
      if (added.add(c)) {
        order.add(c);
      }
    }
    List<Component> exps = new ArrayList<>(exporters.values());
    Collections.reverse(exps);
    order.addAll(exps);
    List<Component> exts = new ArrayList<>(extensions);
    Collections.reverse(exts);
    order.addAll(exts);
    return order;
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
    if (starting && shuttingDown()) {
      done.fail(new IllegalStateException("Shut down while starting; " + labels.getOrDefault(c, "the rest")
          + " and the components after it were not started"));
      return;
    }
    Future<Void> f;
    try {
      f = starting ? c.start() : c.shutdown();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    if (f == null) {
      f = Future.failedFuture(new IllegalStateException("returned no future"));
    }
    f.onComplete(ar -> {
      if (ar.failed()) {
        String label = labels.getOrDefault(c, c.getClass().getName());
        if (starting) {
          done.fail(new IllegalStateException("Failed to start " + label + ": " + ar.cause().getMessage(),
              ar.cause()));
          return;
        }
        LOG.warn("Shutdown of {} failed; shutting down the rest", label, ar.cause());
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

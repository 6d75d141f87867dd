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
import io.sluice.core.StateHandover;
import io.sluice.core.config.BoundComponent;
import io.sluice.core.config.PipelineConfig;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
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
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
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
 *
 * <p>A new config is applied by difference: {@link #buildNext} builds its graph from the running
 * one, taking over every component built the same way, and {@link #takeOver()} starts the rest,
 * points the kept components at what now follows them (each one's next consumer is a
 * {@link SwitchableConsumer}) and stops what is gone or replaced.
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

  /**
   * Every component by a key naming what it is in the graph ({@code processor traces/a batch}),
   * with what it was built from: what a reload compares.
   */
  private final Map<String, Node> nodes = new LinkedHashMap<>();

  /** The graph this one replaces, while a reload builds and starts it; null otherwise. */
  private ServiceGraph previous;
  /** Whether this graph may take over components of {@link #previous} (its extensions are the same). */
  private boolean reuse;
  /** The keys of components taken over from {@link #previous}. */
  private final Set<String> kept = new HashSet<>();
  /** Points kept components at their new next consumers; run once the new components started. */
  private final List<Runnable> rewires = new ArrayList<>();
  /** Which graph is the running one; shared by a graph and the graphs that replace it. */
  private final Live live;
  private final Host host;

  private volatile boolean ready;
  private Future<Void> startFuture;
  private Future<Void> shutdownFuture;

  /**
   * One component of the graph and what it was built from.
   *
   * @param shape what else decides how it was built: the signals a receiver feeds, a processor's signal
   * @param output the next consumer of a processor or connector, or null
   * @param outputs the next consumer per signal of a receiver, or null
   */
  private record Node(String key, Component component, String label, String type, Object config, Object shape,
      SwitchableConsumer output, Map<Signal, SwitchableConsumer> outputs) {}

  /** Which graph runs now, for the {@link Host#ready()} of components kept across reloads. */
  private static final class Live {
    volatile ServiceGraph current;
  }

  /**
   * The host components are given: ready as the running graph is, and with the extensions of the
   * graph that built them (a kept component only exists while those are the same instances). It
   * holds no graph, so a component kept across reloads does not keep the graphs it outlived.
   */
  private record ComponentHost(Live live, Map<ComponentId, Extension> extensions) implements Host {
    @Override
    public boolean ready() {
      ServiceGraph current = live.current;
      return current != null && current.ready();
    }

    @Override
    public Optional<Extension> extension(ComponentId id) {
      return Optional.ofNullable(extensions.get(id));
    }
  }

  private ServiceGraph(Vertx vertx, SelfMetrics metrics, Definition def, ServiceGraph previous) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.def = def;
    this.previous = previous;
    if (previous == null) {
      live = new Live();
      live.current = this;
    } else {
      live = previous.live;
      reuse = sameExtensions(previous.def, def);
    }
    host = new ComponentHost(live, extensionsById);
  }

  /**
   * Builds every component of {@code def} without starting any.
   *
   * @throws IllegalArgumentException when pipelines feed each other in a cycle through connectors
   */
  public static ServiceGraph build(Vertx vertx, SelfMetrics metrics, Definition def) {
    ServiceGraph g = new ServiceGraph(vertx, metrics, def, null);
    g.buildAll();
    return g;
  }

  /**
   * Builds the graph of {@code def} to replace {@code running}, taking over every component of
   * {@code running} that {@code def} builds the same way: same type, same config (compared by
   * value), and for a receiver the same signals, for a processor the same pipeline and signal,
   * for a connector the same pair of signals. Those keep running with their state; only what
   * follows them is rewired, by {@link #takeOver()}. When the extensions changed, nothing is
   * taken over: components find their extensions when they start. Nothing starts here.
   *
   * @throws IllegalArgumentException when pipelines feed each other in a cycle through connectors
   */
  public static ServiceGraph buildNext(ServiceGraph running, Definition def) {
    ServiceGraph g = new ServiceGraph(running.vertx, running.metrics, def, running);
    g.buildAll();
    return g;
  }

  /** True when both define the same extensions, in the same order, configured the same way. */
  private static boolean sameExtensions(Definition a, Definition b) {
    if (!a.serviceExtensions().equals(b.serviceExtensions())) {
      return false;
    }
    for (ComponentId id : a.serviceExtensions()) {
      BoundComponent<?> x = a.component(ComponentKind.EXTENSION, id);
      BoundComponent<?> y = b.component(ComponentKind.EXTENSION, id);
      if (!x.factory().type().equals(y.factory().type()) || !ConfigComparison.same(x.config(), y.config())) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean ready() {
    ServiceGraph current = live.current;
    return current == this || current == null ? ready : current.ready();
  }

  @Override
  public Optional<Extension> extension(ComponentId id) {
    return Optional.ofNullable(extensionsById.get(id));
  }

  private ComponentContext context(ComponentKind kind, ComponentId id, String pipeline) {
    return new ComponentContext(id, kind, pipeline, vertx, metrics, host);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void buildAll() {
    for (ComponentId id : def.serviceExtensions()) {
      BoundComponent<?> s = def.component(ComponentKind.EXTENSION, id);
      Extension ext = (Extension) obtain("extension " + id, "extension '" + id + "'", s, null, null, null,
          () -> ((ExtensionFactory) s.factory()).create(context(ComponentKind.EXTENSION, id, ""), s.config()));
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
          Component exporter = exporters.get(eid);
          if (exporter == null) {
            exporter = obtain("exporter " + eid, "exporter '" + eid + "'", s, null, null, null,
                () -> ((ExporterFactory) s.factory()).create(context(ComponentKind.EXPORTER, eid, ""), s.config()));
            exporters.put(eid, exporter);
          }
          tail.add((Consumer) exporter);
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
        SwitchableConsumer out = new SwitchableConsumer(next);
        Component proc = obtain("processor " + pid + " " + procId, "processor '" + procId + "' of pipeline '" + pid
            + "'", s, p.signal(), out, null, () -> ((ProcessorFactory) s.factory())
            .create(context(ComponentKind.PROCESSOR, procId, pid), s.config(), p.signal(), out));
        procs.add(0, proc);
        next = (Consumer) proc;
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
      String key = "receiver " + rid;
      Node old = reusable(key, s, inputs.keySet());
      Map<Signal, SwitchableConsumer> outs = new EnumMap<>(Signal.class);
      inputs.forEach((sig, list) -> {
        Consumer target = FanOutConsumer.of(list);
        SwitchableConsumer out = old == null ? new SwitchableConsumer(target) : old.outputs().get(sig);
        if (old != null) {
          rewires.add(() -> out.switchTo(target));
        }
        outs.put(sig, out);
      });
      Map<Signal, Consumer> next = Collections.unmodifiableMap(new EnumMap<>(outs));
      receivers.put(rid, obtain(key, "receiver '" + rid + "'", s, inputs.keySet(), null, outs,
          () -> ((ReceiverFactory) s.factory()).create(context(ComponentKind.RECEIVER, rid, ""), s.config(), next)));
    });
  }

  /**
   * The component {@code key}: taken over from the previous graph when that one built it from the
   * same type, config and shape, else made by {@code create}.
   */
  private Component obtain(String key, String label, BoundComponent<?> s, Object shape, SwitchableConsumer output,
      Map<Signal, SwitchableConsumer> outputs, Supplier<? extends Component> create) {
    Node old = reusable(key, s, shape);
    Component c;
    if (old != null) {
      c = old.component();
      kept.add(key);
      if (output != null) {
        SwitchableConsumer target = output;
        rewires.add(() -> old.output().switchTo(target.target()));
        output = old.output();
      }
    } else {
      c = create.get();
    }
    labels.put(c, label);
    nodes.put(key, new Node(key, c, label, s.factory().type(), s.config(), shape, output, outputs));
    return c;
  }

  /** The node of the previous graph that {@code key} may take over, or null. */
  private Node reusable(String key, BoundComponent<?> s, Object shape) {
    if (previous == null || !reuse) {
      return null;
    }
    Node old = previous.nodes.get(key);
    if (old == null || !old.type().equals(s.factory().type()) || !Objects.equals(old.shape(), shape)
        || !ConfigComparison.same(old.config(), s.config())) {
      return null;
    }
    return old;
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
        SwitchableConsumer out = new SwitchableConsumer(batch -> {
          counts.outgoing(batch.itemCount());
          return fanOut.consume(batch);
        });
        c = obtain("connector " + key, "connector '" + cid + "' (" + from + " to " + to + ")", s, null, out, null,
            () -> (Component) factory.create(context(ComponentKind.CONNECTOR, cid, ""), s.config(), from, to, out));
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

  /**
   * What a reload did, each component named as in logs.
   *
   * @param kept taken over from the running graph, still running with their state
   * @param started new in this config
   * @param replaced in both configs but built differently: the new one started, the old one stopped
   * @param stopped gone from this config: drained and stopped
   */
  public record ReloadSummary(List<String> kept, List<String> started, List<String> replaced, List<String> stopped) {
    /** One line for the log: what was kept, started, replaced and stopped. */
    public String describe() {
      return "kept " + names(kept) + "; started " + names(started) + "; replaced " + names(replaced) + "; stopped "
          + names(stopped);
    }

    private static String names(List<String> labels) {
      return labels.isEmpty() ? "none" : labels.size() + " (" + String.join(", ", labels) + ")";
    }
  }

  /**
   * Replaces the running graph this one was built from by {@link #buildNext}: the new and changed
   * components start while the running ones carry on, then the kept components are pointed at
   * what now follows them, and only then do the components that are gone or replaced stop, intake
   * first, each draining what it accepted into what still follows it. A changed listener thus
   * starts before its old self stops: on the same address the new server joins the socket the old
   * one holds (Vert.x shares a listening socket between the servers of one address), so the port
   * never closes. A changed component that cannot run beside its old self (see
   * {@link ConfigComparison#mustStopFirst}) stops first and starts again in its new form.
   *
   * <p>If a new component fails to start, the ones that started are stopped, those stopped first
   * start again, and the running graph carries on as it was; the future fails with the cause.
   * On success this graph is the running one and the previous one must not be shut down.
   */
  public Future<ReloadSummary> takeOver() {
    ServiceGraph old = previous;
    if (old == null) {
      throw new IllegalStateException("takeOver() is only for a graph made by buildNext()");
    }
    Set<Component> keptComponents = Collections.newSetFromMap(new IdentityHashMap<>());
    Set<Component> stopFirst = Collections.newSetFromMap(new IdentityHashMap<>());
    Map<Component, Component> successors = new IdentityHashMap<>();
    List<String> keptLabels = new ArrayList<>();
    List<String> started = new ArrayList<>();
    List<String> replaced = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    nodes.forEach((key, n) -> {
      Node before = old.nodes.get(key);
      if (kept.contains(key)) {
        keptComponents.add(n.component());
        keptLabels.add(n.label());
      } else if (before != null) {
        replaced.add(n.label());
        if (ConfigComparison.mustStopFirst(before.config(), n.config())) {
          stopFirst.add(before.component());
        } else if (n.component() instanceof StateHandover
            && n.component().getClass() == before.component().getClass()) {
          successors.put(before.component(), n.component());
        }
      } else {
        started.add(n.label());
      }
    });
    old.nodes.forEach((key, n) -> {
      if (!nodes.containsKey(key)) {
        stopped.add(n.label());
      }
    });
    List<Component> fresh = new ArrayList<>(shutdownOrder());
    Collections.reverse(fresh);
    fresh.removeIf(keptComponents::contains);
    List<Component> stopBefore = new ArrayList<>(old.shutdownOrder());
    stopBefore.removeIf(c -> !stopFirst.contains(c));
    List<Component> retired = new ArrayList<>(old.shutdownOrder());
    retired.removeIf(c -> keptComponents.contains(c) || stopFirst.contains(c));
    if (!stopBefore.isEmpty()) {
      LOG.warn("Reload: stopping {} before starting their new forms (they cannot run beside them: their TLS"
          + " settings changed or they keep state in a storage extension)", labelsOf(old, stopBefore));
    }
    Promise<ReloadSummary> done = Promise.promise();
    Promise<Void> freshStarted = Promise.promise();
    old.sequentially(stopBefore, false).onComplete(stoppedFirst -> startFresh(fresh, keptComponents,
        !stopBefore.isEmpty(), System.nanoTime() + REBIND_PATIENCE.toNanos(), freshStarted));
    freshStarted.future().onComplete(start -> {
      if (start.failed()) {
        List<Component> undo = new ArrayList<>(shutdownOrder());
        undo.removeIf(keptComponents::contains);
        List<Component> restart = new ArrayList<>(stopBefore);
        Collections.reverse(restart);
        sequentially(undo, false).onComplete(x -> old.sequentially(restart, true).onComplete(y -> {
          if (y.failed()) {
            LOG.error("Reload: {} did not start again after the new config failed", labelsOf(old, restart),
                y.cause());
          }
          previous = null;
          done.fail(start.cause());
        }));
        return;
      }
      handOver(successors).onComplete(handedOver -> takeOverStarted(old, retired, done,
          new ReloadSummary(List.copyOf(keptLabels), List.copyOf(started), List.copyOf(replaced),
              List.copyOf(stopped))));
    });
    return done.future();
  }

  /**
   * How long a reload keeps trying to bind the ports that components stopped first just
   * released: Vert.x completes a server's close a moment before its port can always be bound again.
   */
  static final Duration REBIND_PATIENCE = Duration.ofSeconds(5);

  /**
   * Starts the new components; when {@code rebinding} (components on the same ports were just
   * stopped) and a bind fails with "address already in use", stops what started and tries again
   * a little later, until {@code deadlineNanos}.
   */
  private void startFresh(List<Component> fresh, Set<Component> keptComponents, boolean rebinding,
      long deadlineNanos, Promise<Void> result) {
    sequentially(fresh, true).onComplete(ar -> {
      if (ar.succeeded() || !rebinding || !addressInUse(ar.cause()) || System.nanoTime() > deadlineNanos) {
        result.handle(ar);
        return;
      }
      LOG.info("Reload: a port is not free yet ({}); trying again", ar.cause().getMessage());
      List<Component> undo = new ArrayList<>(shutdownOrder());
      undo.removeIf(keptComponents::contains);
      sequentially(undo, false).onComplete(x -> vertx.setTimer(100,
          t -> startFresh(fresh, keptComponents, true, deadlineNanos, result)));
    });
  }

  private static boolean addressInUse(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.BindException || String.valueOf(c.getMessage()).contains("already in use")) {
        return true;
      }
    }
    return false;
  }

  /** Lets each replacement that can take over part of the work of the instance it replaces. */
  private Future<Void> handOver(Map<Component, Component> successors) {
    List<Future<Void>> all = new ArrayList<>();
    successors.forEach((before, after) -> {
      Future<Void> f;
      try {
        f = ((StateHandover) after).takeOverFrom(before);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      all.add(f.onFailure(e -> LOG.warn("Reload: {} could not take over from its previous form ({}); that one"
          + " stops as usual", labels.get(after), e.getMessage(), e)));
    });
    return Future.join(all).<Void>mapEmpty().otherwiseEmpty();
  }

  /** The new components run: points the kept ones at them, then stops what is gone or replaced. */
  private void takeOverStarted(ServiceGraph old, List<Component> retired, Promise<ReloadSummary> done,
      ReloadSummary summary) {
    rewires.forEach(Runnable::run);
    synchronized (this) {
      startFuture = Future.succeededFuture();
      ready = shutdownFuture == null;
    }
    live.current = this;
    previous = null;
    old.sequentially(retired, false).onComplete(r -> done.complete(summary));
  }

  /**
   * True once this graph, made by {@link #buildNext}, is the running one: its new components
   * started and the kept ones feed them, even while the components it replaced still drain.
   */
  public boolean tookOver() {
    return live.current == this;
  }

  private static String labelsOf(ServiceGraph g, List<Component> components) {
    List<String> out = new ArrayList<>();
    components.forEach(c -> out.add(g.labels.getOrDefault(c, c.getClass().getSimpleName())));
    return String.join(", ", out);
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

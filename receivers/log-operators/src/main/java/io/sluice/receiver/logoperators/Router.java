package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code router}: sends each entry to the outputs of the first route whose {@code expr} holds
 * (adding that route's {@code attributes}), else to {@code default}; with no default an entry no
 * route takes is dropped, as in the Collector.
 */
final class Router extends Operator {
  record Route(Expr expr, List<String> outputIds, Map<String, Object> attributes) {}

  private final List<Route> routes;
  private final List<String> defaultIds;
  private Operator[][] routeOutputs;
  private Operator[] defaultOutputs;

  Router(List<Route> routes, List<String> defaultIds) {
    this.routes = routes;
    this.defaultIds = defaultIds;
  }

  @Override
  void consume(LogEntry e, Consumer<LogEntry> out) {
    for (int i = 0; i < routeOutputs.length; i++) {
      Route r = routes.get(i);
      if (r.expr.test(e)) {
        if (r.attributes != null && !r.attributes.isEmpty()) {
          for (Map.Entry<String, Object> a : r.attributes.entrySet()) {
            e.attributes().put(a.getKey(), LogEntry.deepCopy(a.getValue()));
          }
        }
        forward(routeOutputs[i], e, out);
        return;
      }
    }
    if (defaultOutputs.length > 0) {
      forward(defaultOutputs, e, out);
    } else {
      pipeline.countDropped();
    }
  }

  @Override
  List<Map.Entry<String, String>> extraOutputIds() {
    List<Map.Entry<String, String>> ids = new ArrayList<>();
    for (int i = 0; i < routes.size(); i++) {
      for (String id : routes.get(i).outputIds) {
        ids.add(Map.entry("routes[" + i + "].output", id));
      }
    }
    defaultIds.forEach(id -> ids.add(Map.entry("default", id)));
    return ids;
  }

  @Override
  void resolveExtraOutputs(Map<String, Operator> byId) {
    routeOutputs = new Operator[routes.size()][];
    for (int i = 0; i < routes.size(); i++) {
      routeOutputs[i] = routes.get(i).outputIds.stream().map(byId::get).toArray(Operator[]::new);
    }
    defaultOutputs = defaultIds.stream().map(byId::get).toArray(Operator[]::new);
  }

  /** Every operator this router can send to, for the loop check. */
  List<Operator> allTargets() {
    List<Operator> all = new ArrayList<>();
    for (Operator[] os : routeOutputs) {
      all.addAll(List.of(os));
    }
    all.addAll(List.of(defaultOutputs));
    return all;
  }
}

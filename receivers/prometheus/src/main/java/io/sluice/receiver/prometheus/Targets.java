package io.sluice.receiver.prometheus;

import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.translation.prometheus.relabel.LabelSet;
import io.sluice.translation.prometheus.relabel.Relabeler;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Turns discovered addresses into scrape targets, with Prometheus' target relabeling. */
final class Targets {
  static final String ADDRESS = "__address__";
  static final String SCHEME = "__scheme__";
  static final String METRICS_PATH = "__metrics_path__";
  static final String PARAM_PREFIX = "__param_";
  static final String SCRAPE_INTERVAL = "__scrape_interval__";
  static final String SCRAPE_TIMEOUT = "__scrape_timeout__";

  private Targets() {
  }

  /**
   * One target to scrape.
   *
   * @param labels the target's labels after relabeling: job, instance and the rest, no {@code __*}
   * @param url the URL to scrape
   * @param scheme http or https
   * @param interval how often
   * @param timeout how long a scrape may take
   */
  record Target(LabelSet labels, String url, String scheme, Duration interval, Duration timeout) {
    String job() {
      String job = labels.get("job");
      return job == null ? "" : job;
    }

    String instance() {
      String instance = labels.get("instance");
      return instance == null ? "" : instance;
    }

    /** The key a target is known by across discovery updates. */
    String key() {
      return url + labels;
    }
  }

  /**
   * One discovered target group: addresses and the labels they share (including the
   * discovery's {@code __meta_*} labels).
   */
  record Group(List<String> targets, Map<String, String> labels) {}

  /**
   * The target groups of a discovery document, Prometheus' {@code [{targets: [host:port, ...],
   * labels: {...}}]} as read from JSON or YAML (lists and maps); each group also gets the label
   * {@code metaName} = {@code metaValue}.
   *
   * @throws IllegalArgumentException naming the group at fault when the document is not such a list
   */
  static List<Group> groups(Object root, String metaName, String metaValue) {
    List<Group> groups = new ArrayList<>();
    if (root == null) {
      return groups;
    }
    if (!(root instanceof List<?> list)) {
      throw new IllegalArgumentException("expected a list of target groups ({targets: [...], labels: {...}})");
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("target group " + i + " is not a map");
      }
      List<String> targets = new ArrayList<>();
      if (m.get("targets") instanceof List<?> ts) {
        for (Object t : ts) {
          String address = String.valueOf(t);
          String problem = addressProblem(address);
          if (problem != null) {
            throw new IllegalArgumentException("target group " + i + ": " + problem);
          }
          targets.add(address);
        }
      } else if (m.get("targets") != null) {
        throw new IllegalArgumentException("target group " + i + ": targets must be a list");
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.get("labels") instanceof Map<?, ?> ls) {
        for (Map.Entry<?, ?> e : ls.entrySet()) {
          String name = String.valueOf(e.getKey());
          if (name.isEmpty()) {
            throw new IllegalArgumentException("target group " + i + ": empty label name");
          }
          labels.put(name, e.getValue() == null ? "" : String.valueOf(e.getValue()));
        }
      } else if (m.get("labels") != null) {
        throw new IllegalArgumentException("target group " + i + ": labels must be a map");
      }
      labels.put(metaName, metaValue);
      groups.add(new Group(targets, new LinkedHashMap<>(labels)));
    }
    return groups;
  }

  /** Whether {@code name} is a valid legacy Prometheus label name, {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  static boolean isLegacyLabelName(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** What is wrong with a target address, or null when it is a valid {@code host[:port]}. */
  static String addressProblem(String address) {
    if (address == null || address.isBlank()) {
      return "empty target address; write host:port";
    }
    if (address.contains("://")) {
      String rest = address.substring(address.indexOf("://") + 3);
      return "\"" + address + "\" is not a valid target address: leave out the scheme (set scheme: instead); "
          + "did you mean \"" + rest.replaceAll("/.*", "") + "\"?";
    }
    if (address.contains("/")) {
      return "\"" + address + "\" is not a valid target address: it has a path (set metrics_path: instead); "
          + "did you mean \"" + address.substring(0, address.indexOf('/')) + "\"?";
    }
    for (int i = 0; i < address.length(); i++) {
      if (Character.isWhitespace(address.charAt(i))) {
        return "\"" + address + "\" is not a valid target address: it contains white space";
      }
    }
    int colon = address.lastIndexOf(':');
    if (colon >= 0 && address.indexOf(']') < colon) {
      String port = address.substring(colon + 1);
      int p;
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        p = -1;
      }
      if (p < 1 || p > 65535) {
        return "\"" + address + "\" is not a valid target address: port \"" + port + "\" is not a number from 1 to 65535";
      }
      if (colon == 0) {
        return "\"" + address + "\" is not a valid target address: no host before the port";
      }
    }
    return null;
  }

  /**
   * The target for one discovered address, or null when target relabeling drops it.
   *
   * @param groupLabels the labels of the target's group (static_configs labels, file_sd labels,
   *     {@code __meta_*})
   */
  static Target build(String address, Map<String, String> groupLabels, ScrapeConfig sc, GlobalConfig global,
      Relabeler relabeler) {
    Duration interval = sc.interval(global);
    Duration timeout = sc.timeout(global);
    LabelSet.Builder b = LabelSet.builder();
    groupLabels.forEach(b::set);
    b.set(ADDRESS, address);
    setIfAbsent(b, "job", sc.jobName());
    setIfAbsent(b, SCRAPE_INTERVAL, PromFormats.formatDuration(interval));
    setIfAbsent(b, SCRAPE_TIMEOUT, PromFormats.formatDuration(timeout));
    setIfAbsent(b, METRICS_PATH, sc.metricsPath());
    setIfAbsent(b, SCHEME, sc.scheme());
    for (Map.Entry<String, List<String>> param : sc.params().entrySet()) {
      if (!param.getValue().isEmpty()) {
        setIfAbsent(b, PARAM_PREFIX + param.getKey(), param.getValue().get(0));
      }
    }
    LabelSet labels = relabeler.apply(b.build());
    if (labels == null) {
      return null;
    }
    String addr = labels.get(ADDRESS);
    if (addr == null || addressProblem(addr) != null) {
      return null;
    }
    String scheme = orDefault(labels.get(SCHEME), sc.scheme());
    String path = orDefault(labels.get(METRICS_PATH), sc.metricsPath());
    interval = durationOr(labels.get(SCRAPE_INTERVAL), interval);
    timeout = durationOr(labels.get(SCRAPE_TIMEOUT), timeout);

    // Query: the config's params, each first value replaced by its __param_ label.
    Map<String, List<String>> query = new TreeMap<>(sc.params());
    for (int i = 0; i < labels.size(); i++) {
      String name = labels.name(i);
      if (name.startsWith(PARAM_PREFIX)) {
        String param = name.substring(PARAM_PREFIX.length());
        List<String> values = query.get(param);
        if (values == null || values.isEmpty()) {
          query.put(param, List.of(labels.value(i)));
        } else {
          ArrayList<String> changed = new ArrayList<>(values);
          changed.set(0, labels.value(i));
          query.put(param, changed);
        }
      }
    }
    StringBuilder url = new StringBuilder(scheme).append("://").append(addr).append(path);
    char sep = path.contains("?") ? '&' : '?';
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      for (String v : e.getValue()) {
        url.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
            .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = '&';
      }
    }

    LabelSet.Builder out = LabelSet.builder();
    for (int i = 0; i < labels.size(); i++) {
      if (!labels.name(i).startsWith("__")) {
        out.set(labels.name(i), labels.value(i));
      }
    }
    if (out.get("instance") == null) {
      out.set("instance", addr);
    }
    return new Target(out.build(), url.toString(), scheme, interval, timeout);
  }

  private static void setIfAbsent(LabelSet.Builder b, String name, String value) {
    if (b.get(name) == null) {
      b.set(name, value);
    }
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }

  private static Duration durationOr(String text, Duration fallback) {
    if (text == null) {
      return fallback;
    }
    try {
      Duration d = PromFormats.parseDuration(text);
      return d.isNegative() || d.isZero() ? fallback : d;
    } catch (IllegalArgumentException e) {
      return fallback;
    }
  }
}

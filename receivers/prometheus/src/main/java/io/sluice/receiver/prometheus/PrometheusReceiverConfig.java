package io.sluice.receiver.prometheus;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.translation.prometheus.relabel.RelabelConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code prometheus} receiver's config, as the Collector's prometheus receiver takes it: a
 * Prometheus configuration under {@code config}, with Prometheus' own keys and defaults.
 *
 * <pre>
 * receivers:
 *   prometheus:
 *     config:
 *       global: { scrape_interval: 1m, scrape_timeout: 10s, external_labels: { region: eu } }
 *       scrape_configs:
 *         - job_name: api
 *           scrape_interval: 15s
 *           static_configs: [ { targets: [ "localhost:9464" ], labels: { team: a } } ]
 *           file_sd_configs: [ { files: [ "targets/*.json" ], refresh_interval: 5m } ]
 *           http_sd_configs: [ { url: "http://sd.internal/targets", refresh_interval: 1m } ]
 *           relabel_configs: [ ... ]
 *           metric_relabel_configs: [ ... ]
 *         - job_name: secure
 *           scheme: https
 *           tls_config: { ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem }
 *           static_configs: [ { targets: [ "10.0.0.5:9100" ] } ]
 * </pre>
 *
 * <p>Besides {@code config}, the Collector's own keys are accepted so that its configs load:
 * {@code report_extra_scrape_metrics} is supported; {@code trim_metric_suffixes},
 * {@code use_start_time_metric} and {@code start_time_metric_regex} only with their defaults
 * (off, empty), since Sluice keeps scraped names as they are and takes start times from
 * {@code _created} series.
 *
 * @param config the Prometheus configuration
 * @param trimMetricSuffixes the Collector's suffix trimming; must stay false
 * @param useStartTimeMetric the Collector's start-time metric; must stay false
 * @param startTimeMetricRegex the Collector's start-time metric name; must stay empty
 * @param reportExtraScrapeMetrics also report {@code scrape_timeout_seconds},
 *     {@code scrape_sample_limit} and {@code scrape_body_size_bytes} per target
 */
public record PrometheusReceiverConfig(
    PromConfig config,
    Boolean trimMetricSuffixes,
    Boolean useStartTimeMetric,
    String startTimeMetricRegex,
    Boolean reportExtraScrapeMetrics) implements ComponentConfig {

  public PrometheusReceiverConfig {
    config = config == null ? new PromConfig(null, null) : config;
    trimMetricSuffixes = trimMetricSuffixes != null && trimMetricSuffixes;
    useStartTimeMetric = useStartTimeMetric != null && useStartTimeMetric;
    startTimeMetricRegex = startTimeMetricRegex == null ? "" : startTimeMetricRegex;
    reportExtraScrapeMetrics = reportExtraScrapeMetrics != null && reportExtraScrapeMetrics;
  }

  /** A config with this Prometheus configuration and the Collector keys at their defaults. */
  public static PrometheusReceiverConfig of(PromConfig config) {
    return new PrometheusReceiverConfig(config, null, null, null, null);
  }

  /**
   * A Prometheus configuration; only the parts a scraper needs.
   *
   * @param global defaults for every scrape config
   * @param scrapeConfigs one per job
   */
  public record PromConfig(GlobalConfig global, List<ScrapeConfig> scrapeConfigs) {
    public PromConfig {
      global = global == null ? new GlobalConfig(null, null, null) : global;
      scrapeConfigs = scrapeConfigs == null ? List.of() : List.copyOf(scrapeConfigs);
    }
  }

  /**
   * Prometheus' {@code global} section.
   *
   * @param scrapeInterval how often targets are scraped; default 1m
   * @param scrapeTimeout how long a scrape may take; default 10s
   * @param externalLabels labels added to every series (unless the series has the label already)
   */
  public record GlobalConfig(Duration scrapeInterval, Duration scrapeTimeout, Map<String, String> externalLabels) {
    public static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofMinutes(1);
    public static final Duration DEFAULT_SCRAPE_TIMEOUT = Duration.ofSeconds(10);

    public GlobalConfig {
      scrapeInterval = scrapeInterval == null ? DEFAULT_SCRAPE_INTERVAL : scrapeInterval;
      scrapeTimeout = scrapeTimeout == null ? DEFAULT_SCRAPE_TIMEOUT : scrapeTimeout;
      externalLabels = externalLabels == null ? Map.of() : Map.copyOf(externalLabels);
    }
  }

  /**
   * One job: a set of targets scraped the same way. Null durations take the global ones.
   *
   * @param sampleLimit most samples a scrape may have after metric relabeling; 0 = no limit
   * @param labelLimit most labels a sample may have after relabeling; 0 = no limit
   * @param bodySizeLimit largest uncompressed body, as Prometheus writes sizes ({@code 10MB},
   *     {@code 512KiB}, bytes when no unit); empty or 0 = no limit
   */
  public record ScrapeConfig(
      String jobName,
      Duration scrapeInterval,
      Duration scrapeTimeout,
      String metricsPath,
      String scheme,
      Map<String, List<String>> params,
      Boolean honorLabels,
      Boolean honorTimestamps,
      List<StaticConfig> staticConfigs,
      List<FileSdConfig> fileSdConfigs,
      List<HttpSdConfig> httpSdConfigs,
      List<RelabelConfig> relabelConfigs,
      List<RelabelConfig> metricRelabelConfigs,
      Long sampleLimit,
      Long labelLimit,
      String bodySizeLimit,
      BasicAuth basicAuth,
      Authorization authorization,
      TlsConfig tlsConfig) {

    public ScrapeConfig {
      jobName = jobName == null ? "" : jobName;
      metricsPath = metricsPath == null || metricsPath.isEmpty() ? "/metrics" : metricsPath;
      scheme = scheme == null || scheme.isEmpty() ? "http" : scheme;
      params = params == null ? Map.of() : Map.copyOf(params);
      honorLabels = honorLabels != null && honorLabels;
      honorTimestamps = honorTimestamps == null || honorTimestamps;
      staticConfigs = staticConfigs == null ? List.of() : List.copyOf(staticConfigs);
      fileSdConfigs = fileSdConfigs == null ? List.of() : List.copyOf(fileSdConfigs);
      httpSdConfigs = httpSdConfigs == null ? List.of() : List.copyOf(httpSdConfigs);
      relabelConfigs = relabelConfigs == null ? List.of() : List.copyOf(relabelConfigs);
      metricRelabelConfigs = metricRelabelConfigs == null ? List.of() : List.copyOf(metricRelabelConfigs);
      sampleLimit = sampleLimit == null ? 0L : sampleLimit;
      labelLimit = labelLimit == null ? 0L : labelLimit;
      bodySizeLimit = bodySizeLimit == null ? "" : bodySizeLimit.trim();
    }

    /** A job scraping {@code targets} with every other setting at its default. */
    public static ScrapeConfig of(String jobName, String... targets) {
      return new ScrapeConfig(jobName, null, null, null, null, null, null, null,
          List.of(new StaticConfig(List.of(targets), null)), null, null, null, null, null, null, null, null, null,
          null);
    }

    /** The interval in effect: this job's, else the global one. */
    public Duration interval(GlobalConfig global) {
      return scrapeInterval != null ? scrapeInterval : global.scrapeInterval();
    }

    /**
     * The timeout in effect: this job's; else the global one, but never more than the interval
     * (as Prometheus does when only the interval is set lower).
     */
    public Duration timeout(GlobalConfig global) {
      if (scrapeTimeout != null) {
        return scrapeTimeout;
      }
      Duration interval = interval(global);
      return global.scrapeTimeout().compareTo(interval) > 0 ? interval : global.scrapeTimeout();
    }

    /** {@link #bodySizeLimit} in bytes; 0 for none, -1 when it does not parse. */
    public long bodySizeLimitBytes() {
      return parseSize(bodySizeLimit);
    }
  }

  /**
   * A static group of targets.
   *
   * @param targets {@code host:port} addresses
   * @param labels labels every target of the group gets
   */
  public record StaticConfig(List<String> targets, Map<String, String> labels) {
    public StaticConfig {
      targets = targets == null ? List.of() : List.copyOf(targets);
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
  }

  /**
   * Targets read from JSON or YAML files (Prometheus' file_sd format).
   *
   * @param files paths; the last path element may hold {@code *} wildcards
   * @param refreshInterval how often the files are read again; default 5m
   */
  public record FileSdConfig(List<String> files, Duration refreshInterval) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);

    public FileSdConfig {
      files = files == null ? List.of() : List.copyOf(files);
      refreshInterval = refreshInterval == null ? DEFAULT_REFRESH_INTERVAL : refreshInterval;
    }
  }

  /**
   * Targets fetched over HTTP (Prometheus' http_sd): the URL answers with
   * {@code Content-Type: application/json} and a JSON list of target groups,
   * {@code [{"targets": ["host:port", ...], "labels": {...}}]}. Each target gets the group's
   * labels and {@code __meta_url}. A failed refresh keeps the targets of the last good one.
   *
   * @param url where the target groups are fetched, http or https
   * @param refreshInterval how often they are fetched again, also the request's timeout; default 1m
   * @param basicAuth HTTP basic authentication of the requests
   * @param authorization an {@code Authorization} header of the requests
   * @param tlsConfig TLS of https requests
   */
  public record HttpSdConfig(String url, Duration refreshInterval, BasicAuth basicAuth, Authorization authorization,
      TlsConfig tlsConfig) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(1);

    public HttpSdConfig {
      url = url == null ? "" : url.trim();
      refreshInterval = refreshInterval == null ? DEFAULT_REFRESH_INTERVAL : refreshInterval;
    }
  }

  /** HTTP basic authentication of the scrape requests. */
  public record BasicAuth(String username, String password) {
    public BasicAuth {
      username = username == null ? "" : username;
      password = password == null ? "" : password;
    }
  }

  /** An {@code Authorization: <type> <credentials>} header; type defaults to Bearer. */
  public record Authorization(String type, String credentials) {
    public Authorization {
      type = type == null || type.isEmpty() ? "Bearer" : type;
      credentials = credentials == null ? "" : credentials;
    }
  }

  /**
   * TLS of https requests.
   *
   * @param caFile PEM file of the CA certificates the server's certificate must chain to; empty:
   *     the JVM's default trust store
   * @param certFile PEM file of the client certificate (chain) shown to the server; with key_file
   * @param keyFile PEM file of the client certificate's private key (PKCS#8, PKCS#1 or EC)
   * @param serverName the name sent as SNI and that the server's certificate must carry; empty:
   *     the target's host
   * @param insecureSkipVerify accept any server certificate (no chain or name check)
   */
  public record TlsConfig(String caFile, String certFile, String keyFile, String serverName,
      Boolean insecureSkipVerify) {
    public TlsConfig {
      caFile = caFile == null ? "" : caFile;
      certFile = certFile == null ? "" : certFile;
      keyFile = keyFile == null ? "" : keyFile;
      serverName = serverName == null ? "" : serverName.trim();
      insecureSkipVerify = insecureSkipVerify != null && insecureSkipVerify;
    }
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (trimMetricSuffixes) {
      problems.add(new ConfigProblem("trim_metric_suffixes", "Sluice keeps scraped metric names unchanged, so"
          + " that remote write reproduces the scraped series; remove the key or set it to false"));
    }
    if (useStartTimeMetric) {
      problems.add(new ConfigProblem("use_start_time_metric", "not supported: Sluice takes start times from"
          + " _created series; remove the key or set it to false"));
    }
    if (!startTimeMetricRegex.isEmpty()) {
      problems.add(new ConfigProblem("start_time_metric_regex", "not supported (see use_start_time_metric);"
          + " remove the key"));
    }
    GlobalConfig global = config.global();
    if (!positive(global.scrapeInterval())) {
      problems.add(new ConfigProblem("config.global.scrape_interval",
          "must be more than 0, got " + global.scrapeInterval()));
    }
    if (!positive(global.scrapeTimeout())) {
      problems.add(new ConfigProblem("config.global.scrape_timeout",
          "must be more than 0, got " + global.scrapeTimeout()));
    } else if (global.scrapeTimeout().compareTo(global.scrapeInterval()) > 0) {
      problems.add(new ConfigProblem("config.global.scrape_timeout", "global scrape_timeout "
          + GoDuration.format(global.scrapeTimeout()) + " is greater than scrape_interval "
          + GoDuration.format(global.scrapeInterval())));
    }
    Map<String, Integer> jobs = new HashMap<>();
    List<ScrapeConfig> scrapes = config.scrapeConfigs();
    for (int i = 0; i < scrapes.size(); i++) {
      String p = "config.scrape_configs[" + i + "]";
      ScrapeConfig sc = scrapes.get(i);
      if (sc == null) {
        problems.add(new ConfigProblem(p, "empty scrape config; give at least a job_name and targets"));
        continue;
      }
      validateScrape(p, sc, global, jobs, i, problems);
    }
    return problems;
  }

  private static void validateScrape(String p, ScrapeConfig sc, GlobalConfig global, Map<String, Integer> jobs,
      int index, List<ConfigProblem> problems) {
    if (sc.jobName().isEmpty()) {
      problems.add(new ConfigProblem(p + ".job_name", "job_name is required: every scrape config names its job"));
    } else {
      Integer earlier = jobs.putIfAbsent(sc.jobName(), index);
      if (earlier != null) {
        problems.add(new ConfigProblem(p + ".job_name", "found multiple scrape configs with job name \""
            + sc.jobName() + "\" (also config.scrape_configs[" + earlier + "]); job names must be unique"));
      }
    }
    Duration interval = sc.interval(global);
    Duration timeout = sc.timeout(global);
    if (sc.scrapeInterval() != null && !positive(sc.scrapeInterval())) {
      problems.add(new ConfigProblem(p + ".scrape_interval", "must be more than 0, got "
          + GoDuration.format(sc.scrapeInterval())));
    } else if (sc.scrapeTimeout() != null && !positive(sc.scrapeTimeout())) {
      problems.add(new ConfigProblem(p + ".scrape_timeout", "must be more than 0, got "
          + GoDuration.format(sc.scrapeTimeout())));
    } else if (positive(interval) && timeout.compareTo(interval) > 0) {
      problems.add(new ConfigProblem(p + ".scrape_timeout", "scrape timeout " + GoDuration.format(timeout)
          + " is greater than scrape interval " + GoDuration.format(interval) + " for job \"" + sc.jobName()
          + "\"; make the timeout at most the interval"));
    }
    String scheme = sc.scheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      problems.add(new ConfigProblem(p + ".scheme", "\"" + sc.scheme() + "\" is not a valid scheme; use http or https"));
    }
    if (!sc.metricsPath().startsWith("/")) {
      problems.add(new ConfigProblem(p + ".metrics_path", "\"" + sc.metricsPath()
          + "\" must start with \"/\"; did you mean \"/" + sc.metricsPath() + "\"?"));
    }
    for (int j = 0; j < sc.staticConfigs().size(); j++) {
      String sp = p + ".static_configs[" + j + "]";
      StaticConfig st = sc.staticConfigs().get(j);
      if (st == null) {
        continue;
      }
      for (int k = 0; k < st.targets().size(); k++) {
        String problem = Targets.addressProblem(st.targets().get(k));
        if (problem != null) {
          problems.add(new ConfigProblem(sp + ".targets[" + k + "]", problem));
        }
      }
      for (String name : st.labels().keySet()) {
        if (!Targets.isLabelName(name)) {
          problems.add(new ConfigProblem(sp + ".labels." + name, "\"" + name
              + "\" is not a valid label name (letters, digits and _, not starting with a digit)"));
        }
      }
    }
    for (int j = 0; j < sc.fileSdConfigs().size(); j++) {
      String fp = p + ".file_sd_configs[" + j + "]";
      FileSdConfig fs = sc.fileSdConfigs().get(j);
      if (fs == null) {
        continue;
      }
      if (fs.files().isEmpty()) {
        problems.add(new ConfigProblem(fp + ".files", "name at least one file (JSON or YAML, *.json, *.yml, *.yaml)"));
      }
      for (int k = 0; k < fs.files().size(); k++) {
        String f = fs.files().get(k);
        String lower = f == null ? "" : f.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".json") && !lower.endsWith(".yml") && !lower.endsWith(".yaml")) {
          problems.add(new ConfigProblem(fp + ".files[" + k + "]", "\"" + f
              + "\" is not a JSON or YAML file; file names must end in .json, .yml or .yaml"));
        }
      }
      if (!positive(fs.refreshInterval())) {
        problems.add(new ConfigProblem(fp + ".refresh_interval", "must be more than 0, got "
            + GoDuration.format(fs.refreshInterval())));
      }
    }
    for (int j = 0; j < sc.httpSdConfigs().size(); j++) {
      HttpSdConfig hs = sc.httpSdConfigs().get(j);
      if (hs == null) {
        problems.add(new ConfigProblem(p + ".http_sd_configs[" + j + "]", "empty http_sd config; give at least a url"));
        continue;
      }
      validateHttpSd(p + ".http_sd_configs[" + j + "]", hs, problems);
    }
    problems.addAll(RelabelConfig.validateAll(p + ".relabel_configs", sc.relabelConfigs()));
    problems.addAll(RelabelConfig.validateAll(p + ".metric_relabel_configs", sc.metricRelabelConfigs()));
    if (sc.sampleLimit() < 0) {
      problems.add(new ConfigProblem(p + ".sample_limit", "must be 0 (no limit) or more, got " + sc.sampleLimit()));
    }
    if (sc.labelLimit() < 0) {
      problems.add(new ConfigProblem(p + ".label_limit", "must be 0 (no limit) or more, got " + sc.labelLimit()));
    }
    if (sc.bodySizeLimitBytes() < 0) {
      problems.add(new ConfigProblem(p + ".body_size_limit", "\"" + sc.bodySizeLimit()
          + "\" is not a size; write bytes with a unit such as 512KB, 10MB or 1GB"));
    }
    validateHttpClient(p, sc.basicAuth(), sc.authorization(), sc.tlsConfig(), problems);
  }

  private static void validateHttpSd(String hp, HttpSdConfig hs, List<ConfigProblem> problems) {
    if (hs.url().isEmpty()) {
      problems.add(new ConfigProblem(hp + ".url", "url is required: the address that lists the targets,"
          + " such as \"http://sd.internal:8080/targets\""));
    } else {
      String problem = httpUrlProblem(hs.url());
      if (problem != null) {
        problems.add(new ConfigProblem(hp + ".url", problem));
      }
    }
    if (!positive(hs.refreshInterval())) {
      problems.add(new ConfigProblem(hp + ".refresh_interval", "must be more than 0, got "
          + GoDuration.format(hs.refreshInterval())));
    }
    validateHttpClient(hp, hs.basicAuth(), hs.authorization(), hs.tlsConfig(), problems);
  }

  /** What is wrong with an http_sd URL, or null. */
  static String httpUrlProblem(String url) {
    if (!url.contains("://")) {
      return "\"" + url + "\" has no scheme; did you mean \"http://" + url + "\"?";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "\"" + url + "\" is not a valid URL: " + e.getReason();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "\"" + url + "\": the URL scheme must be http or https, got \"" + uri.getScheme() + "\"";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "\"" + url + "\" has no host; write it as http://host:port/path";
    }
    return null;
  }

  /** The HTTP client keys a scrape config and an http_sd config share. */
  private static void validateHttpClient(String p, BasicAuth basicAuth, Authorization authorization,
      TlsConfig tls, List<ConfigProblem> problems) {
    if (basicAuth != null && basicAuth.username().isEmpty()) {
      problems.add(new ConfigProblem(p + ".basic_auth.username", "basic_auth needs a username"));
    }
    if (basicAuth != null && authorization != null) {
      problems.add(new ConfigProblem(p + ".authorization",
          "at most one of basic_auth and authorization may be set"));
    }
    if (authorization != null && authorization.type().equalsIgnoreCase("basic")) {
      problems.add(new ConfigProblem(p + ".authorization.type",
          "authorization type cannot be set to \"basic\"; use basic_auth instead"));
    }
    if (tls == null) {
      return;
    }
    readable(p + ".tls_config.ca_file", tls.caFile(), problems);
    readable(p + ".tls_config.cert_file", tls.certFile(), problems);
    readable(p + ".tls_config.key_file", tls.keyFile(), problems);
    if (!tls.certFile().isEmpty() && tls.keyFile().isEmpty()) {
      problems.add(new ConfigProblem(p + ".tls_config.key_file", "cert_file \"" + tls.certFile()
          + "\" is set without key_file; give the client certificate's private key too"));
    }
    if (tls.certFile().isEmpty() && !tls.keyFile().isEmpty()) {
      problems.add(new ConfigProblem(p + ".tls_config.cert_file", "key_file \"" + tls.keyFile()
          + "\" is set without cert_file; give the client certificate too"));
    }
  }

  private static void readable(String key, String file, List<ConfigProblem> problems) {
    if (file.isEmpty()) {
      return;
    }
    try {
      if (!Files.isReadable(Path.of(file))) {
        problems.add(new ConfigProblem(key, "\"" + file + "\" does not exist or cannot be read"));
      }
    } catch (InvalidPathException e) {
      problems.add(new ConfigProblem(key, "\"" + file + "\" is not a valid path"));
    }
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  private static final Map<String, Long> SIZE_UNITS = sizeUnits();

  private static Map<String, Long> sizeUnits() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("", 1L);
    m.put("B", 1L);
    // As in Prometheus, KB, MB, ... are powers of 1024.
    String[] prefixes = {"K", "M", "G", "T", "P", "E"};
    long factor = 1;
    for (String prefix : prefixes) {
      factor *= 1024;
      m.put(prefix + "B", factor);
      m.put(prefix + "iB", factor);
    }
    return m;
  }

  /** Bytes of a size such as {@code 10MB}; 0 for empty, -1 when it does not parse. */
  static long parseSize(String text) {
    String s = text == null ? "" : text.trim();
    if (s.isEmpty()) {
      return 0;
    }
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      return -1;
    }
    Long unit = SIZE_UNITS.get(s.substring(i).trim());
    if (unit == null) {
      return -1;
    }
    try {
      return Math.multiplyExact(Long.parseLong(s.substring(0, i)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      return -1;
    }
  }

  /** Durations written as Prometheus writes them, for messages. */
  static final class GoDuration {
    private GoDuration() {
    }

    static String format(Duration d) {
      if (d == null) {
        return "0s";
      }
      long ms = d.toMillis();
      if (ms % 60_000 == 0 && ms != 0) {
        return ms / 60_000 + "m";
      }
      if (ms % 1000 == 0) {
        return ms / 1000 + "s";
      }
      return ms + "ms";
    }
  }
}

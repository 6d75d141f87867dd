package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.translation.prometheus.relabel.RelabelConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
 * <p>The Prometheus configuration is read as Prometheus 3 reads it: its defaults (a timeout left
 * out is the lesser of 10s and the interval), durations ({@code 1m30s}, {@code 1d}), sizes with
 * units, UTF-8 label names, {@code scrape_config_files} and every key of {@code global} and
 * {@code scrape_configs}, so that a config Prometheus loads loads here. Keys Sluice cannot act on
 * are accepted and listed by {@link #warnings()}; service discoveries other than static, file and
 * HTTP are refused with a message saying so.
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
    Boolean reportExtraScrapeMetrics,
    JsonNode targetAllocator,
    JsonNode apiServer) implements ComponentConfig {

  /** A config without the Kubernetes-only keys. */
  public PrometheusReceiverConfig(PromConfig config, Boolean trimMetricSuffixes, Boolean useStartTimeMetric,
      String startTimeMetricRegex, Boolean reportExtraScrapeMetrics) {
    this(config, trimMetricSuffixes, useStartTimeMetric, startTimeMetricRegex, reportExtraScrapeMetrics, null, null);
  }

  public PrometheusReceiverConfig {
    config = config == null ? PromConfig.of(null, null) : config;
    trimMetricSuffixes = trimMetricSuffixes != null && trimMetricSuffixes;
    useStartTimeMetric = useStartTimeMetric != null && useStartTimeMetric;
    startTimeMetricRegex = startTimeMetricRegex == null ? "" : startTimeMetricRegex;
    reportExtraScrapeMetrics = reportExtraScrapeMetrics != null && reportExtraScrapeMetrics;
  }

  /** A config with this Prometheus configuration and the Collector keys at their defaults. */
  public static PrometheusReceiverConfig of(PromConfig config) {
    return new PrometheusReceiverConfig(config, null, null, null, null);
  }

  /** A list that keeps null entries (reported by {@link #validate}), read-only; empty for null. */
  static <T> List<T> keepNulls(List<T> list) {
    return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
  }

  /**
   * A Prometheus configuration as Prometheus 3 reads it. The receiver uses {@code global},
   * {@code scrape_configs} and {@code scrape_config_files}; the other sections of a Prometheus
   * config ({@code rule_files}, {@code alerting}, {@code remote_write}, {@code remote_read},
   * {@code storage}, {@code tracing}, {@code otlp}, {@code runtime}) are accepted so that a
   * Prometheus config loads unchanged, and each one set is told once as having no effect.
   *
   * @param global defaults for every scrape config
   * @param scrapeConfigs one per job
   * @param scrapeConfigFiles files (glob patterns in the last path element) holding more
   *     {@code scrape_configs}; relative paths are taken from the working directory, and relative
   *     paths inside those files from the file's own directory, as Prometheus does
   */
  public record PromConfig(
      GlobalConfig global,
      List<ScrapeConfig> scrapeConfigs,
      List<String> scrapeConfigFiles,
      List<String> ruleFiles,
      JsonNode runtime,
      JsonNode alerting,
      JsonNode remoteWrite,
      JsonNode remoteRead,
      JsonNode storage,
      JsonNode tracing,
      JsonNode otlp) {
    public PromConfig {
      global = global == null ? GlobalConfig.DEFAULT : global;
      scrapeConfigs = keepNulls(scrapeConfigs);
      scrapeConfigFiles = keepNulls(scrapeConfigFiles);
      ruleFiles = keepNulls(ruleFiles);
    }

    /** Only these jobs, every other key at its default. */
    public static PromConfig of(GlobalConfig global, List<ScrapeConfig> scrapeConfigs) {
      return new PromConfig(global, scrapeConfigs, null, null, null, null, null, null, null, null, null);
    }
  }

  /**
   * Prometheus' {@code global} section. Durations are Prometheus durations ({@code 1m30s},
   * {@code 1d}); an unset or zero one takes the default. Limits of 0 mean no limit; a job's unset
   * limit takes the global one.
   *
   * @param scrapeInterval how often targets are scraped; default 1m
   * @param scrapeTimeout how long a scrape may take; default the lesser of 10s and the interval
   * @param scrapeProtocols the exposition formats asked for, most wanted first
   * @param evaluationInterval Prometheus' rule evaluation; accepted and ignored
   * @param ruleQueryOffset accepted and ignored (rules)
   * @param queryLogFile accepted and ignored (queries)
   * @param queryMaxSeries accepted and ignored (queries)
   * @param queryMaxSamplesRead accepted and ignored (queries)
   * @param queryMaxDuration accepted and ignored (queries)
   * @param scrapeFailureLogFile no effect in Sluice (failures are logged and counted)
   * @param externalLabels labels added to every series (unless the series has the label already)
   * @param bodySizeLimit largest uncompressed body, a Prometheus size with a unit ({@code 10MB})
   * @param metricNameValidationScheme {@code utf8} (default) or {@code legacy} names
   * @param metricNameEscapingScheme how targets are asked to escape names that are not legacy
   * @param extraScrapeMetrics also report scrape_timeout_seconds, scrape_sample_limit and
   *     scrape_body_size_bytes
   */
  public record GlobalConfig(
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration scrapeInterval,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration scrapeTimeout,
      List<String> scrapeProtocols,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration evaluationInterval,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration ruleQueryOffset,
      String queryLogFile,
      Long queryMaxSeries,
      Long queryMaxSamplesRead,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration queryMaxDuration,
      String scrapeFailureLogFile,
      Map<String, String> externalLabels,
      String bodySizeLimit,
      Long sampleLimit,
      Long targetLimit,
      Long labelLimit,
      Long labelNameLengthLimit,
      Long labelValueLengthLimit,
      Long keepDroppedTargets,
      String metricNameValidationScheme,
      String metricNameEscapingScheme,
      Boolean scrapeNativeHistograms,
      Boolean convertClassicHistogramsToNhcb,
      Boolean alwaysScrapeClassicHistograms,
      Boolean extraScrapeMetrics) {
    public static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofMinutes(1);
    public static final Duration DEFAULT_SCRAPE_TIMEOUT = Duration.ofSeconds(10);
    /** Every key unset. */
    public static final GlobalConfig DEFAULT = new GlobalConfig(null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    public GlobalConfig {
      externalLabels = externalLabels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(externalLabels));
      scrapeProtocols = scrapeProtocols == null ? null : keepNulls(scrapeProtocols);
      bodySizeLimit = bodySizeLimit == null ? "" : bodySizeLimit.trim();
      metricNameValidationScheme = metricNameValidationScheme == null ? "" : metricNameValidationScheme;
      metricNameEscapingScheme = metricNameEscapingScheme == null ? "" : metricNameEscapingScheme;
    }

    /** The interval in effect: as written, else 1m. */
    public Duration interval() {
      return set(scrapeInterval) ? scrapeInterval : DEFAULT_SCRAPE_INTERVAL;
    }

    /** The timeout in effect: as written, else the lesser of 10s and the interval. */
    public Duration timeout() {
      if (set(scrapeTimeout)) {
        return scrapeTimeout;
      }
      return DEFAULT_SCRAPE_TIMEOUT.compareTo(interval()) > 0 ? interval() : DEFAULT_SCRAPE_TIMEOUT;
    }

    /** Whether names are checked as UTF-8 (Prometheus 3's default) rather than legacy. */
    public boolean utf8Names() {
      return !metricNameValidationScheme.equals("legacy");
    }
  }

  private static boolean set(Duration d) {
    return d != null && !d.isZero();
  }

  private static long orGlobal(Long local, Long global) {
    return local != null && local != 0 ? local : global == null ? 0 : global;
  }

  /**
   * The HTTP client keys of Prometheus' scrape and HTTP discovery configs.
   */
  public interface HttpClientKeys {
    BasicAuth basicAuth();

    Authorization authorization();

    String bearerToken();

    String bearerTokenFile();

    JsonNode oauth2();

    TlsConfig tlsConfig();

    String proxyUrl();

    String noProxy();

    Boolean proxyFromEnvironment();

    JsonNode proxyConnectHeader();

    Boolean followRedirects();

    Boolean enableHttp2();

    Map<String, HttpHeader> httpHeaders();
  }

  /**
   * One job: a set of targets scraped the same way. Null durations and limits take the global
   * ones. Besides static_configs, file_sd_configs and http_sd_configs, Prometheus' other service
   * discoveries are known keys that Sluice refuses with a message saying so.
   *
   * @param sampleLimit most samples a scrape may have after metric relabeling; 0 = no limit
   * @param labelLimit most labels a sample may have after relabeling; 0 = no limit
   * @param bodySizeLimit largest uncompressed body, a Prometheus size ({@code 10MB}, {@code 512KiB});
   *     empty or 0 = no limit
   * @param scrapeProtocols the exposition formats asked for, most wanted first
   * @param fallbackScrapeProtocol how a body is read whose Content-Type is missing or unknown
   * @param enableCompression ask for gzip bodies; default true
   */
  public record ScrapeConfig(
      String jobName,
      Boolean honorLabels,
      Boolean honorTimestamps,
      Boolean trackTimestampsStaleness,
      Map<String, List<String>> params,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration scrapeInterval,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration scrapeTimeout,
      List<String> scrapeProtocols,
      String fallbackScrapeProtocol,
      Boolean scrapeNativeHistograms,
      Boolean alwaysScrapeClassicHistograms,
      Boolean convertClassicHistogramsToNhcb,
      String scrapeFailureLogFile,
      String metricsPath,
      String scheme,
      Boolean enableCompression,
      String bodySizeLimit,
      Long sampleLimit,
      Long targetLimit,
      Long labelLimit,
      Long labelNameLengthLimit,
      Long labelValueLengthLimit,
      Long nativeHistogramBucketLimit,
      Double nativeHistogramMinBucketFactor,
      Long keepDroppedTargets,
      String metricNameValidationScheme,
      String metricNameEscapingScheme,
      Boolean extraScrapeMetrics,
      BasicAuth basicAuth,
      Authorization authorization,
      String bearerToken,
      String bearerTokenFile,
      JsonNode oauth2,
      TlsConfig tlsConfig,
      String proxyUrl,
      String noProxy,
      Boolean proxyFromEnvironment,
      JsonNode proxyConnectHeader,
      Boolean followRedirects,
      Boolean enableHttp2,
      Map<String, HttpHeader> httpHeaders,
      List<StaticConfig> staticConfigs,
      List<FileSdConfig> fileSdConfigs,
      List<HttpSdConfig> httpSdConfigs,
      List<RelabelConfig> relabelConfigs,
      List<RelabelConfig> metricRelabelConfigs,
      JsonNode azureSdConfigs,
      JsonNode consulSdConfigs,
      JsonNode digitaloceanSdConfigs,
      JsonNode dockerSdConfigs,
      JsonNode dockerswarmSdConfigs,
      JsonNode dnsSdConfigs,
      JsonNode ec2SdConfigs,
      JsonNode eurekaSdConfigs,
      JsonNode gceSdConfigs,
      JsonNode hetznerSdConfigs,
      JsonNode ionosSdConfigs,
      JsonNode kubernetesSdConfigs,
      JsonNode kumaSdConfigs,
      JsonNode lightsailSdConfigs,
      JsonNode linodeSdConfigs,
      JsonNode marathonSdConfigs,
      JsonNode nerveSdConfigs,
      JsonNode nomadSdConfigs,
      JsonNode ociSdConfigs,
      JsonNode openstackSdConfigs,
      JsonNode outscaleSdConfigs,
      JsonNode ovhcloudSdConfigs,
      JsonNode puppetdbSdConfigs,
      JsonNode scalewaySdConfigs,
      JsonNode serversetSdConfigs,
      JsonNode stackitSdConfigs,
      JsonNode tritonSdConfigs,
      JsonNode uyuniSdConfigs,
      JsonNode vultrSdConfigs) implements HttpClientKeys {

    public ScrapeConfig {
      jobName = jobName == null ? "" : jobName;
      metricsPath = metricsPath == null || metricsPath.isEmpty() ? "/metrics" : metricsPath;
      scheme = scheme == null || scheme.isEmpty() ? "http" : scheme;
      params = params == null ? Map.of() : Map.copyOf(params);
      honorLabels = honorLabels != null && honorLabels;
      honorTimestamps = honorTimestamps == null || honorTimestamps;
      enableCompression = enableCompression == null || enableCompression;
      staticConfigs = keepNulls(staticConfigs);
      fileSdConfigs = keepNulls(fileSdConfigs);
      httpSdConfigs = keepNulls(httpSdConfigs);
      relabelConfigs = keepNulls(relabelConfigs);
      metricRelabelConfigs = keepNulls(metricRelabelConfigs);
      scrapeProtocols = scrapeProtocols == null ? null : keepNulls(scrapeProtocols);
      fallbackScrapeProtocol = fallbackScrapeProtocol == null ? "" : fallbackScrapeProtocol;
      bodySizeLimit = bodySizeLimit == null ? "" : bodySizeLimit.trim();
      metricNameValidationScheme = metricNameValidationScheme == null ? "" : metricNameValidationScheme;
      metricNameEscapingScheme = metricNameEscapingScheme == null ? "" : metricNameEscapingScheme;
      httpHeaders = httpHeaders == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(httpHeaders));
    }

    /** The interval in effect: this job's, else the global one. */
    public Duration interval(GlobalConfig global) {
      return set(scrapeInterval) ? scrapeInterval : global.interval();
    }

    /**
     * The timeout in effect: this job's; else the lesser of the global timeout and this job's
     * interval, as Prometheus does.
     */
    public Duration timeout(GlobalConfig global) {
      if (set(scrapeTimeout)) {
        return scrapeTimeout;
      }
      Duration interval = interval(global);
      return global.timeout().compareTo(interval) > 0 ? interval : global.timeout();
    }

    /** The sample limit in effect; 0 for none. */
    public long sampleLimit(GlobalConfig global) {
      return orGlobal(sampleLimit, global.sampleLimit());
    }

    /** The label limit in effect; 0 for none. */
    public long labelLimit(GlobalConfig global) {
      return orGlobal(labelLimit, global.labelLimit());
    }

    /** The target limit in effect; 0 for none. */
    public long targetLimit(GlobalConfig global) {
      return orGlobal(targetLimit, global.targetLimit());
    }

    /** The label name length limit in effect; 0 for none. */
    public long labelNameLengthLimit(GlobalConfig global) {
      return orGlobal(labelNameLengthLimit, global.labelNameLengthLimit());
    }

    /** The label value length limit in effect; 0 for none. */
    public long labelValueLengthLimit(GlobalConfig global) {
      return orGlobal(labelValueLengthLimit, global.labelValueLengthLimit());
    }

    /** The body size limit in effect, in bytes; 0 for none (or when it does not parse). */
    public long bodySizeLimitBytes(GlobalConfig global) {
      String text = bodySizeLimit.isEmpty() || bodySizeLimit.equals("0") ? global.bodySizeLimit() : bodySizeLimit;
      try {
        return text.isEmpty() ? 0 : Math.max(0, PromFormats.parseSize(text));
      } catch (IllegalArgumentException e) {
        return 0;
      }
    }

    /** Whether names are checked as UTF-8: this job's scheme, else the global one. */
    public boolean utf8Names(GlobalConfig global) {
      return metricNameValidationScheme.isEmpty() ? global.utf8Names() : !metricNameValidationScheme.equals("legacy");
    }

    /** The escaping scheme asked of targets: this job's, else the global one, else from the validation scheme. */
    public String escapingScheme(GlobalConfig global) {
      if (!metricNameEscapingScheme.isEmpty()) {
        return metricNameEscapingScheme;
      }
      if (metricNameValidationScheme.isEmpty() && !global.metricNameEscapingScheme().isEmpty()) {
        return global.metricNameEscapingScheme();
      }
      return utf8Names(global) ? "allow-utf-8" : "underscores";
    }

    /** The protocols asked for: this job's, else the global ones, else Prometheus' default order. */
    public List<String> protocols(GlobalConfig global) {
      if (scrapeProtocols != null) {
        return scrapeProtocols;
      }
      if (global.scrapeProtocols() != null) {
        return global.scrapeProtocols();
      }
      Boolean nativeHistograms = scrapeNativeHistograms != null ? scrapeNativeHistograms
          : global.scrapeNativeHistograms();
      if (nativeHistograms != null && nativeHistograms) {
        List<String> protoFirst = new ArrayList<>();
        protoFirst.add(PromFormats.PROTOBUF);
        protoFirst.addAll(PromFormats.DEFAULT_SCRAPE_PROTOCOLS);
        return protoFirst;
      }
      return PromFormats.DEFAULT_SCRAPE_PROTOCOLS;
    }

    /** Whether this job reports the extra scrape series: its own key, else the global one. */
    public boolean extraScrapeMetrics(GlobalConfig global, boolean receiverDefault) {
      if (extraScrapeMetrics != null) {
        return extraScrapeMetrics;
      }
      return global.extraScrapeMetrics() != null ? global.extraScrapeMetrics() : receiverDefault;
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
      targets = keepNulls(targets);
      labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }
  }

  /**
   * Targets read from JSON or YAML files (Prometheus' file_sd format).
   *
   * @param files paths; the last path element may hold {@code *} wildcards
   * @param refreshInterval how often the files are read again; default 5m
   */
  public record FileSdConfig(List<String> files,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration refreshInterval) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);

    public FileSdConfig {
      files = keepNulls(files);
      refreshInterval = refreshInterval == null ? DEFAULT_REFRESH_INTERVAL : refreshInterval;
    }
  }

  /**
   * Targets fetched over HTTP (Prometheus' http_sd): the URL answers with
   * {@code Content-Type: application/json} and a JSON list of target groups,
   * {@code [{"targets": ["host:port", ...], "labels": {...}}]}. Each target gets the group's
   * labels and {@code __meta_url}. A failed refresh keeps the targets of the last good one. The
   * HTTP client keys are those of a scrape config.
   *
   * @param url where the target groups are fetched, http or https
   * @param refreshInterval how often they are fetched again, also the request's timeout; default 1m
   */
  public record HttpSdConfig(
      String url,
      @JsonDeserialize(using = PromFormats.DurationDeserializer.class) Duration refreshInterval,
      BasicAuth basicAuth,
      Authorization authorization,
      String bearerToken,
      String bearerTokenFile,
      JsonNode oauth2,
      TlsConfig tlsConfig,
      String proxyUrl,
      String noProxy,
      Boolean proxyFromEnvironment,
      JsonNode proxyConnectHeader,
      Boolean followRedirects,
      Boolean enableHttp2,
      Map<String, HttpHeader> httpHeaders) implements HttpClientKeys {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(1);

    public HttpSdConfig {
      url = url == null ? "" : url.trim();
      refreshInterval = refreshInterval == null || refreshInterval.isZero() ? DEFAULT_REFRESH_INTERVAL
          : refreshInterval;
      httpHeaders = httpHeaders == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(httpHeaders));
    }
  }

  /**
   * HTTP basic authentication; the username and password may come from files (read when the
   * receiver starts).
   */
  public record BasicAuth(String username, String usernameFile, String usernameRef, String password,
      String passwordFile, String passwordRef) {
    public BasicAuth {
      username = username == null ? "" : username;
      usernameFile = usernameFile == null ? "" : usernameFile;
      usernameRef = usernameRef == null ? "" : usernameRef;
      password = password == null ? "" : password;
      passwordFile = passwordFile == null ? "" : passwordFile;
      passwordRef = passwordRef == null ? "" : passwordRef;
    }
  }

  /**
   * An {@code Authorization: <type> <credentials>} header; type defaults to Bearer; the
   * credentials may come from a file (read when the receiver starts).
   */
  public record Authorization(String type, String credentials, String credentialsFile, String credentialsRef) {
    public Authorization {
      type = type == null || type.isEmpty() ? "Bearer" : type;
      credentials = credentials == null ? "" : credentials;
      credentialsFile = credentialsFile == null ? "" : credentialsFile;
      credentialsRef = credentialsRef == null ? "" : credentialsRef;
    }
  }

  /**
   * One header of {@code http_headers}: every value is sent; secrets are values not to be shown,
   * files hold a value each (read when the receiver starts).
   */
  public record HttpHeader(List<String> values, List<String> secrets, List<String> files) {
    public HttpHeader {
      values = keepNulls(values);
      secrets = keepNulls(secrets);
      files = keepNulls(files);
    }
  }

  /**
   * TLS of https requests. The CA, certificate and key are given as PEM files or inline PEM text.
   *
   * @param caFile PEM file of the CA certificates the server's certificate must chain to; empty:
   *     the JVM's default trust store
   * @param certFile PEM file of the client certificate (chain) shown to the server; with key_file
   * @param keyFile PEM file of the client certificate's private key (PKCS#8, PKCS#1 or EC)
   * @param serverName the name sent as SNI and that the server's certificate must carry; empty:
   *     the target's host
   * @param insecureSkipVerify accept any server certificate (no chain or name check)
   * @param minVersion the oldest TLS version offered: TLS10, TLS11, TLS12 (default) or TLS13
   * @param maxVersion the newest TLS version offered
   */
  public record TlsConfig(String ca, String caFile, String caRef, String cert, String certFile, String certRef,
      String key, String keyFile, String keyRef, String serverName, Boolean insecureSkipVerify, String minVersion,
      String maxVersion) {
    public TlsConfig {
      ca = ca == null ? "" : ca;
      caFile = caFile == null ? "" : caFile;
      caRef = caRef == null ? "" : caRef;
      cert = cert == null ? "" : cert;
      certFile = certFile == null ? "" : certFile;
      certRef = certRef == null ? "" : certRef;
      key = key == null ? "" : key;
      keyFile = keyFile == null ? "" : keyFile;
      keyRef = keyRef == null ? "" : keyRef;
      serverName = serverName == null ? "" : serverName.trim();
      insecureSkipVerify = insecureSkipVerify != null && insecureSkipVerify;
      minVersion = minVersion == null ? "" : minVersion;
      maxVersion = maxVersion == null ? "" : maxVersion;
    }

    /** Only the file keys, as most configs write them. */
    public static TlsConfig ofFiles(String caFile, String certFile, String keyFile, String serverName,
        Boolean insecureSkipVerify) {
      return new TlsConfig(null, caFile, null, null, certFile, null, null, keyFile, null, serverName,
          insecureSkipVerify, null, null);
    }
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (trimMetricSuffixes) {
      problems.add(new ConfigProblem("trim_metric_suffixes", "Sluice keeps scraped metric names unchanged, so"
          + " that remote write reproduces the scraped series; remove the key or set it to false"));
    }
    if (targetAllocator != null && !targetAllocator.isNull()) {
      problems.add(new ConfigProblem("target_allocator", "Sluice has no target allocator (the OpenTelemetry"
          + " Operator's); give the jobs under config.scrape_configs, with static_configs, file_sd_configs or"
          + " http_sd_configs (an HTTP SD endpoint can serve the targets an allocator would assign)"));
    }
    if (apiServer != null && !apiServer.isNull()) {
      problems.add(new ConfigProblem("api_server", "Sluice does not watch a Kubernetes API server; list targets"
          + " with static_configs, file_sd_configs or http_sd_configs under config.scrape_configs"));
    }
    if (useStartTimeMetric) {
      problems.add(new ConfigProblem("use_start_time_metric", "not supported: Sluice takes start times from"
          + " _created series; remove the key or set it to false"));
    }
    if (!startTimeMetricRegex.isEmpty()) {
      problems.add(new ConfigProblem("start_time_metric_regex", "not supported (see use_start_time_metric);"
          + " remove the key"));
    }
    PromConfigCheck.check(config, problems);
    return problems;
  }

  /**
   * The keys that are accepted, so that the Prometheus config loads as in Prometheus, but have no
   * effect in Sluice: each with its key path and why. The receiver logs each once when it is
   * created.
   */
  @Override
  public List<ConfigProblem> warnings() {
    return PromConfigWarnings.of(config);
  }
}

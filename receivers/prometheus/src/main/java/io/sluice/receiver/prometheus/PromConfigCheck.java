package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.ConfigProblem;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.Authorization;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.BasicAuth;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.FileSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpClientKeys;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.PromConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.StaticConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.TlsConfig;
import io.sluice.translation.prometheus.relabel.RelabelConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a Prometheus configuration as Prometheus 3 does when it loads one, reporting every
 * problem with its key path, and lists the keys that are accepted but have no effect in Sluice.
 */
final class PromConfigCheck {
  private PromConfigCheck() {}

  /** Prometheus' service discoveries that Sluice does not have, by config key. */
  static final List<String> OTHER_DISCOVERIES = List.of("azure", "consul", "digitalocean", "docker", "dockerswarm",
      "dns", "ec2", "eureka", "gce", "hetzner", "ionos", "kubernetes", "kuma", "lightsail", "linode", "marathon",
      "nerve", "nomad", "oci", "openstack", "outscale", "ovhcloud", "puppetdb", "scaleway", "serverset", "stackit",
      "triton", "uyuni", "vultr");

  /** A rule or scrape config file pattern: wildcards only in the last path element. */
  private static final Pattern FILE_PATTERN = Pattern.compile("^[^*]*(\\*[^/]*)?$");
  private static final Set<String> ESCAPING_SCHEMES = Set.of("allow-utf-8", "underscores", "dots", "values");
  private static final Map<String, String> TLS_VERSIONS = Map.of("TLS10", "TLSv1", "TLS11", "TLSv1.1", "TLS12",
      "TLSv1.2", "TLS13", "TLSv1.3");

  /** The JDK protocol name of a Prometheus TLS version ({@code TLS12}), or null. */
  static String jdkTlsVersion(String version) {
    return TLS_VERSIONS.get(version);
  }

  static void check(PromConfig config, List<ConfigProblem> problems) {
    GlobalConfig global = config.global();
    checkGlobal(global, problems);
    for (int i = 0; i < config.ruleFiles().size(); i++) {
      String f = config.ruleFiles().get(i);
      if (f == null || !FILE_PATTERN.matcher(f).matches()) {
        problems.add(new ConfigProblem("config.rule_files[" + i + "]", "invalid rule file path \"" + f
            + "\"; a * may only stand in the last path element"));
      }
    }
    for (int i = 0; i < config.scrapeConfigFiles().size(); i++) {
      String f = config.scrapeConfigFiles().get(i);
      if (f == null || !FILE_PATTERN.matcher(f).matches()) {
        problems.add(new ConfigProblem("config.scrape_config_files[" + i + "]", "invalid scrape config file path \""
            + f + "\"; a * may only stand in the last path element, such as \"jobs/*.yml\""));
      }
    }
    Map<String, String> jobs = new HashMap<>();
    checkJobs("config.scrape_configs", "the main config", config.scrapeConfigs(), global, jobs, problems);
    if (problems.isEmpty()) {
      ScrapeConfigFiles.check(config, jobs, problems);
    }
  }

  /**
   * Checks the jobs of one list; {@code jobs} holds the job names seen so far, each with where it
   * was found, so that names stay unique across the main config and the included files.
   */
  static void checkJobs(String key, String where, List<ScrapeConfig> scrapes, GlobalConfig global,
      Map<String, String> jobs, List<ConfigProblem> problems) {
    for (int i = 0; i < scrapes.size(); i++) {
      String p = key + "[" + i + "]";
      ScrapeConfig sc = scrapes.get(i);
      if (sc == null) {
        problems.add(new ConfigProblem(p, "empty or null scrape config section; expected a map with at least"
            + " job_name and targets"));
        continue;
      }
      if (!sc.jobName().isEmpty()) {
        String earlier = jobs.putIfAbsent(sc.jobName(), where + " (" + p + ")");
        if (earlier != null) {
          problems.add(new ConfigProblem(p + ".job_name", "found multiple scrape configs with job name \""
              + sc.jobName() + "\", first found in " + earlier + "; job names must be unique"));
        }
      }
      checkScrape(p, sc, global, problems);
    }
  }

  private static void checkGlobal(GlobalConfig g, List<ConfigProblem> problems) {
    String p = "config.global";
    boolean schemeOk = checkValidationScheme(p, g.metricNameValidationScheme(), problems);
    if (!g.metricNameEscapingScheme().isEmpty() && !ESCAPING_SCHEMES.contains(g.metricNameEscapingScheme())) {
      problems.add(new ConfigProblem(p + ".metric_name_escaping_scheme", "unknown global name escaping method \""
          + g.metricNameEscapingScheme() + "\"; use one of allow-utf-8, underscores, dots, values"));
    }
    g.externalLabels().forEach((name, value) -> {
      if (!labelName(name, !schemeOk || g.utf8Names())) {
        problems.add(new ConfigProblem(p + ".external_labels." + name, "\"" + name + "\" is not a valid label name"
            + nameRule(g.utf8Names())));
      }
    });
    if (g.scrapeTimeout() != null && !g.scrapeTimeout().isZero() && g.scrapeTimeout().compareTo(g.interval()) > 0) {
      problems.add(new ConfigProblem(p + ".scrape_timeout", "global scrape timeout "
          + PromFormats.formatDuration(g.scrapeTimeout()) + " is greater than scrape interval "
          + PromFormats.formatDuration(g.interval()) + "; make the timeout at most the interval, or leave it out"
          + " (it then defaults to the lesser of 10s and the interval)"));
    }
    if (g.scrapeProtocols() != null) {
      checkProtocols(p + ".scrape_protocols", g.scrapeProtocols(), "for global config", problems);
    }
    checkSize(p + ".body_size_limit", g.bodySizeLimit(), problems);
    checkUnsigned(p, problems, "query_max_series", g.queryMaxSeries(), "query_max_samples_read",
        g.queryMaxSamplesRead(), "sample_limit", g.sampleLimit(), "target_limit", g.targetLimit(), "label_limit",
        g.labelLimit(), "label_name_length_limit", g.labelNameLengthLimit(), "label_value_length_limit",
        g.labelValueLengthLimit(), "keep_dropped_targets", g.keepDroppedTargets());
  }

  /** False when the scheme is neither unset, utf8 nor legacy (and a problem was added). */
  private static boolean checkValidationScheme(String p, String scheme, List<ConfigProblem> problems) {
    if (scheme.isEmpty() || scheme.equals("utf8") || scheme.equals("legacy")) {
      return true;
    }
    problems.add(new ConfigProblem(p + ".metric_name_validation_scheme", "unrecognized ValidationScheme: \""
        + scheme + "\"; use utf8 (Prometheus 3's default) or legacy"));
    return false;
  }

  /** A label name: with UTF-8 names any non-empty text, else {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
  static boolean labelName(String name, boolean utf8) {
    if (utf8) {
      return name != null && !name.isEmpty();
    }
    return Targets.isLegacyLabelName(name);
  }

  private static String nameRule(boolean utf8) {
    return utf8 ? " (it must not be empty)"
        : " (letters, digits and _, not starting with a digit, as metric_name_validation_scheme is legacy)";
  }

  private static void checkScrape(String p, ScrapeConfig sc, GlobalConfig global, List<ConfigProblem> problems) {
    if (sc.jobName().isEmpty()) {
      problems.add(new ConfigProblem(p + ".job_name", "job_name is empty: every scrape config names its job"));
    }
    Duration interval = sc.interval(global);
    if (sc.scrapeTimeout() != null && !sc.scrapeTimeout().isZero() && sc.scrapeTimeout().compareTo(interval) > 0) {
      problems.add(new ConfigProblem(p + ".scrape_timeout", "scrape timeout "
          + PromFormats.formatDuration(sc.scrapeTimeout()) + " is greater than scrape interval "
          + PromFormats.formatDuration(interval) + " for scrape config with job name \"" + sc.jobName()
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
    if (sc.scrapeProtocols() != null) {
      checkProtocols(p + ".scrape_protocols", sc.scrapeProtocols(), "for scrape config with job name \""
          + sc.jobName() + "\"", problems);
    }
    if (!sc.fallbackScrapeProtocol().isEmpty() && !PromFormats.SCRAPE_PROTOCOLS.containsKey(sc.fallbackScrapeProtocol())) {
      problems.add(new ConfigProblem(p + ".fallback_scrape_protocol", "invalid fallback_scrape_protocol for scrape"
          + " config with job name \"" + sc.jobName() + "\": unknown scrape protocol " + sc.fallbackScrapeProtocol()
          + ", supported: " + PromFormats.supportedProtocols() + " (names are case sensitive)"));
    }
    boolean schemeOk = checkValidationScheme(p, sc.metricNameValidationScheme(), problems);
    String escaping = sc.escapingScheme(global);
    if (!ESCAPING_SCHEMES.contains(escaping)) {
      problems.add(new ConfigProblem(p + ".metric_name_escaping_scheme", "unknown scrape config name escaping method \""
          + escaping + "\"; use one of allow-utf-8, underscores, dots, values"));
    } else if (schemeOk && escaping.equals("allow-utf-8") && !sc.utf8Names(global)) {
      problems.add(new ConfigProblem(p + ".metric_name_escaping_scheme", "utf8 metric names requested (escaping"
          + " allow-utf-8) but validation scheme is not set to UTF8 (metric_name_validation_scheme is legacy);"
          + " choose underscores, dots or values, or set the validation scheme to utf8"));
    }
    boolean utf8 = !schemeOk || sc.utf8Names(global);
    checkSize(p + ".body_size_limit", sc.bodySizeLimit(), problems);
    checkUnsigned(p, problems, "sample_limit", sc.sampleLimit(), "target_limit", sc.targetLimit(), "label_limit",
        sc.labelLimit(), "label_name_length_limit", sc.labelNameLengthLimit(), "label_value_length_limit",
        sc.labelValueLengthLimit(), "native_histogram_bucket_limit", sc.nativeHistogramBucketLimit(),
        "keep_dropped_targets", sc.keepDroppedTargets());
    checkHttpClient(p, sc, problems);

    for (String sd : OTHER_DISCOVERIES) {
      JsonNode other = otherDiscovery(sc, sd);
      if (other != null && !other.isNull() && !(other.isArray() && other.isEmpty())) {
        problems.add(new ConfigProblem(p + "." + sd + "_sd_configs", "Sluice has no " + sd + " service discovery;"
            + " list the targets in static_configs, or have them written to files for file_sd_configs or served"
            + " for http_sd_configs"));
      }
    }
    for (int j = 0; j < sc.staticConfigs().size(); j++) {
      checkStatic(p + ".static_configs[" + j + "]", sc.staticConfigs().get(j), sc.relabelConfigs().isEmpty(), utf8,
          problems);
    }
    for (int j = 0; j < sc.fileSdConfigs().size(); j++) {
      checkFileSd(p + ".file_sd_configs[" + j + "]", sc.fileSdConfigs().get(j), problems);
    }
    for (int j = 0; j < sc.httpSdConfigs().size(); j++) {
      HttpSdConfig hs = sc.httpSdConfigs().get(j);
      String hp = p + ".http_sd_configs[" + j + "]";
      if (hs == null) {
        problems.add(new ConfigProblem(hp, "empty or null http_sd config; expected a map with at least a url"));
      } else {
        checkHttpSd(hp, hs, problems);
      }
    }
    problems.addAll(RelabelConfig.validateAll(p + ".relabel_configs", sc.relabelConfigs(), utf8));
    problems.addAll(RelabelConfig.validateAll(p + ".metric_relabel_configs", sc.metricRelabelConfigs(), utf8));
  }

  /** The value of one of the service discoveries Sluice lacks, by its name ({@code kubernetes}). */
  static JsonNode otherDiscovery(ScrapeConfig sc, String name) {
    return switch (name) {
      case "azure" -> sc.azureSdConfigs();
      case "consul" -> sc.consulSdConfigs();
      case "digitalocean" -> sc.digitaloceanSdConfigs();
      case "docker" -> sc.dockerSdConfigs();
      case "dockerswarm" -> sc.dockerswarmSdConfigs();
      case "dns" -> sc.dnsSdConfigs();
      case "ec2" -> sc.ec2SdConfigs();
      case "eureka" -> sc.eurekaSdConfigs();
      case "gce" -> sc.gceSdConfigs();
      case "hetzner" -> sc.hetznerSdConfigs();
      case "ionos" -> sc.ionosSdConfigs();
      case "kubernetes" -> sc.kubernetesSdConfigs();
      case "kuma" -> sc.kumaSdConfigs();
      case "lightsail" -> sc.lightsailSdConfigs();
      case "linode" -> sc.linodeSdConfigs();
      case "marathon" -> sc.marathonSdConfigs();
      case "nerve" -> sc.nerveSdConfigs();
      case "nomad" -> sc.nomadSdConfigs();
      case "oci" -> sc.ociSdConfigs();
      case "openstack" -> sc.openstackSdConfigs();
      case "outscale" -> sc.outscaleSdConfigs();
      case "ovhcloud" -> sc.ovhcloudSdConfigs();
      case "puppetdb" -> sc.puppetdbSdConfigs();
      case "scaleway" -> sc.scalewaySdConfigs();
      case "serverset" -> sc.serversetSdConfigs();
      case "stackit" -> sc.stackitSdConfigs();
      case "triton" -> sc.tritonSdConfigs();
      case "uyuni" -> sc.uyuniSdConfigs();
      case "vultr" -> sc.vultrSdConfigs();
      default -> throw new IllegalArgumentException(name);
    };
  }

  private static void checkStatic(String sp, StaticConfig st, boolean checkTargets, boolean utf8,
      List<ConfigProblem> problems) {
    if (st == null) {
      problems.add(new ConfigProblem(sp, "empty or null section in static_configs; expected a map such as"
          + " {targets: [\"host:port\"], labels: {...}}"));
      return;
    }
    for (int k = 0; k < st.targets().size(); k++) {
      // As in Prometheus, addresses are only checked when no target relabeling may rewrite them.
      String problem = checkTargets || st.targets().get(k) == null ? Targets.addressProblem(st.targets().get(k)) : null;
      if (problem != null) {
        problems.add(new ConfigProblem(sp + ".targets[" + k + "]", problem));
      }
    }
    for (String name : st.labels().keySet()) {
      if (!labelName(name, utf8)) {
        problems.add(new ConfigProblem(sp + ".labels." + name, "\"" + name + "\" is not a valid label name"
            + nameRule(utf8)));
      }
    }
  }

  private static void checkFileSd(String fp, FileSdConfig fs, List<ConfigProblem> problems) {
    if (fs == null) {
      problems.add(new ConfigProblem(fp, "empty or null file_sd config; expected a map with files: [...]"));
      return;
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
  }

  private static void checkHttpSd(String hp, HttpSdConfig hs, List<ConfigProblem> problems) {
    if (hs.url().isEmpty()) {
      problems.add(new ConfigProblem(hp + ".url", "URL is missing: the address that lists the targets,"
          + " such as \"http://sd.internal:8080/targets\""));
    } else {
      String problem = httpUrlProblem(hs.url());
      if (problem != null) {
        problems.add(new ConfigProblem(hp + ".url", problem));
      }
    }
    checkHttpClient(hp, hs, problems);
  }

  /** What is wrong with an http_sd URL, or null. */
  static String httpUrlProblem(String url) {
    if (!url.contains("://")) {
      return "\"" + url + "\": URL scheme must be 'http' or 'https'; did you mean \"http://" + url + "\"?";
    }
    String rest = url.substring(url.indexOf("://") + 3);
    if (rest.isEmpty() || rest.startsWith("/") || rest.startsWith("?") || rest.startsWith("#")) {
      return "\"" + url + "\": host is missing in URL; write it as http://host:port/path";
    }
    return urlProblem(url, List.of("http", "https"), "URL scheme must be 'http' or 'https'", "http://host:port/path");
  }

  /** What is wrong with a proxy_url for Sluice, or null. */
  static String proxyUrlProblem(String url) {
    return urlProblem(url, List.of("http", "socks5"), "Sluice connects through http:// and socks5:// proxies",
        "http://host:port");
  }

  /** What is wrong with a URL that must have one of these schemes and a host, or null. */
  private static String urlProblem(String url, List<String> schemes, String schemeRule, String example) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "\"" + url + "\" is not a valid URL: " + e.getReason();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!schemes.contains(scheme)) {
      return "\"" + url + "\": " + schemeRule + ", got \"" + uri.getScheme() + "\"; write it as " + example;
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "\"" + url + "\": host is missing in URL; write it as " + example;
    }
    return null;
  }

  /** The HTTP client keys a scrape config and an http_sd config share, as Prometheus checks them. */
  private static void checkHttpClient(String p, HttpClientKeys c, List<ConfigProblem> problems) {
    boolean bearer = c.bearerToken() != null && !c.bearerToken().isEmpty();
    boolean bearerFile = c.bearerTokenFile() != null && !c.bearerTokenFile().isEmpty();
    readable(p + ".bearer_token_file", c.bearerTokenFile(), problems);
    if (c.basicAuth() != null) {
      readable(p + ".basic_auth.username_file", c.basicAuth().usernameFile(), problems);
      readable(p + ".basic_auth.password_file", c.basicAuth().passwordFile(), problems);
    }
    if (c.authorization() != null) {
      readable(p + ".authorization.credentials_file", c.authorization().credentialsFile(), problems);
    }
    if (bearer && bearerFile) {
      problems.add(new ConfigProblem(p + ".bearer_token_file",
          "at most one of bearer_token & bearer_token_file must be configured"));
    }
    BasicAuth basic = c.basicAuth();
    boolean oauth2 = c.oauth2() != null && !c.oauth2().isNull();
    if ((basic != null || oauth2) && (bearer || bearerFile)) {
      problems.add(new ConfigProblem(p + (bearer ? ".bearer_token" : ".bearer_token_file"),
          "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"));
    }
    if (oauth2 && c.oauth2().isObject()) {
      JsonNode o = c.oauth2();
      if (o.path("client_id").asText("").isEmpty()) {
        problems.add(new ConfigProblem(p + ".oauth2.client_id", "oauth2 client_id must be configured"));
      }
      if (o.path("token_url").asText("").isEmpty()) {
        problems.add(new ConfigProblem(p + ".oauth2.token_url", "oauth2 token_url must be configured"));
      } else {
        String problem = urlProblem(o.path("token_url").asText(), List.of("http", "https"),
            "URL scheme must be 'http' or 'https'", "https://host/oauth2/token");
        if (problem != null) {
          problems.add(new ConfigProblem(p + ".oauth2.token_url", problem));
        }
      }
      atMostOne(p + ".oauth2", problems, "client_secret", o.path("client_secret").asText(""), "client_secret_file",
          o.path("client_secret_file").asText(""));
      readable(p + ".oauth2.client_secret_file", o.path("client_secret_file").asText(""), problems);
    } else if (oauth2) {
      problems.add(new ConfigProblem(p + ".oauth2", "expected a map such as {client_id: ..., client_secret: ...,"
          + " token_url: ...}, got " + c.oauth2()));
    }
    if (basic != null && oauth2) {
      problems.add(new ConfigProblem(p + ".oauth2", "at most one of basic_auth, oauth2 & authorization must be"
          + " configured"));
    }
    if (basic != null) {
      atMostOne(p + ".basic_auth", problems, "username", basic.username(), "username_file", basic.usernameFile(),
          "username_ref", basic.usernameRef());
      atMostOne(p + ".basic_auth", problems, "password", basic.password(), "password_file", basic.passwordFile(),
          "password_ref", basic.passwordRef());
    }
    Authorization auth = c.authorization();
    if (auth != null) {
      if (bearer || bearerFile) {
        problems.add(new ConfigProblem(p + ".authorization",
            "authorization is not compatible with bearer_token & bearer_token_file"));
      }
      if (basic != null || oauth2) {
        problems.add(new ConfigProblem(p + ".authorization",
            "at most one of basic_auth, oauth2 & authorization must be configured"));
      }
      if (auth.type().equalsIgnoreCase("basic")) {
        problems.add(new ConfigProblem(p + ".authorization.type",
            "authorization type cannot be set to \"basic\"; use basic_auth instead"));
      }
      atMostOne(p + ".authorization", problems, "credentials", auth.credentials(), "credentials_file",
          auth.credentialsFile(), "credentials_ref", auth.credentialsRef());
    }
    boolean proxyUrl = c.proxyUrl() != null && !c.proxyUrl().isEmpty();
    if (proxyUrl) {
      String problem = proxyUrlProblem(c.proxyUrl());
      if (problem != null) {
        problems.add(new ConfigProblem(p + ".proxy_url", problem));
      }
    }
    if (Boolean.TRUE.equals(c.proxyFromEnvironment()) && proxyUrl) {
      problems.add(new ConfigProblem(p + ".proxy_url",
          "if proxy_from_environment is configured, proxy_url must not be configured"));
    }
    if (c.noProxy() != null && !c.noProxy().isEmpty() && !proxyUrl) {
      problems.add(new ConfigProblem(p + ".no_proxy", "if no_proxy is configured, proxy_url must also be configured"));
    }
    TlsConfig tls = c.tlsConfig();
    if (tls == null) {
      return;
    }
    String tp = p + ".tls_config";
    atMostOne(tp, problems, "ca", tls.ca(), "ca_file", tls.caFile(), "ca_ref", tls.caRef());
    atMostOne(tp, problems, "cert", tls.cert(), "cert_file", tls.certFile(), "cert_ref", tls.certRef());
    atMostOne(tp, problems, "key", tls.key(), "key_file", tls.keyFile(), "key_ref", tls.keyRef());
    boolean cert = !tls.cert().isEmpty() || !tls.certFile().isEmpty() || !tls.certRef().isEmpty();
    boolean key = !tls.key().isEmpty() || !tls.keyFile().isEmpty() || !tls.keyRef().isEmpty();
    if (cert && !key) {
      problems.add(new ConfigProblem(tp + ".key_file", "exactly one of key or key_file must be configured when a"
          + " client certificate (cert_file or cert) is configured; give the client certificate's private key too"));
    }
    if (key && !cert) {
      problems.add(new ConfigProblem(tp + ".cert_file", "exactly one of cert or cert_file must be configured when a"
          + " client key (key_file or key) is configured; give the client certificate too"));
    }
    readable(tp + ".ca_file", tls.caFile(), problems);
    readable(tp + ".cert_file", tls.certFile(), problems);
    readable(tp + ".key_file", tls.keyFile(), problems);
    for (String[] v : new String[][] {{"min_version", tls.minVersion()}, {"max_version", tls.maxVersion()}}) {
      if (!v[1].isEmpty() && jdkTlsVersion(v[1]) == null) {
        problems.add(new ConfigProblem(tp + "." + v[0], "unknown TLS version: " + v[1]
            + "; use TLS10, TLS11, TLS12 or TLS13"));
      }
    }
  }

  /**
   * A file the receiver reads when it starts must be there: Sluice refuses at load what would
   * otherwise fail its start (Prometheus loads the config and fails the job's scrapes).
   */
  private static void readable(String key, String file, List<ConfigProblem> problems) {
    if (file == null || file.isEmpty()) {
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

  private static void atMostOne(String p, List<ConfigProblem> problems, String... keysAndValues) {
    List<String> set = new ArrayList<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null && !keysAndValues[i + 1].isEmpty()) {
        set.add(keysAndValues[i]);
      }
    }
    if (set.size() > 1) {
      problems.add(new ConfigProblem(p + "." + set.get(1), "at most one of " + String.join(" & ", set)
          + " must be configured"));
    }
  }

  private static void checkProtocols(String key, List<String> protocols, String context,
      List<ConfigProblem> problems) {
    if (protocols.isEmpty()) {
      problems.add(new ConfigProblem(key, "scrape_protocols cannot be empty " + context + "; leave the key out for"
          + " the default, or list some of " + PromFormats.supportedProtocols()));
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < protocols.size(); i++) {
      String sp = protocols.get(i);
      if (sp == null || !PromFormats.SCRAPE_PROTOCOLS.containsKey(sp)) {
        problems.add(new ConfigProblem(key + "[" + i + "]", "scrape_protocols: unknown scrape protocol " + sp
            + ", supported: " + PromFormats.supportedProtocols() + " " + context + " (names are case sensitive)"));
      } else if (!seen.add(sp.toLowerCase(Locale.ROOT))) {
        problems.add(new ConfigProblem(key + "[" + i + "]", "duplicated protocol in scrape_protocols, got "
            + protocols + " " + context));
      }
    }
  }

  private static void checkSize(String key, String size, List<ConfigProblem> problems) {
    if (size.isEmpty()) {
      return;
    }
    try {
      PromFormats.parseSize(size);
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem(key, "\"" + size + "\" is not a size: " + e.getMessage()));
    }
  }

  /** Keys and their values, in pairs: each set one must not be negative (Prometheus reads them as unsigned). */
  private static void checkUnsigned(String p, List<ConfigProblem> problems, Object... keysAndValues) {
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] instanceof Number value && value.doubleValue() < 0) {
        problems.add(new ConfigProblem(p + "." + keysAndValues[i], "must be 0 or more (an unsigned integer), got "
            + value));
      }
    }
  }
}

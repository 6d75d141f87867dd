package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.ConfigProblem;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.BasicAuth;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpClientKeys;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.PromConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys of a Prometheus configuration that Sluice accepts, so that the config loads as in
 * Prometheus, but that change nothing here: one warning each, with its key path and why.
 * Prometheus' rule and query keys of {@code global} are left out: they are for a server that
 * evaluates rules and answers queries, and ignored here as the Collector ignores them.
 */
final class PromConfigWarnings {
  private PromConfigWarnings() {}

  private static final Map<String, String> SECTIONS = sections();

  /** The keys of an oauth2 block beyond the client credentials grant. */
  private static final List<String> OAUTH2_WITHOUT_EFFECT = List.of("tls_config", "proxy_url", "no_proxy",
      "proxy_from_environment", "proxy_connect_header", "client_secret_ref", "client_certificate_key",
      "client_certificate_key_file", "client_certificate_key_id", "client_certificate_key_ref", "grant_type",
      "signature_algorithm", "iss", "audience", "claims");

  private static Map<String, String> sections() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("runtime", "Sluice is not a Go process");
    m.put("rule_files", "Sluice evaluates no recording or alerting rules");
    m.put("alerting", "Sluice sends no alerts");
    m.put("remote_write", "the receiver only scrapes; send with a prometheusremotewrite exporter in a pipeline");
    m.put("remote_read", "Sluice answers no queries");
    m.put("storage", "Sluice keeps no TSDB");
    m.put("tracing", "Sluice's own traces are not configured here");
    m.put("otlp", "the receiver does not take OTLP; use an otlp receiver");
    return m;
  }

  static List<ConfigProblem> of(PromConfig config) {
    List<ConfigProblem> out = new ArrayList<>();
    Map<String, Object> sections = new LinkedHashMap<>();
    sections.put("runtime", config.runtime());
    sections.put("rule_files", config.ruleFiles().isEmpty() ? null : config.ruleFiles());
    sections.put("alerting", config.alerting());
    sections.put("remote_write", config.remoteWrite());
    sections.put("remote_read", config.remoteRead());
    sections.put("storage", config.storage());
    sections.put("tracing", config.tracing());
    sections.put("otlp", config.otlp());
    sections.forEach((key, value) -> {
      if (value != null && !(value instanceof JsonNode n && n.isNull())) {
        out.add(new ConfigProblem("config." + key, "has no effect in Sluice's prometheus receiver: "
            + SECTIONS.get(key)));
      }
    });
    GlobalConfig g = config.global();
    String gp = "config.global";
    if (g.scrapeFailureLogFile() != null && !g.scrapeFailureLogFile().isEmpty()) {
      out.add(noEffect(gp + ".scrape_failure_log_file", "failed scrapes are logged and set up to 0"));
    }
    keepDropped(gp, out, g.keepDroppedTargets());
    histograms(gp, out, g.scrapeNativeHistograms(), g.convertClassicHistogramsToNhcb());
    if (g.scrapeProtocols() != null && g.scrapeProtocols().contains(PromFormats.PROTOBUF)) {
      out.add(protobuf(gp + ".scrape_protocols"));
    }
    List<ScrapeConfig> scrapes = config.scrapeConfigs();
    for (int i = 0; i < scrapes.size(); i++) {
      ScrapeConfig sc = scrapes.get(i);
      if (sc != null) {
        scrape("config.scrape_configs[" + i + "]", sc, out);
      }
    }
    return out;
  }

  /** The warnings of one job (of the main config or an included file). */
  static void scrape(String p, ScrapeConfig sc, List<ConfigProblem> out) {
    if (sc.scrapeFailureLogFile() != null && !sc.scrapeFailureLogFile().isEmpty()) {
      out.add(noEffect(p + ".scrape_failure_log_file", "failed scrapes are logged and set up to 0"));
    }
    keepDropped(p, out, sc.keepDroppedTargets());
    histograms(p, out, sc.scrapeNativeHistograms(), sc.convertClassicHistogramsToNhcb());
    if (sc.nativeHistogramBucketLimit() != null && sc.nativeHistogramBucketLimit() != 0
        || sc.nativeHistogramMinBucketFactor() != null && sc.nativeHistogramMinBucketFactor() != 0) {
      out.add(noEffect(p + ".native_histogram_bucket_limit", "Sluice scrapes no native histograms (they come"
          + " only in the protobuf format)"));
    }
    if (sc.scrapeProtocols() != null && sc.scrapeProtocols().contains(PromFormats.PROTOBUF)) {
      out.add(protobuf(p + ".scrape_protocols"));
    }
    if (PromFormats.PROTOBUF.equals(sc.fallbackScrapeProtocol())) {
      out.add(noEffect(p + ".fallback_scrape_protocol", "Sluice cannot read PrometheusProto bodies; bodies of"
          + " an unknown type are read as PrometheusText0.0.4"));
    }
    httpClient(p, sc, out);
    for (int j = 0; j < sc.httpSdConfigs().size(); j++) {
      HttpSdConfig hs = sc.httpSdConfigs().get(j);
      if (hs != null) {
        httpClient(p + ".http_sd_configs[" + j + "]", hs, out);
      }
    }
  }

  private static void keepDropped(String p, List<ConfigProblem> out, Long keepDropped) {
    if (keepDropped != null && keepDropped != 0) {
      out.add(noEffect(p + ".keep_dropped_targets", "Sluice keeps no list of dropped targets"));
    }
  }

  private static void histograms(String p, List<ConfigProblem> out, Boolean nativeHistograms, Boolean nhcb) {
    if (Boolean.TRUE.equals(nativeHistograms)) {
      out.add(noEffect(p + ".scrape_native_histograms", "Sluice cannot read the protobuf exposition format that"
          + " carries native histograms; classic histograms are scraped"));
    }
    if (Boolean.TRUE.equals(nhcb)) {
      out.add(noEffect(p + ".convert_classic_histograms_to_nhcb", "classic histograms stay classic (OTLP"
          + " explicit-bucket histograms, which carry the same buckets)"));
    }
  }

  private static void httpClient(String p, HttpClientKeys c, List<ConfigProblem> out) {
    if (c.oauth2() != null && c.oauth2().isObject()) {
      for (String key : OAUTH2_WITHOUT_EFFECT) {
        if (c.oauth2().has(key) && !c.oauth2().get(key).isNull()) {
          out.add(noEffect(p + ".oauth2." + key, "Sluice fetches tokens with the client credentials grant, with the"
              + " job's own connection settings"));
        }
      }
    }
    if (c.proxyConnectHeader() != null && !c.proxyConnectHeader().isNull()) {
      out.add(noEffect(p + ".proxy_connect_header", "Sluice sends no extra headers to the proxy"));
    }
    BasicAuth basic = c.basicAuth();
    boolean refs = basic != null && (!basic.usernameRef().isEmpty() || !basic.passwordRef().isEmpty())
        || c.authorization() != null && !c.authorization().credentialsRef().isEmpty()
        || c.tlsConfig() != null && (!c.tlsConfig().caRef().isEmpty() || !c.tlsConfig().certRef().isEmpty()
        || !c.tlsConfig().keyRef().isEmpty());
    if (refs) {
      out.add(noEffect(p, "the *_ref keys name secrets of a secret manager, which Sluice does not have; use the"
          + " *_file keys"));
    }
  }

  private static ConfigProblem protobuf(String key) {
    return noEffect(key, "Sluice cannot read the PrometheusProto format; it is left out of the Accept header and"
        + " the text formats are asked for");
  }

  private static ConfigProblem noEffect(String key, String why) {
    return new ConfigProblem(key, "has no effect in Sluice: " + why);
  }
}

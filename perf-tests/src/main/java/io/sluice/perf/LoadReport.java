package io.sluice.perf;

import io.sluice.core.ledger.ItemLedger;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The report of a {@code sluice-load run}: a Markdown summary (what was sent and answered, the
 * latency, and per stream what the sink received: lost, duplicated, reordered, with the numbers of
 * the lost items; the sender and the sink book into one ledger), and one self-contained HTML page with the same summary and plots drawn by uPlot,
 * whose script and style are inlined from its webjar (the page loads nothing from elsewhere).
 */
final class LoadReport {
  /** Lost or missing ranges named per stream, at most. */
  static final int RANGES_SHOWN = 20;
  private static final String UPLOT = "META-INF/resources/webjars/uplot/";

  private final SluiceLoad.Options o;
  private final ItemLedger ledger;
  private final CountingSink sink;
  private final LoadGenerator gen;
  private final SluiceLoad.Timeline timeline;
  private final double seconds;
  private final boolean drained;

  LoadReport(SluiceLoad.Options o, ItemLedger ledger, CountingSink sink, LoadGenerator gen,
      SluiceLoad.Timeline timeline, double seconds, boolean drained) {
    this.o = o;
    this.ledger = ledger;
    this.sink = sink;
    this.gen = gen;
    this.timeline = timeline;
    this.seconds = seconds;
    this.drained = drained;
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    ItemLedger.Counts c = ledger.counts();
    Histogram h = timeline.total();
    md.append("# sluice-load report\n\n");
    md.append(String.format(Locale.ROOT, "Target: %s, %s; %s for %.1f s; %d %s a request over %d streams.%n%n",
        o.target(), o.signal().lowerName(), o.load(), seconds, o.shape().itemsPerRequest(), o.signal().items,
        o.shape().streams()));
    md.append(String.format(Locale.ROOT, "Shape: %d resources, %d attributes of %d values each%s.%n%n",
        o.shape().resources(), o.shape().attributes(), o.shape().attributeValues(), switch (o.signal()) {
          case TRACES -> ", " + o.shape().spansPerTrace() + " spans a trace, " + o.shape().spanEvents() + " events a span";
          case METRICS -> ", " + o.shape().metrics() + " metric names";
          case LOGS -> "";
        }));
    md.append("| | |\n|---|---:|\n");
    row(md, "Items sent", c.sent());
    row(md, "Acknowledged", c.acknowledged());
    row(md, "Refused", c.refused());
    c.refusedBy().forEach((reason, n) -> row(md, "&nbsp;&nbsp;refused: " + reason, n));
    row(md, "Unanswered", c.unanswered());
    md.append(String.format(Locale.ROOT, "| Acknowledged per second | %,.0f |%n", c.acknowledged() / seconds));
    md.append(String.format(Locale.ROOT, "| Latency p50 / p90 / p99 / p99.9 / max | %s / %s / %s / %s / %s |%n",
        pct(h, 50), pct(h, 90), pct(h, 99), pct(h, 99.9), h.getTotalCount() == 0 ? "-"
            : SluiceLoad.Timeline.ms(h.getMaxValue() / 1e6)));
    md.append("\nLatency: from each request's intended send time (at a fixed rate, its place in the schedule, so"
        + " a request sent late because the target held the sender back counts the wait: no coordinated"
        + " omission) to its answer; accepted requests only.\n");
    if (!gen.failureSummary().isEmpty()) {
      md.append("\nFailures (an example per kind): ").append(gen.failureSummary()).append('\n');
    }
    if (!drained) {
      md.append("\nNOTE: requests were still unanswered when the drain time (").append(Durations.format(o.drain()))
          .append(") ended.\n");
    }
    if (sink == null) {
      md.append("\nNo sink: run with `--sink PORT` and point the gateway's exporter there to account for every"
          + " item (loss, duplication, reordering per stream).\n");
    } else {
      md.append(delivery());
    }
    md.append("\nFiles: `report.md` (this), `report.html` (plots), `latency.hlog` (HdrHistogram interval log,"
        + " one histogram a second, in nanoseconds).\n");
    return md.toString();
  }

  private String delivery() {
    StringBuilder md = new StringBuilder();
    md.append("\n## Delivery to the sink\n\n");
    md.append("| stream | sent | acknowledged | refused | delivered | lost | duplicated | reordered |"
        + " delivered unacknowledged |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    long lost = 0;
    long duplicated = 0;
    long reordered = 0;
    StringBuilder losses = new StringBuilder();
    for (int source : ledger.sources()) {
      ItemLedger.Counts a = ledger.counts(source);
      lost += a.lost();
      duplicated += a.duplicated();
      reordered += a.reordered();
      md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d | %d | %d | %d |%n", source, a.sent(),
          a.acknowledged(), a.refused(), a.delivered(), a.lost(), a.duplicated(), a.reordered(),
          a.deliveredUnacknowledged()));
      List<ItemLedger.Range> lostRanges = ledger.lostRanges(source, RANGES_SHOWN);
      if (!lostRanges.isEmpty()) {
        losses.append("- LOST: stream ").append(source).append(", items ")
            .append(lostRanges.stream().map(Object::toString).collect(Collectors.joining(", ")))
            .append(lostRanges.size() == RANGES_SHOWN ? ", ..." : "")
            .append(" (").append(a.lost()).append(' ').append(o.signal().items).append(")\n");
      }
    }
    md.append(String.format(Locale.ROOT, "%nIn all: %d lost, %d duplicated, %d reordered.%n", lost, duplicated,
        reordered));
    if (losses.length() > 0) {
      md.append("\nAcknowledged items that never reached the sink:\n\n").append(losses);
    }
    if (sink.unnumberedItems() > 0) {
      md.append(String.format(Locale.ROOT, "%nThe sink also received %d items without this run's numbers"
          + " (another sender's, items a gateway makes, such as remote write's target_info, or ids rewritten"
          + " on the way).%n", sink.unnumberedItems()));
    }
    if (sink.invalidRequests() > 0) {
      md.append("\nThe sink refused ").append(sink.invalidRequests()).append(" requests; the first: ")
          .append(sink.firstProblem()).append('\n');
    }
    if (!sink.droppedRanges().isEmpty()) {
      md.append("\nFault injected (`--sink-drop`): the sink acknowledged and threw away ")
          .append(String.join("; ", sink.droppedRanges())).append(".\n");
    }
    md.append("\nLost: acknowledged by the gateway, never delivered. Duplicated: delivered again. Reordered:"
        + " delivered after an item of its stream with a higher number (requests of one stream sent"
        + " concurrently may also overtake each other on the way in).\n");
    return md.toString();
  }

  private static void row(StringBuilder md, String name, long n) {
    md.append(String.format(Locale.ROOT, "| %s | %,d |%n", name, n));
  }

  private static String pct(Histogram h, double p) {
    return h.getTotalCount() == 0 ? "-" : SluiceLoad.Timeline.ms(h.getValueAtPercentile(p) / 1e6);
  }

  /** What a standalone sink received, per stream. */
  static String sinkMarkdown(CountingSink sink) {
    ItemLedger l = sink.ledger();
    StringBuilder md = new StringBuilder("# sluice-load sink report\n\n");
    md.append(String.format(Locale.ROOT, "%,d requests, %,d items (%,d without numbers).%n%n", sink.requests(),
        sink.items(), sink.unnumberedItems()));
    md.append("| stream | received | delivered | missing | duplicated | reordered |\n"
        + "|---:|---:|---:|---:|---:|---:|\n");
    StringBuilder gaps = new StringBuilder();
    for (int source : l.sources()) {
      ItemLedger.Counts c = l.counts(source);
      long missing = l.gapCount(source);
      md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %d |%n", source, c.received(), c.delivered(),
          missing, c.duplicated(), c.reordered()));
      List<ItemLedger.Range> g = l.gaps(source, RANGES_SHOWN);
      if (!g.isEmpty()) {
        gaps.append("- MISSING: stream ").append(source).append(", items ")
            .append(g.stream().map(Object::toString).collect(Collectors.joining(", ")))
            .append(g.size() == RANGES_SHOWN ? ", ..." : "").append('\n');
      }
    }
    md.append("\nMissing: numbers below the highest received of a stream that never arrived (without the"
        + " sender's accounts, a lost tail of a stream does not show).\n");
    if (gaps.length() > 0) {
      md.append('\n').append(gaps);
    }
    if (sink.invalidRequests() > 0) {
      md.append("\nRefused ").append(sink.invalidRequests()).append(" requests; the first: ")
          .append(sink.firstProblem()).append('\n');
    }
    return md.toString();
  }

  // ---- HTML --------------------------------------------------------------------------------------

  String html() {
    List<SluiceLoad.Timeline.Tick> ticks = timeline.ticks();
    StringBuilder data = new StringBuilder("{\n");
    data.append("\"t\":").append(series(ticks, SluiceLoad.Timeline.Tick::seconds)).append(",\n");
    data.append("\"accepted\":").append(series(ticks, SluiceLoad.Timeline.Tick::acceptedPerSecond)).append(",\n");
    data.append("\"delivered\":").append(sink == null ? "null"
        : series(ticks, SluiceLoad.Timeline.Tick::deliveredPerSecond)).append(",\n");
    data.append("\"p50\":").append(series(ticks, SluiceLoad.Timeline.Tick::p50)).append(",\n");
    data.append("\"p99\":").append(series(ticks, SluiceLoad.Timeline.Tick::p99)).append(",\n");
    data.append("\"max\":").append(series(ticks, SluiceLoad.Timeline.Tick::max)).append(",\n");
    StringBuilder px = new StringBuilder("[");
    StringBuilder pv = new StringBuilder("[");
    Histogram h = timeline.total();
    if (h.getTotalCount() > 0) {
      for (HistogramIterationValue v : h.percentiles(5)) {
        double p = v.getPercentileLevelIteratedTo();
        if (p >= 100) {
          break;
        }
        px.append(px.length() > 1 ? "," : "").append(String.format(Locale.ROOT, "%.6g", 100 / (100 - p)));
        pv.append(pv.length() > 1 ? "," : "").append(String.format(Locale.ROOT, "%.4f",
            v.getValueIteratedTo() / 1e6));
      }
    }
    data.append("\"pctX\":").append(px).append("],\n\"pctV\":").append(pv).append("],\n");
    data.append("\"items\":\"").append(o.signal().items).append("\"\n}");
    return TEMPLATE
        .replace("/*UPLOT_CSS*/", uplot("uPlot.min.css"))
        .replace("/*UPLOT_JS*/", uplot("uPlot.iife.min.js").replace("</script", "<\\/script"))
        .replace("/*DATA*/", data)
        .replace("<!--SUMMARY-->", "<pre>" + escape(markdown()) + "</pre>");
  }

  private static String series(List<SluiceLoad.Timeline.Tick> ticks,
      java.util.function.ToDoubleFunction<SluiceLoad.Timeline.Tick> f) {
    return ticks.stream().map(t -> String.format(Locale.ROOT, "%.4f", f.applyAsDouble(t)))
        .collect(Collectors.joining(",", "[", "]"));
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** A file of the uPlot webjar (on the class path through pipeline-core, which bundles it for the status page). */
  static String uplot(String file) {
    ClassLoader cl = LoadReport.class.getClassLoader();
    Properties p = new Properties();
    try (InputStream in = cl.getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the uPlot webjar is not on the class path; rebuild with mvn -B package");
      }
      p.load(in);
      String name = UPLOT + p.getProperty("version") + "/dist/" + file;
      try (InputStream f = cl.getResourceAsStream(name)) {
        if (f == null) {
          throw new IllegalStateException(name + " is not in the uPlot webjar");
        }
        return new String(f.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String TEMPLATE = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <title>sluice-load report</title>
      <style>/*UPLOT_CSS*/</style>
      <style>
      body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
      pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
      h2 { font-size: 1.1em; margin-top: 1.5em; }
      </style>
      </head>
      <body>
      <h1>sluice-load report</h1>
      <h2>Throughput</h2><div id="throughput"></div>
      <h2>Latency over time</h2><div id="latency"></div>
      <h2>Latency by percentile (whole run)</h2><div id="percentiles"></div>
      <h2>Summary</h2>
      <!--SUMMARY-->
      <script>/*UPLOT_JS*/</script>
      <script>
      const d = /*DATA*/;
      const width = Math.min(1000, document.body.clientWidth - 20);
      const ms = (u, v) => v.map(x => x == null ? "" : x + " ms");
      const tp = [{label: "time (s)"}, {label: "accepted " + d.items + "/s", stroke: "#1f77b4", width: 2}];
      const tpData = [d.t, d.accepted];
      if (d.delivered) { tp.push({label: "delivered " + d.items + "/s", stroke: "#2ca02c", width: 2}); tpData.push(d.delivered); }
      new uPlot({width, height: 280, series: tp, scales: {x: {time: false}},
        axes: [{label: "seconds"}, {label: d.items + "/s", size: 80}]}, tpData, document.getElementById("throughput"));
      new uPlot({width, height: 280, scales: {x: {time: false}},
        series: [{label: "time (s)"}, {label: "p50 ms", stroke: "#1f77b4", width: 2},
          {label: "p99 ms", stroke: "#ff7f0e", width: 2}, {label: "max ms", stroke: "#d62728", width: 1}],
        axes: [{label: "seconds"}, {label: "latency", values: ms, size: 80}]},
        [d.t, d.p50, d.p99, d.max], document.getElementById("latency"));
      const pctLabel = x => x == null || x < 1 ? "" : +(100 - 100 / x).toPrecision(6) + "%";
      const decade = x => x != null && Math.abs(Math.log10(x) - Math.round(Math.log10(x))) < 1e-9;
      new uPlot({width, height: 280, scales: {x: {time: false, distr: 3, log: 10}},
        series: [{label: "percentile", value: (u, x) => x == null ? "" : pctLabel(x)},
          {label: "latency ms", stroke: "#9467bd", width: 2}],
        axes: [{label: "percentile", values: (u, v) => v.map(x => decade(x) ? pctLabel(x) : "")}, {label: "latency", values: ms, size: 80}]},
        [d.pctX, d.pctV], document.getElementById("percentiles"));
      </script>
      </body>
      </html>
      """;
}

package io.sluice.receiver.logoperators;

import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code container}: parses the lines container runtimes write and Kubernetes keeps under
 * {@code /var/log/pods}.
 *
 * <ul>
 *   <li>{@code docker} (json-file): {@code {"log":"...\n","stream":"stdout","time":"..."}} — the
 *       log (without its newline) becomes the body, the stream {@code log.iostream}, the time the
 *       timestamp; other keys stay as attributes.
 *   <li>{@code crio} / {@code containerd} (CRI): {@code <RFC 3339 time> <stream> <tag> <log>} —
 *       the tag goes to {@code logtag}. A line tagged {@code P} is a part of a longer line: parts
 *       are held, per file and stream, until the {@code F} part arrives and then sent as one entry
 *       (the last part's fields, the bodies joined), or sent early when they pass {@code
 *       max_log_size} or on {@link OperatorPipeline#flush}.
 * </ul>
 *
 * <p>{@code format} empty detects the format per line. With {@code add_metadata_from_filepath}
 * (default true) the Kubernetes names come from {@code attributes["log.file.path"]}
 * ({@code /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log}, or with backslashes
 * on Windows) into the resource.
 * Docker lines that Docker itself split (16 KiB parts without a newline) are not joined.
 */
final class ContainerParser extends ParserOperator {
  enum Format {
    AUTO, DOCKER, CRIO, CONTAINERD
  }

  private static final Pattern CRI = Pattern.compile("^([^ ]+) (stdout|stderr) ([^ ]*) ?(.*)$", Pattern.DOTALL);
  private static final Pattern POD_PATH = Pattern.compile(
      "^.*[/\\\\]([^_/\\\\]+)_([^_/\\\\]+)_([a-f0-9\\-]+)[/\\\\]([^._/\\\\]+)[/\\\\](\\d+)\\.log$");
  private static final TimeLayout RFC3339 = TimeLayout.gotime("2006-01-02T15:04:05.999999999Z07:00");
  private static final Field FILE_PATH = Field.attribute("log.file.path");

  private final Format format;
  private final boolean addMetadata;
  private final long maxLogSize;
  private final Matcher cri = CRI.matcher("");
  private final Matcher podPath = POD_PATH.matcher("");
  private String lastPath;
  private String[] lastMeta;
  /** Partial CRI lines by file path and stream: the last part seen, its body the text so far. */
  private final Map<String, Pending> pending = new LinkedHashMap<>();

  private static final class Pending {
    LogEntry last;
    final StringBuilder text = new StringBuilder();
  }

  ContainerParser(Format format, boolean addMetadata, long maxLogSize) {
    this.format = format;
    this.addMetadata = addMetadata;
    this.maxLogSize = maxLogSize;
  }

  @Override
  Map<String, Object> parse(Object value, LogEntry e) {
    throw new UnsupportedOperationException("the container operator works in consume");
  }

  @Override
  void consume(LogEntry e, Consumer<LogEntry> out) {
    if (condition != null && !condition.test(e)) {
      forward(e, out);
      return;
    }
    boolean partial;
    try {
      partial = parseLine(e);
    } catch (EntryException x) {
      if (!failed(e, x)) {
        forward(e, out);
      }
      return;
    }
    String key = partial || !pending.isEmpty() ? pendingKey(e) : null;
    if (partial) {
      Pending p = pending.computeIfAbsent(key, k -> new Pending());
      p.text.append((String) e.body());
      p.last = e;
      if (maxLogSize > 0 && p.text.length() >= maxLogSize) {
        pending.remove(key);
        finish(p.last, p.text.toString(), out);
      }
      return;
    }
    Pending p = key == null ? null : pending.remove(key);
    if (p != null) {
      e.body(p.text.append((String) e.body()).toString());
    }
    finish(e, null, out);
  }

  private void finish(LogEntry e, String body, Consumer<LogEntry> out) {
    if (body != null) {
      e.body(body);
    }
    try {
      embedded(e);
    } catch (EntryException x) {
      if (failed(e, x)) {
        return;
      }
    }
    forward(e, out);
  }

  @Override
  void flush(Consumer<LogEntry> out) {
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      it.remove();
      finish(p.last, p.text.toString(), out);
    }
  }

  private static String pendingKey(LogEntry e) {
    Object path = FILE_PATH.get(e);
    Object stream = e.hasAttributes() ? e.attributes().get("log.iostream") : null;
    return path + "\u0000" + stream;
  }

  /** Parses the line into the entry; returns true for a partial CRI line. Unchanged on error. */
  private boolean parseLine(LogEntry e) throws EntryException {
    Object v = parseFrom.get(e);
    if (v == null) {
      throw new EntryException("the entry has no " + parseFrom + " to parse");
    }
    String line = text(v);
    String[] meta = addMetadata ? metadata(e) : null;
    Format f = format;
    if (f == Format.AUTO) {
      f = line.startsWith("{") ? Format.DOCKER : Format.CRIO;
    }
    boolean partial = false;
    if (f == Format.DOCKER) {
      Map<String, Object> json = JsonParser.parseObject(line, false);
      Object log = json.remove("log");
      Object stream = json.remove("stream");
      Object time = json.remove("time");
      if (!(log instanceof String l) || !(time instanceof String t)) {
        throw new EntryException("a docker line needs \"log\" and \"time\" strings: \""
            + RegexParser.abbreviate(line) + "\"");
      }
      long ts = RFC3339.parse(t, ZoneOffset.UTC, Map.of(), 0);
      if (stream != null) {
        json.put("log.iostream", stream);
      }
      e.attributes().putAll(json);
      e.timestamp(ts);
      e.body(l.endsWith("\n") ? l.substring(0, l.length() - 1) : l);
    } else {
      Matcher m = cri.reset(line);
      if (!m.matches()) {
        cri.reset("");
        throw new EntryException("not a " + (format == Format.AUTO ? "docker or CRI" : format.name().toLowerCase(
            java.util.Locale.ROOT)) + " container line: \"" + RegexParser.abbreviate(line) + "\"");
      }
      long ts = RFC3339.parse(m.group(1), ZoneOffset.UTC, Map.of(), 0);
      String tag = m.group(3);
      String log = m.group(4);
      e.attributes().put("log.iostream", m.group(2));
      e.attributes().put("logtag", tag);
      e.timestamp(ts);
      e.body(log);
      partial = tag.startsWith("P");
      cri.reset("");
    }
    if (meta != null) {
      Map<String, Object> r = e.resource();
      r.put("k8s.namespace.name", meta[0]);
      r.put("k8s.pod.name", meta[1]);
      r.put("k8s.pod.uid", meta[2]);
      r.put("k8s.container.name", meta[3]);
      r.put("k8s.container.restart_count", meta[4]);
    }
    return partial;
  }

  private String[] metadata(LogEntry e) throws EntryException {
    Object path = FILE_PATH.get(e);
    if (!(path instanceof String p)) {
      throw new EntryException("attributes[\"log.file.path\"] is missing, so there is no Kubernetes metadata to "
          + "add; set include_file_path: true on the receiver or add_metadata_from_filepath: false");
    }
    if (p.equals(lastPath)) {
      return lastMeta;
    }
    Matcher m = podPath.reset(p);
    if (!m.matches()) {
      throw new EntryException("\"" + p + "\" is not a Kubernetes pod log path "
          + "/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log");
    }
    lastMeta = new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)};
    lastPath = p;
    return lastMeta;
  }
}

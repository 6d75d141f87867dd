package io.sluice.translation.kafka;

import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An encoding of Kafka message values, named as in the Collector's kafka exporter and receiver:
 *
 * <ul>
 *   <li>{@code otlp_proto}: a {@code TracesData}, {@code MetricsData} or {@code LogsData} message,
 *       the same bytes as the {@code Export*ServiceRequest} (every signal, the default);
 *   <li>{@code otlp_json}: the same in OTLP/JSON (every signal);
 *   <li>{@code jaeger_proto}: spans only, one message per span: a Jaeger {@code api_v2}
 *       {@code Span} carrying its process, keyed by trace ID (Jaeger's Kafka format);
 *   <li>{@code raw}: logs only, one message per log record holding its body: bytes as they are,
 *       a string as UTF-8, anything else as JSON. The receiver makes each message a log record
 *       with the message's bytes as its body;
 *   <li>{@code text} and {@code text_<charset>}: receiver only, logs: the message decoded as text
 *       (UTF-8 unless a charset is named) is the body;
 *   <li>{@code json}: receiver only, logs: the message parsed as JSON is the body.
 * </ul>
 *
 * @param name the name as configured, in lower case
 * @param kind which of them
 * @param charset for {@link Kind#TEXT}: the charset; else UTF-8
 */
public record KafkaEncoding(String name, Kind kind, Charset charset) {

  /** The encodings' families. */
  public enum Kind { OTLP_PROTO, OTLP_JSON, RAW, TEXT, JSON, JAEGER_PROTO }

  public static final KafkaEncoding OTLP_PROTO = new KafkaEncoding("otlp_proto", Kind.OTLP_PROTO, StandardCharsets.UTF_8);

  /** Encodings of the Collector's that Sluice does not have. */
  private static final Set<String> OTHERS = Set.of("jaeger_json", "zipkin_proto", "zipkin_json", "zipkin_thrift",
      "azure_resource_logs", "avro");

  /**
   * Parses an encoding name for a signal.
   *
   * @param exporter true for the exporter's side (encoding), false for the receiver's (decoding)
   * @throws IllegalArgumentException saying why the name does not fit and what would
   */
  public static KafkaEncoding parse(String name, Signal signal, boolean exporter) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    List<String> valid = valid(signal, exporter);
    switch (n) {
      case "otlp_proto":
        return OTLP_PROTO;
      case "otlp_json":
        return new KafkaEncoding(n, Kind.OTLP_JSON, StandardCharsets.UTF_8);
      case "jaeger_proto":
        if (signal != Signal.TRACES) {
          throw new IllegalArgumentException("\"jaeger_proto\" encodes spans only; for " + signal + " use one of "
              + String.join(", ", valid));
        }
        return new KafkaEncoding(n, Kind.JAEGER_PROTO, StandardCharsets.UTF_8);
      case "raw":
        if (signal == Signal.LOGS) {
          return new KafkaEncoding(n, Kind.RAW, StandardCharsets.UTF_8);
        }
        break;
      case "json":
        if (signal == Signal.LOGS && !exporter) {
          return new KafkaEncoding(n, Kind.JSON, StandardCharsets.UTF_8);
        }
        break;
      default:
        if ((n.equals("text") || n.startsWith("text_")) && signal == Signal.LOGS && !exporter) {
          return new KafkaEncoding(n, Kind.TEXT, charset(n));
        }
    }
    String why = n.isEmpty() ? "an empty encoding"
        : OTHERS.contains(n) || n.equals("raw") || n.equals("json") || n.startsWith("text")
            ? "\"" + n + "\" is not supported by Sluice's kafka " + (exporter ? "exporter" : "receiver") + " for "
            + signal
            : "\"" + n + "\" is not an encoding (encoding extensions are not supported)";
    throw new IllegalArgumentException(why + "; use one of " + String.join(", ", valid));
  }

  private static Charset charset(String n) {
    if (n.equals("text")) {
      return StandardCharsets.UTF_8;
    }
    String cs = n.substring("text_".length());
    try {
      return Charset.forName(cs);
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      throw new IllegalArgumentException("\"" + n + "\" names the charset \"" + cs + "\", which this JVM does not"
          + " have; use text (UTF-8) or a charset such as text_iso-8859-1, text_shift_jis, text_utf-16");
    }
  }

  /**
   * Adds the problem with a signal's encoding, if any: its own ({@code <signal>.encoding}) or,
   * when it has none, the older top-level {@code encoding}, which applies to it too.
   */
  public static void validate(List<ConfigProblem> problems, Signal signal, String own, String topLevel,
      boolean exporter) {
    String name = own != null ? own : topLevel;
    if (name == null) {
      return;
    }
    try {
      parse(name, signal, exporter);
    } catch (IllegalArgumentException e) {
      problems.add(own != null ? new ConfigProblem(signal.configName() + ".encoding", e.getMessage())
          : new ConfigProblem("encoding", "the top-level encoding applies to " + signal + " too, which has none of"
              + " its own: " + e.getMessage() + "; or set " + signal.configName() + ".encoding"));
    }
  }

  /** The encodings a signal may use on one side. */
  public static List<String> valid(Signal signal, boolean exporter) {
    if (signal == Signal.TRACES) {
      return List.of("otlp_proto", "otlp_json", "jaeger_proto");
    }
    if (signal == Signal.METRICS) {
      return List.of("otlp_proto", "otlp_json");
    }
    return exporter ? List.of("otlp_proto", "otlp_json", "raw")
        : List.of("otlp_proto", "otlp_json", "raw", "text", "text_<charset>", "json");
  }

  /** True for the OTLP encodings, whose messages carry whole resources. */
  public boolean isOtlp() {
    return kind == Kind.OTLP_PROTO || kind == Kind.OTLP_JSON;
  }

  @Override
  public String toString() {
    return name;
  }
}

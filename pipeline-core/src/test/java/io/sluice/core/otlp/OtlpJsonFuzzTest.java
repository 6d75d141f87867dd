package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import io.sluice.core.testkit.fuzz.SdkPayloads;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fuzzing of the OTLP/JSON decoder ({@link OtlpJson}, behind every {@code application/json}
 * request): mutants of the OpenTelemetry SDK's own JSON requests, and documents generated from the
 * request's schema with values of every JSON kind in every field (numbers with huge exponents,
 * integers as strings, ids of the wrong length, nulls, deep nesting).
 *
 * <p>Invariants: nothing escapes but {@link PermanentException} saying what is invalid; no input
 * hangs or allocates more than a multiple of its size; what decodes encodes to JSON that decodes
 * to the same message.
 */
class OtlpJsonFuzzTest {
  static final List<String> DICTIONARY = List.of("{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800",
      "null", "true", "false", "-", "0", "1e999999999", "-1e-999999999", "1E400", "18446744073709551616",
      "9223372036854775808", "\"NaN\"", "\"-Infinity\"", "\"0x1F\"", "\"1.5\"", "\" 1\"", "\"traceId\":",
      "\"spanId\":", "\"timeUnixNano\":", "\"asInt\":", "\"asDouble\":", "\"intValue\":", "\"kind\":",
      "\"attributes\":[{\"key\":\"k\",\"value\":{\"kvlistValue\":{\"values\":[", "\"bytesValue\":\"",
      "\"bucketCounts\":[", "\"severityNumber\":\"SEVERITY_NUMBER_WARN\"", "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":");

  static List<byte[]> seeds(Signal signal) {
    List<byte[]> seeds = new ArrayList<>(SdkPayloads.json(signal));
    Message m = switch (signal) {
      case TRACES -> ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("a", 3, 1)).build();
      case METRICS -> ExportMetricsServiceRequest.newBuilder()
          .addResourceMetrics(TestData.resourceMetrics("a", 2, 1)).build();
      case LOGS -> ExportLogsServiceRequest.newBuilder().addResourceLogs(TestData.resourceLogs("a", 3, 1)).build();
    };
    seeds.add(OtlpJson.encode(m));
    return seeds;
  }

  static Message.Builder builder(Signal signal) {
    return switch (signal) {
      case TRACES -> ExportTraceServiceRequest.newBuilder();
      case METRICS -> ExportMetricsServiceRequest.newBuilder();
      case LOGS -> ExportLogsServiceRequest.newBuilder();
    };
  }

  /** Decodes, and checks that what decoded survives a round trip; throws PermanentException when invalid. */
  static Message decodeAndRoundTrip(Signal signal, byte[] input) {
    Message m = OtlpJson.decode(input, builder(signal));
    Message again = OtlpJson.decode(OtlpJson.encode(m), builder(signal));
    if (!again.equals(m)) {
      throw new AssertionError("decoded, encoded and decoded again, the message changed");
    }
    return m;
  }

  private static void check(FuzzGuard guard, Signal signal, byte[] input) {
    FuzzGuard.Outcome<Message> o = guard.run(input, () -> decodeAndRoundTrip(signal, input));
    if (!o.accepted()) {
      assertThat(o.rejected().getMessage()).as("error message").matches("(?s)(Invalid OTLP/JSON|Malformed JSON).*");
    }
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void mutantsOfSdkRequestsDecodeOrAreRefusedWithAReason(Signal signal) {
    try (FuzzGuard guard = FuzzGuard.of("otlp-json-" + signal.configName(), PermanentException.class)) {
      Fuzz.run(guard, Fuzz.tries(25_000), Mutator.of(seeds(signal), DICTIONARY, 4),
          input -> check(guard, signal, input));
    }
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void documentsGeneratedFromTheSchemaDecodeOrAreRefusedWithAReason(Signal signal) {
    Descriptor type = builder(signal).getDescriptorForType();
    try (FuzzGuard guard = FuzzGuard.of("otlp-json-generated-" + signal.configName(), PermanentException.class)) {
      Fuzz.run(guard, Fuzz.tries(20_000), r -> {
        StringBuilder sb = new StringBuilder();
        new JsonGen(r).message(type, sb, 0);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
      }, input -> check(guard, signal, input));
    }
  }

  /** Writes a JSON document shaped like a message of a descriptor, with values of every kind. */
  static final class JsonGen {
    private final Random r;

    JsonGen(Random r) {
      this.r = r;
    }

    void message(Descriptor d, StringBuilder sb, int depth) {
      sb.append('{');
      List<FieldDescriptor> fields = d.getFields();
      int n = fields.isEmpty() ? 0 : r.nextInt(Math.min(6, fields.size() + 1));
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append(',');
        }
        FieldDescriptor f = fields.get(r.nextInt(fields.size()));
        string(r.nextInt(4) == 0 ? f.getName() : r.nextInt(50) == 0 ? "unknownField" : f.getJsonName(), sb);
        sb.append(':');
        if (r.nextInt(30) == 0) {
          sb.append("null");
        } else if (f.isRepeated()) {
          sb.append('[');
          int k = r.nextInt(depth > 6 ? 2 : 4);
          for (int j = 0; j < k; j++) {
            if (j > 0) {
              sb.append(',');
            }
            value(f, sb, depth);
          }
          sb.append(']');
        } else {
          value(f, sb, depth);
        }
      }
      sb.append('}');
    }

    private void value(FieldDescriptor f, StringBuilder sb, int depth) {
      if (r.nextInt(40) == 0) {
        anyJson(sb, depth); // a value of the wrong kind
        return;
      }
      switch (f.getJavaType()) {
        case MESSAGE -> {
          if (depth > 12) {
            sb.append("{}");
          } else {
            message(f.getMessageType(), sb, depth + 1);
          }
        }
        case STRING -> string(text(), sb);
        case BYTE_STRING -> bytes(f, sb);
        case BOOLEAN -> sb.append(pick("true", "false", "\"true\"", "\"false\"", "1", "\"yes\""));
        case ENUM -> {
          if (r.nextBoolean()) {
            string(f.getEnumType().getValues().get(r.nextInt(f.getEnumType().getValues().size())).getName(), sb);
          } else {
            sb.append(number());
          }
        }
        default -> sb.append(number());
      }
    }

    private void bytes(FieldDescriptor f, StringBuilder sb) {
      int idLength = f.getName().equals("trace_id") ? 16 : f.getName().endsWith("span_id") ? 8 : 0;
      StringBuilder v = new StringBuilder();
      if (idLength > 0 && r.nextInt(4) != 0) {
        int digits = r.nextInt(8) == 0 ? r.nextInt(40) : idLength * 2;
        for (int i = 0; i < digits; i++) {
          v.append("0123456789abcdefABCDEFxg".charAt(r.nextInt(r.nextInt(10) == 0 ? 24 : 16)));
        }
      } else {
        int len = r.nextInt(24);
        for (int i = 0; i < len; i++) {
          v.append("ABCabc019+/-_=".charAt(r.nextInt(14)));
        }
      }
      string(v.toString(), sb);
    }

    private String number() {
      return switch (r.nextInt(16)) {
        case 0 -> "\"" + r.nextLong() + "\"";
        case 1 -> Long.toString(r.nextLong());
        case 2 -> Integer.toString(r.nextInt(1000));
        case 3 -> pick("1e999999999", "-1e999999999", "1e-999999999", "1E400", "2e9", "1e2", "1.0", "-0", "0.5");
        case 4 -> "\"" + pick("1e999999999", "1E+300", "-2e-5", "1.5", "0x10", " 5", "", "+3", "1_000", "NaN",
            "Infinity", "-Infinity", "18446744073709551615", "18446744073709551616", "-9223372036854775809") + "\"";
        case 5 -> r.nextDouble() * Math.pow(10, r.nextInt(40) - 20) + "";
        case 6 -> "1" + "0".repeat(r.nextInt(60));
        case 7 -> "\"" + "9".repeat(1 + r.nextInt(30)) + "\"";
        default -> Integer.toString(r.nextInt(100));
      };
    }

    private String text() {
      return switch (r.nextInt(8)) {
        case 0 -> "";
        case 1 -> "\\u00fc\\ud83d\\ude00 \\n\\t\\\"";
        case 2 -> "\\ud800 lone";
        case 3 -> "x".repeat(r.nextInt(300));
        default -> "name-" + r.nextInt(100);
      };
    }

    private void anyJson(StringBuilder sb, int depth) {
      switch (r.nextInt(6)) {
        case 0 -> sb.append("[]");
        case 1 -> sb.append("{}");
        case 2 -> sb.append(number());
        case 3 -> string(text(), sb);
        case 4 -> sb.append("[".repeat(1 + r.nextInt(depth > 6 ? 3 : 1200))).append(']');
        default -> sb.append(pick("true", "null", "{\"a\":[1,{\"b\":null}]}"));
      }
    }

    private void string(String raw, StringBuilder sb) {
      sb.append('"').append(raw).append('"');
    }

    private String pick(String... options) {
      return options[r.nextInt(options.length)];
    }
  }
}

package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import io.sluice.receiver.filelog.Encodings.Encoding;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Fuzzing of how filelog cuts file bytes into entries ({@link RecordSplitter}, with every
 * encoding and multiline setting), the way the tailer drives it: a file read in buffers of
 * {@code max_log_size} plus some, each split, the rest carried into the next read, the tail
 * flushed at the end. Files are mutants of real log files (lines of every common kind, CRLF,
 * long lines, multi-byte text, stack traces), encoded in the encoding under test.
 *
 * <p>Invariants: splitting never throws, always makes progress (a full buffer or the flushed end
 * is always consumed: the tailer would otherwise read the same bytes forever), consumes every
 * byte of the file, and never emits an entry longer than {@code max_log_size}; with UTF-8 and no
 * multiline the entries are exactly the file's lines, cut at {@code max_log_size}, trimmed, empty
 * ones left out.
 */
class RecordSplitterFuzzTest {
  static final String FILE = String.join("\n",
      "2024-03-01T10:11:12.123Z INFO started",
      "2024-03-01 10:11:12,345 ERROR [main] com.example.App - failed",
      "java.lang.IllegalStateException: boom",
      "\tat com.example.App.main(App.java:10)",
      "\tat java.base/java.lang.Thread.run(Thread.java:833);",
      "{\"log\":\"GET /healthz 200\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:11:12.1Z\"}",
      "time=2024-03-01T10:11:12Z level=warn msg=\"disk almost full\"\r",
      "   indented line with trailing spaces   ",
      "",
      "\u00fc\u00e9\u20ac\u65e5\u672c\u8a9e\ud83d\ude00 multi-byte",
      "x".repeat(300),
      "last line without a newline");

  static final List<String> DICTIONARY = List.of("\n", "\r\n", "\r", "\n\n", "2024-03-01 ", ";", "\t", " ",
      "\u0000", "\u00ff", "\u65e5");

  @ParameterizedTest(name = "{0} max {1} start {2} end {3}")
  @CsvSource(delimiter = '|', value = {
      "utf-8|64|||false",
      "utf-8|1000|||false",
      "utf-8|100|^\\d{4}-||false",
      "utf-8|100|^\\d{4}-||true",
      "utf-8|100||;$|false",
      "utf-16le|64|||false",
      "utf-16be|128|^\\d{4}-||false",
      "nop|64|||false",
      "latin-1|64||;$|true",
      "shift_jis|100|^\\d{4}-||false"})
  void filesOfEveryEncodingSplitIntoEntriesAndAreReadToTheirEnd(String encodingName, int maxBytes, String start,
      String end, boolean omit) {
    Encoding encoding = Encodings.of(encodingName);
    FilelogReceiverConfig.Multiline multiline = start == null && end == null ? null
        : new FilelogReceiverConfig.Multiline(start == null ? "" : start, end == null ? "" : end, omit);
    Charset cs = encoding.charset() == null ? StandardCharsets.UTF_8 : encoding.charset();
    List<byte[]> seeds = List.of(FILE.getBytes(cs), (FILE + "\n").getBytes(cs), "a\nb\n".getBytes(cs));
    List<String> dictionary = new ArrayList<>();
    for (String d : DICTIONARY) {
      if (d.chars().allMatch(c -> c < 0x80) && cs.newEncoder().canEncode(d)) {
        dictionary.add(new String(d.getBytes(cs), StandardCharsets.ISO_8859_1)); // bytes < 0x80 only
      }
    }
    boolean oracle = encoding.name().equals("utf-8") && multiline == null;
    String target = "filelog-split-" + encodingName + "-" + maxBytes + (start == null ? "" : "-start")
        + (end == null ? "" : "-end") + (omit ? "-omit" : "");
    try (FuzzGuard guard = FuzzGuard.of(target)) {
      Fuzz.run(guard, Fuzz.tries(8_000), Mutator.of(seeds, dictionary, 6), file -> {
        int bufSize = maxBytes + 1 + file.length % 97;
        FuzzGuard.Outcome<List<Object>> o = guard.run(file, () -> readAll(encoding, maxBytes, multiline, file,
            bufSize));
        if (!o.accepted()) {
          throw guard.failure("could not be read: " + o.rejected(), file);
        }
        for (Object body : o.value()) {
          // a decoded character comes from at least one byte (an invalid one becomes U+FFFD)
          int len = body instanceof byte[] b ? b.length : ((String) body).length();
          if (len > maxBytes) {
            throw guard.failure("made an entry of " + len + " characters, over max_log_size " + maxBytes, file);
          }
        }
        if (oracle) {
          assertThat(o.value()).as("entries of %s", FuzzGuard.describe(file)).isEqualTo(lines(file, maxBytes));
        }
      });
    }
  }

  /** Reads {@code file} to its end as the tailer does. */
  static List<Object> readAll(Encoding encoding, int maxBytes, FilelogReceiverConfig.Multiline multiline,
      byte[] file, int bufSize) {
    RecordSplitter splitter = new RecordSplitter(encoding, maxBytes, multiline, false, false);
    byte[] buf = new byte[bufSize];
    List<Object> out = new ArrayList<>();
    int offset = 0;
    int rounds = 0;
    while (offset < file.length) {
      if (++rounds > file.length + 10) {
        throw new IllegalStateException("no progress after " + rounds + " reads");
      }
      int n = Math.min(buf.length, file.length - offset);
      System.arraycopy(file, offset, buf, 0, n);
      boolean eof = offset + n >= file.length;
      int used = splitter.split(buf, n, eof, n == buf.length, body -> {
        out.add(body);
        return true;
      });
      if (used < 0 || used > n) {
        throw new IllegalStateException("split said it used " + used + " of " + n + " bytes");
      }
      if (used == 0) {
        throw new IllegalStateException("split used nothing of " + n + " bytes" + (eof ? " at the flushed end"
            : " of a full buffer"));
      }
      offset += used;
    }
    return out;
  }

  /** What UTF-8 lines without multiline must come out as. */
  static List<String> lines(byte[] file, int maxBytes) {
    List<String> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= file.length; i++) {
      if (i == file.length || file[i] == '\n') {
        for (int p = from; p < i || p == from; p += maxBytes) {
          byte[] piece = Arrays.copyOfRange(file, p, Math.min(i, p + maxBytes));
          String s = new String(piece, StandardCharsets.UTF_8);
          if (s.endsWith("\r")) {
            s = s.substring(0, s.length() - 1);
          }
          s = s.strip();
          if (!s.isEmpty()) {
            out.add(s);
          }
          if (i - p <= maxBytes) {
            break;
          }
        }
        from = i + 1;
      }
    }
    return out;
  }
}

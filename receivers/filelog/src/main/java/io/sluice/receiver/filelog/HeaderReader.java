package io.sluice.receiver.filelog;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import io.sluice.receiver.filelog.Encodings.Encoding;
import io.sluice.receiver.logoperators.OperatorConfigException;
import io.sluice.receiver.logoperators.OperatorPipeline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code header} of a file: its first lines while they match {@code header.pattern}. Each
 * header line goes through {@code header.metadata_operators}; the attributes that come out are
 * merged (a later line's value wins) into the header attributes, which every record of the file
 * carries. Header lines are not records. Header lines are whole lines, whatever {@code multiline}
 * says about the records after them.
 *
 * <p>The header is parsed from the file itself, so after a restart it is parsed again from the
 * file's first bytes rather than kept in the checkpoint.
 */
final class HeaderReader {
  /** The operators a header's lines may go through: the parsers, and the field operators. */
  static final Set<String> OPERATOR_TYPES = Set.of("regex_parser", "json_parser", "key_value_parser", "csv_parser",
      "move", "copy", "add", "remove", "retain", "flatten");

  /**
   * A header read from the start of a file.
   *
   * @param attributes the attributes parsed so far
   * @param end the offset in the bytes given just after the last header line
   * @param done whether a line that is no header line was seen (or the header filled the bytes
   *     given): records start at {@code end}
   */
  record Result(Map<String, Object> attributes, int end, boolean done) {}

  private final Pattern pattern;
  private final OperatorPipeline operators;

  HeaderReader(FilelogReceiverConfig.Header header, String componentId) {
    this.pattern = Pattern.compile(header.pattern());
    try {
      this.operators = OperatorPipeline.build(header.metadataOperators(), "header.metadata_operators",
          OperatorPipeline.Options.defaults(componentId));
    } catch (OperatorConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** What is wrong with a {@code header} block, with key paths under {@code header}. */
  static List<ConfigProblem> validate(FilelogReceiverConfig.Header header) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (header.pattern().isEmpty()) {
      problems.add(new ConfigProblem("header.pattern", "is required: a regular expression every header line"
          + " matches, such as '^#'"));
    } else {
      try {
        Pattern.compile(header.pattern());
      } catch (PatternSyntaxException e) {
        problems.add(new ConfigProblem("header.pattern", "\"" + header.pattern()
            + "\" is not a valid regular expression (RE2 syntax): " + e.getMessage()));
      }
    }
    List<Map<String, Object>> ops = header.metadataOperators();
    if (ops.isEmpty()) {
      problems.add(new ConfigProblem("header.metadata_operators", "is required: the operators that parse header"
          + " lines into attributes, such as [{type: regex_parser, regex: '^#(?P<key>\\\\w+): (?P<value>.*)'}]"));
      return problems;
    }
    boolean typesOk = true;
    for (int i = 0; i < ops.size(); i++) {
      Object type = ops.get(i) == null ? null : ops.get(i).get("type");
      if (type != null && !OPERATOR_TYPES.contains(String.valueOf(type))) {
        typesOk = false;
        problems.add(new ConfigProblem("header.metadata_operators[" + i + "].type", "\"" + type
            + "\" cannot parse a header; use one of " + new TreeSet<>(OPERATOR_TYPES)));
      }
    }
    if (typesOk) {
      problems.addAll(OperatorPipeline.validate(ops, "header.metadata_operators"));
    }
    return problems;
  }

  /**
   * Reads the header lines at the start of {@code b[from, len)}. The header ends at the first
   * line that does not match the pattern; while every line so far matches, it is not complete
   * unless the file can grow no more.
   *
   * @param flush the file has not grown for the force-flush period: a last line without its
   *     newline that is no header line ends the header
   * @param complete the file will not grow (compressed, or deleted): what is there is all of it
   */
  Result read(byte[] b, int from, int len, Encoding encoding, boolean flush, boolean complete) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    int pos = from;
    boolean full = len == b.length;
    while (pos < len) {
      int nl = encoding.findNewline(b, pos, len);
      int lineEnd = nl < 0 ? len : nl;
      if (nl < 0 && !flush && !complete) {
        // an unfinished line: whether it is a header line is not known yet, unless the bytes are full
        return new Result(attributes, pos, full);
      }
      String line = encoding.text(b, pos, lineEnd - pos);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (!pattern.matcher(line).find()) {
        return new Result(attributes, pos, true);
      }
      if (nl < 0 && !complete) {
        return new Result(attributes, pos, full); // a header line still being written
      }
      for (var e : operators.process(new io.sluice.receiver.logoperators.LogEntry(line))) {
        attributes.putAll(e.attributes());
      }
      pos = nl < 0 ? len : nl + encoding.newlineLength();
    }
    return new Result(attributes, pos, complete || full);
  }
}

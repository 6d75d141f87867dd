package io.sluice.receiver.logoperators;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code json_parser}: a JSON object becomes a map. Numbers are doubles, as Go's float64, unless
 * {@code parse_ints: true}, which keeps whole numbers as longs. Anything but one object (an
 * array, a bare value, trailing text) is an error.
 */
final class JsonParser extends ParserOperator {
  private static final JsonFactory JSON = JsonFactory.builder().build();

  private final boolean parseInts;

  JsonParser(boolean parseInts) {
    this.parseInts = parseInts;
  }

  @Override
  Map<String, Object> parse(Object value, LogEntry e) throws EntryException {
    if (value instanceof Map<?, ?> m) {
      return LogEntry.copyMap(m); // already structured: nothing to parse
    }
    return parseObject(text(value), parseInts);
  }

  /** Parses one JSON object; shared with the container operator's docker format. */
  static Map<String, Object> parseObject(String s, boolean parseInts) throws EntryException {
    try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(s)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new EntryException("expected a JSON object, got \"" + RegexParser.abbreviate(s) + "\"");
      }
      Map<String, Object> out = readObject(p, parseInts);
      if (p.nextToken() != null) {
        throw new EntryException("text after the JSON object in \"" + RegexParser.abbreviate(s) + "\"");
      }
      return out;
    } catch (JsonProcessingException x) {
      throw new EntryException("invalid JSON: " + x.getOriginalMessage() + " in \"" + RegexParser.abbreviate(s)
          + "\"");
    } catch (IOException x) {
      throw new EntryException("cannot read JSON: " + x.getMessage());
    }
  }

  private static Map<String, Object> readObject(com.fasterxml.jackson.core.JsonParser p, boolean ints)
      throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      p.nextToken();
      out.put(key, readValue(p, ints));
    }
    return out;
  }

  private static Object readValue(com.fasterxml.jackson.core.JsonParser p, boolean ints) throws IOException {
    switch (p.currentToken()) {
      case START_OBJECT:
        return readObject(p, ints);
      case START_ARRAY: {
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(readValue(p, ints));
        }
        return list;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        if (ints && p.getNumberType() != com.fasterxml.jackson.core.JsonParser.NumberType.BIG_INTEGER) {
          return p.getLongValue();
        }
        return p.getDoubleValue();
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      default:
        return null;
    }
  }
}

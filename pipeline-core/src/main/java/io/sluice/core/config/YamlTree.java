package io.sluice.core.config;

import io.sluice.core.config.YamlNode.Entry;
import io.sluice.core.config.YamlNode.ListNode;
import io.sluice.core.config.YamlNode.Location;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Parses YAML text into {@link YamlNode} trees with SnakeYAML's node API, and merges the trees of
 * several files.
 *
 * <p>Plain scalars are typed by the YAML 1.2 core schema (as the Collector's YAML library does):
 * {@code yes} and {@code on} are strings, {@code 0x1F} is an integer. Anchors, aliases and merge
 * keys ({@code <<: *base}) work; a key written twice in one map is an error.
 */
final class YamlTree {
  /** The tag our resolver gives every plain scalar, so that its type can be resolved later. */
  private static final Tag PLAIN = new Tag("tag:sluice.io,2026:plain");

  private YamlTree() {}

  /**
   * Parses one file's text. Returns an empty map for an empty document, or null after adding the
   * syntax errors to {@code errors}.
   */
  static YamlNode parse(String file, String text, List<ConfigError> errors) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // reported by us, with both lines
    Node root;
    StreamReader reader = new StreamReader(text);
    try {
      Composer composer = new Composer(new ParserImpl(reader, options), new PlainResolver(), options);
      root = composer.getSingleNode();
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
      if (e.getContext() != null) {
        problem = e.getContext() + ": " + problem;
      }
      Mark context = e.getContextMark();
      if (context != null && mark != null && context.getLine() != mark.getLine()) {
        problem += " (the " + (e.getContext() == null ? "node" : "part") + " started at line " + (context.getLine() + 1)
            + ")";
      }
      errors.add(new ConfigError(file, mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
          "", "invalid YAML: " + oneLine(problem)));
      return null;
    } catch (ReaderException e) {
      // A character YAML does not allow (a control character, say); SnakeYAML gives its position only.
      int[] at = lineAndColumn(text, e.getPosition());
      errors.add(new ConfigError(file, at[0], at[1], "", "invalid YAML: the character "
          + String.format("U+%04X", e.getCodePoint()) + " is not allowed in a YAML file; remove it, or write it"
          + " as an escape such as \\x07 in a double-quoted string"));
      return null;
    } catch (YAMLException e) {
      // A limit without a mark (too many aliases, too deep, too long): where reading had got to.
      Mark reached = reader.getMark();
      errors.add(new ConfigError(file, reached.getLine() + 1, reached.getColumn() + 1, "", "invalid YAML: "
          + oneLine(String.valueOf(e.getMessage()))));
      return null;
    }
    if (root == null) {
      return new MapNode(new Location(file, 1, 1), Map.of());
    }
    int before = errors.size();
    YamlNode tree = new Converter(file, errors).convert(root);
    return errors.size() == before ? tree : null;
  }

  /** The 1-based line and column of the code point at {@code index} (counted in code points). */
  static int[] lineAndColumn(String text, int index) {
    int line = 1;
    int column = 1;
    int i = 0;
    for (int cp = 0; cp < index && i < text.length(); cp++) {
      char c = text.charAt(i);
      if (c == '\n' || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'))) {
        line++;
        column = 1;
      } else {
        column++;
      }
      i += Character.charCount(text.codePointAt(i));
    }
    return new int[] {line, column};
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*\\n\\s*", " ").trim();
  }

  /**
   * Merges {@code over} (a later file) over {@code base}: maps merge key by key, recursively;
   * lists and scalars of {@code over} replace those of {@code base}. A map merged from several
   * files keeps the location where it was first written.
   */
  static YamlNode merge(YamlNode base, YamlNode over) {
    if (base instanceof MapNode b && over instanceof MapNode o) {
      Map<String, Entry> merged = new LinkedHashMap<>(b.entries());
      for (Entry e : o.entries().values()) {
        Entry old = merged.get(e.key());
        boolean bothMaps = old != null && old.value() instanceof MapNode && e.value() instanceof MapNode;
        merged.put(e.key(), bothMaps ? new Entry(e.key(), old.keyLocation(), merge(old.value(), e.value())) : e);
      }
      return new MapNode(b.location(), merged);
    }
    return over;
  }

  /** Makes our node tree from SnakeYAML's, resolving aliases and merge keys. */
  private static final class Converter {
    private final String file;
    private final List<ConfigError> errors;
    private final Map<Node, YamlNode> done = new IdentityHashMap<>();
    private final Set<Node> inProgress = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    Converter(String file, List<ConfigError> errors) {
      this.file = file;
      this.errors = errors;
    }

    Location at(Node n) {
      Mark m = n.getStartMark();
      return m == null ? new Location(file, 0, 0) : new Location(file, m.getLine() + 1, m.getColumn() + 1);
    }

    YamlNode convert(Node n) {
      YamlNode cached = done.get(n);
      if (cached != null) {
        return cached;
      }
      if (!inProgress.add(n)) {
        errors.add(error(n, "an alias refers to a node that contains it; recursive YAML is not supported"));
        return Scalar.plain(at(n), "");
      }
      YamlNode result = switch (n.getNodeId()) {
        case scalar -> scalar((ScalarNode) n);
        case sequence -> sequence((SequenceNode) n);
        case mapping -> mapping((MappingNode) n);
        default -> {
          errors.add(error(n, "unsupported YAML node"));
          yield Scalar.plain(at(n), "");
        }
      };
      inProgress.remove(n);
      done.put(n, result);
      return result;
    }

    private YamlNode scalar(ScalarNode n) {
      Tag tag = n.getTag();
      if (PLAIN.equals(tag)) {
        return Scalar.plain(at(n), n.getValue());
      }
      // Quoted scalars and explicit tags. !!int, !!bool and friends type the text as written.
      if (Tag.NULL.equals(tag) || Tag.BOOL.equals(tag) || Tag.INT.equals(tag) || Tag.FLOAT.equals(tag)) {
        Scalar s = Scalar.plain(at(n), n.getValue());
        return new Scalar(s.location(), s.text(), s.type(), false);
      }
      return Scalar.string(at(n), text(n));
    }

    /**
     * A scalar's text; a {@code !!binary} one is decoded, and must be base64 of UTF-8 text, since
     * every config value and key is text.
     */
    private String text(ScalarNode n) {
      if (!Tag.BINARY.equals(n.getTag())) {
        return n.getValue();
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(n.getValue().replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        errors.add(error(n, "!!binary value contains invalid base64 data: \"" + n.getValue() + "\""));
        return n.getValue();
      }
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        errors.add(error(n, "!!binary value \"" + n.getValue() + "\" is not valid UTF-8 text; config keys and"
            + " values must be UTF-8"));
        return n.getValue();
      }
    }

    private YamlNode sequence(SequenceNode n) {
      List<YamlNode> items = new ArrayList<>();
      for (Node item : n.getValue()) {
        items.add(convert(item));
      }
      return new ListNode(at(n), items);
    }

    private YamlNode mapping(MappingNode n) {
      Map<String, Entry> explicit = new LinkedHashMap<>();
      Map<String, Entry> inherited = new LinkedHashMap<>();
      for (NodeTuple t : n.getValue()) {
        Node keyNode = t.getKeyNode();
        if (!(keyNode instanceof ScalarNode k)) {
          errors.add(error(keyNode, "a map key must be a plain value, not " + (keyNode.getNodeId() == NodeId.sequence
              ? "a list" : "a map")));
          continue;
        }
        if (PLAIN.equals(k.getTag()) && "<<".equals(k.getValue())) {
          mergeKey(t.getValueNode(), inherited);
          continue;
        }
        String key = text(k);
        Entry previous = explicit.get(key);
        if (previous != null) {
          errors.add(error(keyNode, "key \"" + key + "\" is written twice in this map (first at line "
              + previous.keyLocation().line() + ")"));
          continue;
        }
        explicit.put(key, new Entry(key, at(keyNode), convert(t.getValueNode())));
      }
      Map<String, Entry> entries = new LinkedHashMap<>(inherited);
      entries.putAll(explicit);
      return new MapNode(at(n), entries);
    }

    /** {@code <<: *map} or {@code <<: [*a, *b]}: keys not written in this map come from those, the first winning. */
    private void mergeKey(Node value, Map<String, Entry> inherited) {
      List<Node> sources = value instanceof SequenceNode s ? s.getValue() : List.of(value);
      for (Node source : sources) {
        YamlNode converted = convert(source);
        if (!(converted instanceof MapNode m)) {
          errors.add(error(source, "a merge key (<<) must refer to a map or a list of maps"));
          continue;
        }
        for (Entry e : m.entries().values()) {
          inherited.putIfAbsent(e.key(), e);
        }
      }
    }

    private ConfigError error(Node n, String message) {
      Location l = at(n);
      return new ConfigError(file, l.line(), l.column(), "", message);
    }
  }

  /** Tags every plain scalar {@link #PLAIN}; quoted scalars stay strings, explicit tags stay. */
  private static final class PlainResolver extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      // none: plain scalars are typed by YamlNode.Scalar.resolve
    }

    @Override
    public Tag resolve(NodeId kind, String value, boolean implicit) {
      if (kind == NodeId.scalar && implicit) {
        return PLAIN;
      }
      return super.resolve(kind, value, implicit);
    }
  }
}

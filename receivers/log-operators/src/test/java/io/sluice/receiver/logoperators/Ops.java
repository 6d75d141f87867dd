package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.Yaml;

/** Builds pipelines from YAML operator lists, as a receiver's config would give them, for tests. */
final class Ops {
  /** 2026-12-07T12:00:00Z: the year for layouts without one. */
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);

  /** One error an operator reported. */
  record Failure(String operatorId, String message, boolean quiet, boolean dropped) {}

  final OperatorPipeline pipeline;
  final List<Failure> failures = new ArrayList<>();

  private Ops(String yaml) {
    try {
      pipeline = OperatorPipeline.build(list(yaml), "operators", new OperatorPipeline.Options(CLOCK,
          (id, message, quiet, dropped) -> failures.add(new Failure(id, message, quiet, dropped))));
    } catch (OperatorConfigException e) {
      throw new AssertionError("the operators do not build:\n" + e.getMessage(), e);
    }
  }

  static Ops of(String yaml) {
    return new Ops(yaml);
  }

  static List<?> list(String yaml) {
    Object o = new Yaml().load(yaml);
    return o == null ? List.of() : (List<?>) o;
  }

  /** Every problem the list has, as "path: message". */
  static List<String> problems(String yaml) {
    List<String> out = new ArrayList<>();
    for (ConfigProblem p : OperatorPipeline.validate(list(yaml), "operators")) {
      out.add(p.path() + ": " + p.message());
    }
    return out;
  }

  List<LogEntry> run(LogEntry e) {
    return pipeline.process(e);
  }

  List<LogEntry> run(Object body) {
    return run(new LogEntry(body));
  }

  /** Runs a body through and expects exactly one entry out. */
  LogEntry one(Object body) {
    return one(new LogEntry(body));
  }

  LogEntry one(LogEntry e) {
    List<LogEntry> out = run(e);
    assertThat(out).as("entries out").hasSize(1);
    return out.get(0);
  }
}

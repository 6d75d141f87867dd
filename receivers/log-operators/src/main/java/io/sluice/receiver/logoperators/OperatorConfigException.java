package io.sluice.receiver.logoperators;

import io.sluice.core.ConfigProblem;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An {@code operators} list could not be built. Carries every problem found, each with its key
 * path ({@code operators[2].regex}) relative to the component, as a config's {@code validate()}
 * returns them, so the config loader can add the file and line.
 */
public final class OperatorConfigException extends Exception {
  private final List<ConfigProblem> problems;

  public OperatorConfigException(List<ConfigProblem> problems) {
    super(problems.stream().map(p -> p.path() + ": " + p.message()).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}

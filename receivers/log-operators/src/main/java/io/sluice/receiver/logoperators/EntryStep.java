package io.sluice.receiver.logoperators;

/**
 * One change to an entry that can fail on it: the timestamp, severity and trace parsers, which
 * run embedded in a parser or as operators of their own.
 */
@FunctionalInterface
interface EntryStep {
  /** Applies the step; throws, leaving the entry unchanged, when it cannot. */
  void apply(LogEntry e) throws EntryException;
}

package io.sluice.receiver.logoperators;

/**
 * An operator could not process one entry (a line that does not match, bad JSON, a missing
 * field). Expected on malformed input, so it carries no stack trace: making one per bad line
 * would cost more than the parse. What happens next is the operator's {@code on_error}.
 */
final class EntryException extends Exception {
  EntryException(String message) {
    super(message, null, false, false);
  }
}

/**
 * The Collector's stanza operators for Sluice's log receivers ({@code filelog} now, others
 * later): the {@code operators:} list of a receiver's config, built into an {@link
 * io.sluice.receiver.logoperators.OperatorPipeline} that runs {@link
 * io.sluice.receiver.logoperators.LogEntry}s through parsers ({@code regex_parser}, {@code
 * json_parser}, {@code key_value_parser}, {@code csv_parser}, {@code container}), field operators
 * ({@code move}, {@code copy}, {@code add}, {@code remove}, {@code flatten}, {@code retain}),
 * {@code time_parser}, {@code severity_parser}, {@code trace_parser}, {@code recombine}, {@code
 * filter}, {@code router} and {@code noop}, with the Collector's keys, defaults and {@code
 * on_error} modes.
 *
 * <p>A receiver uses it like this:
 *
 * <pre>{@code
 * // in the config record's validate(): problems with paths such as operators[2].regex
 * problems.addAll(OperatorPipeline.validate(operators, "operators"));
 * // per reading thread, at start:
 * OperatorPipeline ops = OperatorPipeline.build(operators, "operators", Options.defaults(componentId));
 * // per line:
 * LogEntry e = new LogEntry(line).observedTimestamp(now);
 * e.attributes().put("log.file.path", path);
 * ops.process(e, out -> records.add(OtlpLogs.toLogRecord(out)));
 * // now and then (each poll): ops.flushExpired(...) sends recombine batches past force_flush_period
 * // at end of file or shutdown: ops.flush(...) sends everything held back
 * }</pre>
 */
package io.sluice.receiver.logoperators;

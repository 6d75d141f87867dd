#!/usr/bin/env bash
# Logs benchmark, tail -> parse -> Loki: Sluice's filelog receiver (regex_parser with timestamp and
# severity) -> batch -> loki exporter, and the same receiver config in the OpenTelemetry Collector
# (otlphttp: it has no loki exporter), one after the other, into the same counting sink; then the
# limit, a bare read-and-split loop over the same files. See perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-logs-loki.sh            full run (3 million lines a gateway, a few minutes), results in perf-tests/results/
#   perf-tests/run-logs-loki.sh --smoke    200,000 lines, results in perf-tests/target/smoke/
#   perf-tests/run-logs-loki.sh -Dbench.peers=sluice -Dbench.scenarios=loki -Dbench.label=x ...   any setting
#
# Builds the gateway jar and this module first when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it). When the Collector is among the peers
# (the default) and no -Dbench.collector=PATH is given, builds it with peers/build-otelcol.sh (cached
# outside the repository; the first build takes 10-18 minutes).
# Sluice starts through bin/sluice with its default JVM options; BENCH_JVM_OPTS sets other ones (as
# JAVA_OPTS) and the runner's.
# Run it on an otherwise idle machine: the figures are CPU time and throughput.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_peer_args "$0" "$@"

bench_exec io.sluice.perf.LogsLokiRunner 40m -Dbench.lines=200000 -Dbench.warmupLines=100000 -Dbench.limitPasses=2 \
  -- "${peer_args[@]}" "$@"

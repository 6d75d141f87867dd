#!/usr/bin/env bash
# OTLP traces pass-through benchmark: Sluice and the OpenTelemetry Collector, one after the other,
# on the same config files (perf-tests/config/otlp-passthrough-*.yaml), the same load generator and
# the same counting sink. See perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-otlp-passthrough.sh            full run (about 15 minutes), results in perf-tests/results/
#   perf-tests/run-otlp-passthrough.sh --smoke    a few seconds per level, results in perf-tests/target/smoke/
#   perf-tests/run-otlp-passthrough.sh -Dbench.peers=sluice -Dbench.scenarios=defaults ...   any setting
#
# Builds the gateway jar and this module first when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it). When the Collector is among the peers
# (the default) and no -Dbench.collector=PATH is given, builds it with peers/build-otelcol.sh (cached
# outside the repository; the first build takes 10-18 minutes).
# Sluice starts through bin/sluice with its default JVM options; BENCH_JVM_OPTS sets other ones (as
# JAVA_OPTS) and the runner's, where the decode/encode limit is measured (default: the
# default_jvm_opts of bin/sluice).
# Run it on an otherwise idle machine: the figures are CPU time, memory and latency.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_peer_args "$0" "$@"

bench_exec io.sluice.perf.BenchmarkRunner 60m -Dbench.warmup=3s -Dbench.idleAfter=1s -Dbench.settle=1s -Dbench.duration=3s \
  -Dbench.drainTimeout=20s -Dbench.limitWarmup=2s -Dbench.limitDuration=3s \
  -- "${peer_args[@]}" "$@"

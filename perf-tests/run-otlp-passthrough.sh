#!/usr/bin/env bash
# OTLP traces pass-through benchmark: otlp receiver -> batch -> otlp exporter -> counting sink.
# See perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-otlp-passthrough.sh            full run (about 2 minutes), results in perf-tests/results/
#   perf-tests/run-otlp-passthrough.sh --smoke    a few seconds per phase, results in perf-tests/target/smoke/
#   perf-tests/run-otlp-passthrough.sh -Dbench.duration=60s ...   any setting of BenchmarkRunner
#
# Builds the gateway jar and this module first when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it). BENCH_JVM_OPTS (default: bin/sluice's JVM options)
# goes to both JVMs: the gateway's and the runner's, where the decode/encode limit is measured.
# Run it on an otherwise idle machine: the figures are CPU time and latency.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_exec io.sluice.perf.BenchmarkRunner 20m -Dbench.warmup=3s -Dbench.duration=5s -Dbench.latencySettle=2s -Dbench.latencyDuration=5s \
  -Dbench.limitWarmup=2s -Dbench.limitDuration=3s \
  -- "$@"

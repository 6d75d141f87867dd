#!/usr/bin/env bash
# What the jaeger exporter's OTLP -> Jaeger translation costs per span, on one thread of one JVM,
# against parsing alone and against an OTLP decode + encode. See perf-tests/README.md. Run from
# anywhere:
#
#   perf-tests/run-jaeger-translation.sh            about 2 minutes, results in perf-tests/results/
#   perf-tests/run-jaeger-translation.sh --smoke    a few seconds per loop, results in perf-tests/target/smoke/
#
# Builds the gateway jar and this module first when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it). BENCH_JVM_OPTS sets the runner's
# JVM options (default: those bin/sluice gives the gateway). Run it on an otherwise idle machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_exec io.sluice.perf.JaegerTranslationRunner 20m -Dbench.warmup=2s -Dbench.duration=3s -- "$@"

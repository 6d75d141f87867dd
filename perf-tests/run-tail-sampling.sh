#!/usr/bin/env bash
# Tail sampling benchmark: traces of 10 spans interleaved over the decision wait through
# otlp -> tail_sampling (latency + status_code + probabilistic 10%, decision_wait 10s) -> otlp, in
# Sluice and in the OpenTelemetry Collector on the same config (perf-tests/config/tail-sampling.yaml),
# and through Sluice without the processor (tail-sampling-passthrough.yaml) for the ratio. See
# perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-tail-sampling.sh                      full run (about 10 minutes), results in perf-tests/results/
#   perf-tests/run-tail-sampling.sh --smoke              short levels, results in perf-tests/target/smoke/
#   perf-tests/run-tail-sampling.sh --soak 30            then 30 minutes of Sluice at half its maximum, the heap
#                                                        after a full GC every minute, and its slope
#   perf-tests/run-tail-sampling.sh -Dbench.peers=sluice -Dbench.rates=10000 ...   any setting
#
# Builds the gateway jar and this module first when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it). When the Collector is among the peers
# (the default) and no -Dbench.collector=PATH is given, builds it with peers/build-otelcol.sh (cached
# outside the repository; the first build takes 10-18 minutes). Needs jcmd (the JDK's) for the heap
# after a full GC. Run it on an otherwise idle machine: the figures are CPU time and memory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --soak)
      [ $# -ge 2 ] || { echo "--soak needs a number of minutes" >&2; exit 2; }
      args+=("-Dbench.soakMinutes=$2")
      shift 2
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

bench_peer_args "$0" "${args[@]}"

bench_exec io.sluice.perf.TailSamplingRunner 180m -Dbench.warmup=5s -Dbench.settle=12s -Dbench.duration=8s \
  -Dbench.drainTimeout=40s -Dbench.rates=10000 \
  -- "${peer_args[@]}" "${args[@]}"

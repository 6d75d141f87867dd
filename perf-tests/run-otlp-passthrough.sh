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

# By default both JVMs get the options bin/sluice starts the gateway with.
default_opts="$(sed -n 's/^default_jvm_opts="\(.*\)"$/\1/p' bin/sluice)"
jvm_opts="${BENCH_JVM_OPTS:-${default_opts:--Xmx1g}}"
mvn_flags="${BENCH_MVN_FLAGS:--o}"
args=()
for a in "$@"; do
  if [ "$a" = "--smoke" ]; then
    args+=(-Dbench.warmup=3s -Dbench.duration=5s -Dbench.latencySettle=2s -Dbench.latencyDuration=5s
      -Dbench.limitWarmup=2s -Dbench.limitDuration=3s -Dbench.results=perf-tests/target/smoke -Dbench.label=smoke)
  else
    args+=("$a")
  fi
done

jar=gateway/target/sluice.jar
cp_file=perf-tests/target/classpath.txt
stale() {
  [ ! -f "$jar" ] || [ ! -f "$cp_file" ] && return 0
  [ -n "$(find pipeline-core receivers processors exporters gateway -path '*/src/main/*' -newer "$jar" -print -quit)" ] && return 0
  [ -n "$(find perf-tests/src perf-tests/pom.xml -newer "$cp_file" -print -quit)" ] && return 0
  return 1
}
case "${BENCH_BUILD:-auto}" in
  always) build=1 ;;
  never) build=0 ;;
  *) if stale; then build=1; else build=0; fi ;;
esac
if [ "$build" = 1 ]; then
  echo "Building the gateway and the benchmarks: mvn -B -q $mvn_flags -pl perf-tests -am package -DskipTests"
  mvn -B -q $mvn_flags -pl perf-tests -am package -DskipTests
fi

# timeout bounds the whole run; on TERM the runner's shutdown hook stops the gateway.
# shellcheck disable=SC2086
exec timeout --kill-after=60s 20m java $jvm_opts \
  -Dbench.home="$root" -Dbench.gatewayJvmOptions="$jvm_opts" "${args[@]}" \
  -cp "perf-tests/target/classes:$(cat "$cp_file")" io.sluice.perf.BenchmarkRunner

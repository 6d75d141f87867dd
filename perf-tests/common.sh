# Shared by the run-*.sh benchmark scripts (sourced, not run): the JVM options, the build check.
# Expects $root (the repository) as the current directory.

# By default the JVMs get the options bin/sluice starts the gateway with (`bin/sluice jvm-options`
# where the script has that command, else its default_jvm_opts line); BENCH_JVM_OPTS overrides.
if grep -q 'jvm-options' bin/sluice; then
  default_opts="$(env -u JAVA_OPTS bin/sluice jvm-options 2>/dev/null || true)"
else
  default_opts="$(sed -n 's/^default_jvm_opts="\(.*\)"$/\1/p' bin/sluice)"
fi
jvm_opts="${BENCH_JVM_OPTS:-${default_opts:--Xmx1g}}"
mvn_flags="${BENCH_MVN_FLAGS:--o}"
jar=gateway/target/sluice.jar
cp_file=perf-tests/target/classpath.txt

# Builds the gateway jar and this module when they are missing or older than the sources
# (BENCH_BUILD=never skips that, BENCH_BUILD=always forces it).
bench_build() {
  local build
  case "${BENCH_BUILD:-auto}" in
    always) build=1 ;;
    never) build=0 ;;
    *) if bench_stale; then build=1; else build=0; fi ;;
  esac
  if [ "$build" = 1 ]; then
    echo "Building the gateway and the benchmarks: mvn -B -q $mvn_flags -pl perf-tests -am package -DskipTests"
    # shellcheck disable=SC2086
    mvn -B -q $mvn_flags -pl perf-tests -am package -DskipTests
  fi
}

bench_stale() {
  [ ! -f "$jar" ] || [ ! -f "$cp_file" ] && return 0
  [ -n "$(find pipeline-core translation receivers processors exporters gateway -path '*/src/main/*' -newer "$jar" -print -quit)" ] && return 0
  [ -n "$(find perf-tests/src perf-tests/pom.xml -newer "$cp_file" -print -quit)" ] && return 0
  return 1
}

# For the runners that compare Sluice with the Collector (bench.peers): sets peer_args to
# -Dbench.collector=PATH, building the Collector with peers/build-otelcol.sh when it is among the
# peers and no -Dbench.collector was given, and to -Dbench.sluiceJavaOpts from BENCH_JVM_OPTS.
# Usage: bench_peer_args "$0" "$@"
bench_peer_args() {
  local script="$1" peers=sluice,collector collector="" a
  shift
  for a in "$@"; do
    case "$a" in
      -Dbench.peers=*) peers="${a#-Dbench.peers=}" ;;
      -Dbench.collector=*) collector="${a#-Dbench.collector=}" ;;
    esac
  done
  peer_args=()
  if [[ -z "$collector" && ( ",$peers," == *,collector,* || "$peers" == both ) ]]; then
    echo "The Collector: perf-tests/peers/build-otelcol.sh (cached; the first build takes 10-18 minutes)"
    if ! collector="$(perf-tests/peers/build-otelcol.sh | tail -n 1)" || [[ ! -x "$collector" ]]; then
      echo "$(basename "$script" .sh): building the Collector failed (see above). Retry perf-tests/peers/build-otelcol.sh," >&2
      echo "or run Sluice alone: $script -Dbench.peers=sluice $*" >&2
      exit 1
    fi
    peer_args+=("-Dbench.collector=$collector")
  fi
  if [[ -n "${BENCH_JVM_OPTS:-}" ]]; then
    peer_args+=("-Dbench.sluiceJavaOpts=$BENCH_JVM_OPTS")
  fi
}

# Builds if needed, then runs a benchmark runner. --smoke stands for the runner's short settings
# (written to perf-tests/target/smoke); every other argument is passed on.
# Usage: bench_exec <runner class> <time limit> <smoke settings...> -- "$@"
bench_exec() {
  local main="$1" limit="$2"
  shift 2
  local smoke=()
  while [ "$1" != "--" ]; do
    smoke+=("$1")
    shift
  done
  shift
  local args=()
  for a in "$@"; do
    if [ "$a" = "--smoke" ]; then
      args+=("${smoke[@]}" -Dbench.results=perf-tests/target/smoke -Dbench.label=smoke)
    else
      args+=("$a")
    fi
  done
  bench_build
  # timeout bounds the whole run; on TERM the runner's shutdown hook stops what it started.
  # shellcheck disable=SC2086
  exec timeout --kill-after=60s "$limit" java $jvm_opts \
    -Dbench.home="$root" -Dbench.gatewayJvmOptions="$jvm_opts" "${args[@]}" \
    -cp "perf-tests/target/classes:$(cat "$cp_file")" "$main"
}

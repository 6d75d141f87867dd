# Shared by the run-*.sh benchmark scripts (sourced, not run): the JVM options, the build check.
# Expects $root (the repository) as the current directory.

# By default the JVMs get the options bin/sluice starts the gateway with; BENCH_JVM_OPTS overrides.
default_opts="$(sed -n 's/^default_jvm_opts="\(.*\)"$/\1/p' bin/sluice)"
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

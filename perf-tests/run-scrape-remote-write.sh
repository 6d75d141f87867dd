#!/usr/bin/env bash
# Scrape -> remote-write benchmark: Sluice (prometheus receiver -> batch -> prometheusremotewrite)
# against the Prometheus agent, scraping the same simulated targets into the same counting sink,
# one after the other. See perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-scrape-remote-write.sh            full run (about 14 minutes), results in perf-tests/results/
#   perf-tests/run-scrape-remote-write.sh --smoke    about a minute, results in perf-tests/target/smoke/
#   perf-tests/run-scrape-remote-write.sh -Dbench.targets=50 ...   any setting of ScrapeRemoteWriteRunner
#
# Needs Prometheus (Debian: apt-get install -y prometheus; or -Dbench.prometheus=/path/to/prometheus,
# or -Dbench.scrapers=sluice to leave the agent out). Builds the gateway jar and this module first when
# they are missing or older than the sources (BENCH_BUILD=never skips that, BENCH_BUILD=always forces
# it). BENCH_JVM_OPTS (default: bin/sluice's JVM options) goes to both JVMs: the gateway's and the
# runner's, which holds the targets and the sink and measures the parser; without it the gateway
# gets the scrape-only options below.
# Run it on an otherwise idle machine: the figures are CPU time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

# A gateway that only scrapes and remote-writes runs with the JVM options the README gives for
# it (a smaller heap than bin/sluice's), unless BENCH_JVM_OPTS or -Dbench.gatewayJvmOptions says otherwise.
scrape_opts=()
if [ -z "${BENCH_JVM_OPTS:-}" ]; then
  scrape_opts=("-Dbench.gatewayJvmOptions=-Xms380m -Xmx380m -Xmn140m -XX:+UseParallelGC")
fi

bench_exec io.sluice.perf.ScrapeRemoteWriteRunner 30m -Dbench.targets=100 -Dbench.series=200 -Dbench.interval=2s -Dbench.warmup=4s -Dbench.duration=8s \
  -Dbench.parserWarmup=1s -Dbench.parserDuration=2s \
  -- "${scrape_opts[@]}" "$@"

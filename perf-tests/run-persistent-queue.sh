#!/usr/bin/env bash
# The persistent sending queue's cost: items/s through the exporter helper with its queue in memory,
# in file_storage without fsync, and with fsync (io.sluice.perf.PersistentQueueRunner, in one JVM,
# no network). See perf-tests/README.md. Run from anywhere:
#
#   perf-tests/run-persistent-queue.sh            about 2 minutes, results in perf-tests/results/
#   perf-tests/run-persistent-queue.sh --smoke    a few seconds per phase, results in perf-tests/target/smoke/
#   perf-tests/run-persistent-queue.sh -Dbench.scenarios=disk,disk-fsync -Dbench.backlog=1000 ...
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_exec io.sluice.perf.PersistentQueueRunner 20m -Dbench.warmup=2s -Dbench.duration=3s -Dbench.backlog=100 \
  -- "$@"

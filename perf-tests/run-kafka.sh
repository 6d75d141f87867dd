#!/usr/bin/env bash
# Kafka benchmark: an ingest tier (OTLP in, Kafka out) and a processing tier (Kafka in, OTLP out)
# around a real Kafka broker, in Sluice and in the OpenTelemetry Collector on the same config files
# (perf-tests/config/kafka-ingest.yaml and kafka-process.yaml), with Sluice's OTLP pass-through
# under the same load for reference. Spans per CPU-second of each tier. See perf-tests/README.md.
#
#   perf-tests/run-kafka.sh            full run (about 10 minutes), results in perf-tests/results/
#   perf-tests/run-kafka.sh --smoke    a few seconds per level, results in perf-tests/target/smoke/
#   perf-tests/run-kafka.sh -Dbench.peers=sluice -Dbench.rates=20000 ...   any setting
#
# Builds as run-otlp-passthrough.sh does, and the Collector with peers/build-otelcol.sh when it is
# among the peers. Run it on an otherwise idle machine: the figures are CPU time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

bench_peer_args "$0" "$@"

bench_exec io.sluice.perf.KafkaRunner 60m -Dbench.warmup=3s -Dbench.settle=2s -Dbench.duration=5s \
  -Dbench.drainTimeout=20s -Dbench.rates=5000 \
  -- "${peer_args[@]}" "$@"

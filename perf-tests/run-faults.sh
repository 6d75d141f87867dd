#!/usr/bin/env bash
# The fault-injection suite as a benchmark: the gateway's FaultInjectionIT and OverloadIT (the same
# cases `bin/test` runs), with their summary table (case, sent, acknowledged, refused, delivered,
# lost, duplicated, reordered) written to perf-tests/results/. See perf-tests/README.md. Run from
# anywhere:
#
#   perf-tests/run-faults.sh                     about 6 minutes on 2 cores (a 60 s outage, a 30 s flood),
#                                                results in perf-tests/results/faults-DATE.md
#   perf-tests/run-faults.sh --label after-x     results in perf-tests/results/faults-DATE-after-x.md
#   perf-tests/run-faults.sh --out FILE -Dit.test='FaultInjectionIT#sighup*'   one case, the table to FILE
#
# Other arguments go to Maven (after the defaults, so that they override them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

# shellcheck source=perf-tests/common.sh
. perf-tests/common.sh

label=""
out=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --label) label="-$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -z "$out" ]; then
  out="$root/perf-tests/results/faults-$(date -u +%F)$label.md"
fi
case "$out" in
  /*) ;;
  *) out="$root/$out" ;;
esac

echo "Fault-injection suite: the table goes to $out"
# The reactor builds the gateway jar (package) before its integration tests run; -Dtest=NONE skips
# the unit tests of every module on the way.
# shellcheck disable=SC2086
timeout --kill-after=60s 30m mvn -B -ntp $mvn_flags -pl gateway -am verify \
  -Dit.test='FaultInjectionIT,OverloadIT' -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsluice.faults.results="$out" "${args[@]}"
echo "Fault-injection table: $out"

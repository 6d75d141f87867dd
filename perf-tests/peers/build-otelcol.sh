#!/usr/bin/env bash
# Builds the OpenTelemetry Collector distribution in otelcol/ (the peer of the Sluice
# benchmarks) and prints the binary's path as the last line of stdout.
#
# The binary is cached outside the repository, in ${SLUICE_PEERS_CACHE:-$HOME/.cache/sluice/peers},
# named otelcol-<hash of main.go, go.mod and go.sum>: it is rebuilt only when these change.
# Go's module and build caches stay where Go keeps them (go env GOMODCACHE / GOCACHE).
# A cold build takes 10-18 minutes on 2 cores, compile processes peaking near 2.7 GB.
#
# go.sum is committed. Without it (a changed go.mod), `go mod tidy` writes it first,
# and the hash is taken after that, so the name matches the committed files.
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/otelcol" && pwd)"
cache="${SLUICE_PEERS_CACHE:-$HOME/.cache/sluice/peers}"

log() { echo "build-otelcol: $*" >&2; }

command -v go >/dev/null || { log "go is not on the PATH"; exit 1; }
cd "$src"

# No more parallel compiles than the machine has cores (2 here): each can take ~2.7 GB.
export GOFLAGS="$(go env GOFLAGS)${GOFLAGS_EXTRA:+ $GOFLAGS_EXTRA} -p=$(nproc)"
export CGO_ENABLED=0

if [[ ! -f go.sum ]]; then
  log "go.sum is missing: go mod tidy (downloads the modules)"
  go mod tidy >&2
fi

hash="$(cat main.go go.mod go.sum | sha256sum | cut -c1-12)"
bin="$cache/otelcol-$hash"
if [[ -x "$bin" ]]; then
  log "cached: $bin"
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
tmp="$(mktemp "$cache/.otelcol-$hash.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
log "building $bin ($(go version | cut -d' ' -f3), GOFLAGS=$GOFLAGS); a cold build takes 10-18 minutes"
start=$SECONDS
go build -trimpath -o "$tmp" . >&2
chmod +x "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
log "built in $((SECONDS - start)) s: $("$bin" --version 2>/dev/null || true)"
echo "$bin"

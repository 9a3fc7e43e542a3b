#!/usr/bin/env bash
# Fleet benchmark: builds examples/fleet (talospatch) and bench/fleet-baseline (today's
# way: helm template as a process, machinery bundle, configpatcher per node) and compares them as
# whole processes, median of RUNS runs, for 3 control planes and 100 and 1,000 workers.
#
#   bash bench/fleet.sh                 # prints a Markdown table
#   RUNS=9 WORKERS=100,1000 bash bench/fleet.sh
#   PROFILE=1 bash bench/fleet.sh       # also a CPU profile of the 1,003-node stages (go test -bench)
#   OUTDIR=/tmp bash bench/fleet.sh     # where both programs write (default /dev/shm: a tmpfs,
#                                       # so that the disk does not dominate; same files for both)
#
# Uses the fixtures in testdata/ (the Cilium chart and the secrets bundle) and needs the helm
# CLI v4.3.2 (PATH, .cache/bin, or HELM=path; bash .ci/run installs it into .cache/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
chart="${CHART:-$root/testdata/charts/cilium-1.18.12.tgz}"
secrets="${SECRETS:-$root/testdata/bench/secrets.yaml}"
export PATH="$root/.cache/bin:$PATH"
helm="${HELM:-$(command -v helm || true)}"
[ -n "$helm" ] || { echo "helm CLI not found: GOBIN=$root/.cache/bin go install helm.sh/helm/v4/cmd/helm@v4.3.2"; exit 1; }

outdir="${OUTDIR:-}"
if [ -z "$outdir" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then outdir=/dev/shm; else outdir="${TMPDIR:-/tmp}"; fi
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

mkdir "$bin/build"
go build -o "$bin/build/fleet" ./examples/fleet
go build -o "$bin/build/fleet-baseline" ./bench/fleet-baseline
go build -o "$bin/fleetbench" ./bench/fleetbench
# Every measured binary is a plain copy: a file just written by the Go linker is mapped with
# larger page-cache folios on this kernel, which inflates the peak RSS of a process by up to
# 20 MiB. Copying the three binaries (helm included) measures all of them alike.
cp "$bin/build/fleet" "$bin/build/fleet-baseline" "$bin/"
cp "$helm" "$bin/helm"
helm="$bin/helm"

echo "go $(go env GOVERSION), $(nproc) CPUs, helm $("$helm" version --short 2>/dev/null || echo '?'), $(date -u +%FT%TZ)"
"$bin/fleetbench" -lib "$bin/fleet" -base "$bin/fleet-baseline" -helm "$helm" \
  -chart "$chart" -secrets "$secrets" -runs "${RUNS:-5}" -workers "${WORKERS:-100,1000}" -dir "$outdir"

if [ -n "${PROFILE:-}" ]; then
  go test -run '^$' -bench 'BenchmarkFleet/nodes=1003$' -benchtime 20x -cpuprofile "$bin/cpu.prof" \
    -o "$bin/fleet.test" ./examples/fleet >/dev/null
  go tool pprof -top -cum -nodecount 40 -hide '^(runtime|testing|sync)\.' "$bin/fleet.test" "$bin/cpu.prof"
fi

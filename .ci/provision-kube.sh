#!/usr/bin/env bash
# Provisions the real Kubernetes control plane that the manifests/apply tests run against:
#   - etcd from Debian's etcd-server package (skipped when an etcd binary is already found),
#   - kube-apiserver built from k8s.io/kubernetes (module tools/kube-apiserver) into
#     .cache/bin (skipped when the binary exists and matches the pinned version).
# Idempotent; safe to run on every CI run. Cold: ~1 min apt + several minutes of go build.
# Afterwards `go test ./manifests/apply/...` finds both binaries in .cache/bin
# (override the directory with TALOSPATCH_KUBE_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="${TALOSPATCH_KUBE_BIN:-$root/.cache/bin}"
mkdir -p "$bin"

# The version is the one pinned in the tool module's go.mod.
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' tools/kube-apiserver/go.mod)
if [ -z "$version" ]; then echo "provision-kube: cannot read the k8s.io/kubernetes version" >&2; exit 1; fi

# etcd ---------------------------------------------------------------------------------------
if [ -x "$bin/etcd" ]; then
  echo "provision-kube: etcd already in $bin"
else
  etcd_path=$(command -v etcd || true)
  if [ -z "$etcd_path" ]; then
    echo "provision-kube: installing etcd-server (apt)"
    sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends etcd-server
    etcd_path=$(command -v etcd)
  fi
  ln -sf "$etcd_path" "$bin/etcd"
fi
etcd_version=$("$bin/etcd" --version)  # whole, not through head: see first_line in .ci/run
echo "${etcd_version%%$'\n'*}"

# kube-apiserver -----------------------------------------------------------------------------
stamp="$bin/kube-apiserver.version"
if [ -x "$bin/kube-apiserver" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "provision-kube: kube-apiserver $version already in $bin"
else
  echo "provision-kube: building kube-apiserver $version (several minutes when cold)"
  start=$(date +%s)
  major=${version#v}; major=${major%%.*}
  minor=${version#v*.}; minor=${minor%%.*}
  pkg=k8s.io/component-base/version
  ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  (cd tools/kube-apiserver &&
    GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
      -o "$bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
  echo "$version" > "$stamp"
  echo "provision-kube: built kube-apiserver in $(( $(date +%s) - start )) s"
fi
"$bin/kube-apiserver" --version

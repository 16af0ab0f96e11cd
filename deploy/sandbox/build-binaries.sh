#!/usr/bin/env bash
# Builds the local control plane from Go modules into a per-version cache outside the repository:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (Kubernetes), etcd, kwok, helm.
# Each component lands in $KENTAUR_BIN_CACHE/<component>-v<version>/ and is skipped when already there,
# so a warm machine pays nothing. Prints progress; fails with a clear message when Go or the module
# proxy is missing. Usage: build-binaries.sh [component ...]   (default: all)
set -euo pipefail

# Pinned versions live in versions.env; the environment may override each for a trial build.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$(sed -n 's/^\([A-Z_]*_VERSION\)=\(.*\)$/\1="${\1:-\2}"/p' "$here/versions.env")"
CACHE="${KENTAUR_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kentaur/bin}"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

log() { printf '[build-binaries %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed. Install Go >= 1.25 (https://go.dev/dl) and re-run."
GOV="$(go env GOVERSION)"; GOMINOR="$(echo "$GOV" | sed -E 's/^go1\.([0-9]+).*/\1/')"
[ "${GOMINOR:-0}" -ge 25 ] 2>/dev/null || die "Go $GOV is too old; Kubernetes $KUBE_VERSION needs Go >= 1.25."
[ "$(go env GOPROXY)" != "off" ] || die "GOPROXY is 'off'; the build needs the Go module proxy (set GOPROXY)."

mkdir -p "$CACHE"

# A build happens in a throw-away module directory; the result is moved into place only when complete,
# so an interrupted build never leaves a half-populated cache entry that later runs would trust.
in_tmp_module() { # name
  W="$(mktemp -d)"; cd "$W"
  go mod init "kentaur.invalid/$1-build" >/dev/null 2>&1
}
finish() { # tmp-out final-out
  chmod 755 "$1"; rm -rf "$2"; mkdir -p "$(dirname "$2")"; mv "$1" "$2"
}

build_kubernetes() {
  local out="$CACHE/kubernetes-v$KUBE_VERSION"
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ] && [ -x "$out/kube-scheduler" ] && [ -x "$out/kube-controller-manager" ]; then
    log "kubernetes v$KUBE_VERSION: cached in $out"; return
  fi
  log "kubernetes v$KUBE_VERSION: resolving modules (first time: ~1 GB download)"
  local sver="0.${KUBE_VERSION#1.}" minor; minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  ( in_tmp_module kubernetes
    kmod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" 2>/dev/null | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')" || true
    if [ -z "$kmod" ]; then
      avail="$(go list -m -versions k8s.io/kubernetes 2>/dev/null | tr ' ' '\n' | grep "^v1\.$minor\." | tail -3 | tr '\n' ' ')"
      die "the module proxy ($(go env GOPROXY)) does not serve k8s.io/kubernetes@v$KUBE_VERSION; it has: ${avail:-none}. Set KUBE_VERSION to one of those."
    fi
    goline="$(awk '$1=="go"{print $2; exit}' "$kmod")"
    godbg="$(awk '$1=="godebug" && $2 ~ /=/ {print $2; exit}' "$kmod")"
    go mod edit -go="$goline" -require="k8s.io/kubernetes@v$KUBE_VERSION"
    [ -z "$godbg" ] || go mod edit -godebug="$godbg"
    # Every staging module k/k maps to ./staging is replaced by its published v0.Y.Z release.
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$kmod"); do
      go mod edit -replace="$m=$m@v$sver"
    done
    ldf="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf="$ldf -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      ldf="$ldf -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    mkdir -p bin
    for cmd in kube-apiserver kube-scheduler kube-controller-manager kubectl; do
      log "kubernetes v$KUBE_VERSION: compiling $cmd (cold on 2 cores: the apiserver is the long one)"
      go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ldf" -o bin/ "k8s.io/kubernetes/cmd/$cmd"
    done
    bin/kube-apiserver --version | grep -qx "Kubernetes v$KUBE_VERSION" || die "kube-apiserver reports the wrong version"
    finish "$W/bin" "$out"; rm -rf "$W"
  )
  log "kubernetes v$KUBE_VERSION: built into $out"
}

build_etcd() {
  local out="$CACHE/etcd-v$ETCD_VERSION"
  if [ -x "$out/etcd" ]; then log "etcd v$ETCD_VERSION: cached in $out"; return; fi
  log "etcd v$ETCD_VERSION: building"
  ( in_tmp_module etcd
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null 2>&1 || die "cannot fetch go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    mkdir -p bin
    go build -trimpath -ldflags="-s -w" -o bin/etcd go.etcd.io/etcd/server/v3
    bin/etcd --version | grep -q "etcd Version: $ETCD_VERSION" || die "etcd reports the wrong version"
    finish "$W/bin" "$out"; rm -rf "$W"
  )
  log "etcd v$ETCD_VERSION: built into $out"
}

build_kwok() {
  local out="$CACHE/kwok-v$KWOK_VERSION"
  if [ -x "$out/kwok" ]; then log "kwok v$KWOK_VERSION: cached in $out"; return; fi
  log "kwok v$KWOK_VERSION: building"
  local tmp; tmp="$(mktemp -d)"
  GOBIN="$tmp" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" \
    || die "cannot build sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  finish "$tmp" "$out"
  log "kwok v$KWOK_VERSION: built into $out"
}

build_helm() {
  local out="$CACHE/helm-v$HELM_VERSION"
  if [ -x "$out/helm" ]; then log "helm v$HELM_VERSION: cached in $out"; return; fi
  log "helm v$HELM_VERSION: building"
  local tmp minor; tmp="$(mktemp -d)"; minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor" \
    "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" || die "cannot build helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
  finish "$tmp" "$out"
  log "helm v$HELM_VERSION: built into $out"
}

components=("$@"); [ ${#components[@]} -gt 0 ] || components=(etcd kwok kubernetes helm)
start=$(date +%s)
for c in "${components[@]}"; do
  case "$c" in
    kubernetes) build_kubernetes ;; etcd) build_etcd ;; kwok) build_kwok ;; helm) build_helm ;;
    *) die "unknown component '$c' (known: kubernetes etcd kwok helm)" ;;
  esac
done
log "done in $(( $(date +%s) - start ))s; binaries under $CACHE"

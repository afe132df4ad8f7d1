#!/usr/bin/env bash
# Builds the lab's real binaries from the Go module proxy, cached by version outside the repo.
# Kubernetes' own go.mod replaces its staging modules with local paths, so it cannot be
# `go install`ed; we build it as a dependency of a throwaway module whose replaces point
# each staging module at its published v0.Y.Z release (see ../shared/research/realk8s.md).
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.35.4}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
# Istio's tags are not semver, so the module proxy only knows pseudo-versions, and the registry
# we reach serves no tagged release commit. This is release-1.31 after 1.31.0-rc.0 (2026-08-27):
# the one Istio commit it serves whose own istio.io/api, client-go and Envoy pins it serves too,
# so it builds with no overrides. It reports itself as 1.31.0.
ISTIO_VERSION=${ISTIO_VERSION:-1.31.0}
ISTIO_MODULE_VERSION=${ISTIO_MODULE_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
# Optional "module=module@version" overrides for an Istio commit whose pins the registry refuses.
ISTIO_REPLACES=${ISTIO_REPLACES:-}

CACHE=${MESHFED_CACHE:-$HOME/.cache/meshfed}
ONLY=${1:-all}   # all | kube | kwok | etcd | istio | helm

log() { printf '[lab build] %s\n' "$*" >&2; }
command -v go >/dev/null || { log "no Go toolchain on PATH: install Go >= 1.25"; exit 1; }
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local

have() { for b in "$@"; do [ -x "$b" ] || return 1; done; }

build_kube() {
  local out=$CACHE/kubernetes-$KUBE_VERSION bin=$CACHE/kubernetes-$KUBE_VERSION/bin
  have "$bin/kube-apiserver" "$bin/kube-controller-manager" "$bin/kube-scheduler" "$bin/kubectl" && { log "kubernetes $KUBE_VERSION cached"; return; }
  BUILT=1
  local sv=v0.${KUBE_VERSION#v1.} minor; minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  mkdir -p "$out/mod" "$bin"; cd "$out/mod"
  [ -f go.mod ] || go mod init local.invalid/meshfed-lab-kube >/dev/null 2>&1
  log "kubernetes $KUBE_VERSION: resolving modules"
  local gomod; gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@$sv"
  done
  grep -q '^godebug' go.mod || { grep '^godebug' "$gomod" >> go.mod || true; }
  go get "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null 2>&1 || go get "k8s.io/kubernetes@$KUBE_VERSION"
  local ldf="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$bin/$c" ] && continue
    log "kubernetes $KUBE_VERSION: building $c"
    go build -trimpath -ldflags "$ldf" -o "$bin/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    mv "$bin/$c.tmp" "$bin/$c"
  done
  "$bin/kube-apiserver" --version >&2
}

build_kwok() {
  local bin=$CACHE/kwok-$KWOK_VERSION/bin stages=$CACHE/kwok-$KWOK_VERSION/stages crds=$CACHE/kwok-$KWOK_VERSION/crds
  # The stages are kwok's "fast" set: kustomize/stage/fast is only a kustomization that points
  # at these files, and kwok's --config takes plain files, so we copy the files themselves.
  local want="node-initialize.yaml node-heartbeat-with-lease.yaml pod-ready.yaml pod-complete.yaml pod-delete.yaml"
  # The CRDs of the kwok objects the lab writes for `kubectl exec` and `logs` (Exec, Logs).
  local want_crds="kwok.x-k8s.io_execs.yaml kwok.x-k8s.io_logs.yaml"
  local have_stages=1 f; for f in $want; do [ -f "$stages/$f" ] || have_stages=0; done
  for f in $want_crds; do [ -f "$crds/$f" ] || have_stages=0; done
  have "$bin/kwok" && [ $have_stages = 1 ] && { log "kwok $KWOK_VERSION cached"; return; }
  BUILT=1
  mkdir -p "$bin" "$stages" "$crds"
  if ! have "$bin/kwok"; then
    log "kwok $KWOK_VERSION: building"
    GOBIN=$bin GOFLAGS= go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  local dir; dir=$(GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -f "$stages"/*.yaml
  cp "$dir"/kustomize/stage/node/fast/node-initialize.yaml \
     "$dir"/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-ready.yaml "$dir"/kustomize/stage/pod/fast/pod-complete.yaml \
     "$dir"/kustomize/stage/pod/fast/pod-delete.yaml "$stages/"
  rm -f "$crds"/*.yaml
  for f in $want_crds; do cp "$dir/kustomize/crd/bases/$f" "$crds/"; done
  chmod -R u+w "$stages" "$crds"
}

build_etcd() {
  local out=$CACHE/etcd-$ETCD_VERSION bin=$CACHE/etcd-$ETCD_VERSION/bin
  have "$bin/etcd" && { log "etcd $ETCD_VERSION cached"; return; }
  BUILT=1
  mkdir -p "$out/mod" "$bin"; cd "$out/mod"
  [ -f go.mod ] || go mod init local.invalid/meshfed-lab-etcd >/dev/null 2>&1
  log "etcd $ETCD_VERSION: building"
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$bin/etcd.tmp" "$bin/etcd"
}

build_istio() {
  local out=$CACHE/istio-$ISTIO_VERSION bin=$CACHE/istio-$ISTIO_VERSION/bin
  local charts=$CACHE/istio-$ISTIO_VERSION/charts
  have "$bin/istioctl" "$bin/pilot-discovery" "$bin/pilot-agent" "$bin/echo-server" "$bin/echo-client" && [ -f "$charts/base/Chart.yaml" ] && [ -f "$charts/istiod/Chart.yaml" ] && [ -f "$charts/gateway/Chart.yaml" ] && { log "istio $ISTIO_VERSION cached"; return; }
  BUILT=1
  mkdir -p "$out/mod" "$bin"; cd "$out/mod"
  [ -f go.mod ] || go mod init local.invalid/meshfed-lab-istio >/dev/null 2>&1
  log "istio $ISTIO_VERSION ($ISTIO_MODULE_VERSION): resolving modules"
  local r; for r in $ISTIO_REPLACES; do go mod edit -replace="$r"; done
  go get "istio.io/istio@$ISTIO_MODULE_VERSION"
  local ldf="-s -w"
  for kv in buildVersion=$ISTIO_VERSION buildGitRevision=${ISTIO_MODULE_VERSION##*-} buildStatus=Clean buildTag=$ISTIO_VERSION buildHub=docker.io/istio; do
    ldf="$ldf -X istio.io/istio/pkg/version.$kv"
  done
  # pilot-agent (grpc-agent mode) and Istio's test echo app are the lab's proxyless-gRPC data
  # plane; the echo commands are both named server/client, so they are cached as echo-*.
  # Only the binaries not yet cached build.
  local p name
  for p in istioctl/cmd/istioctl pilot/cmd/pilot-discovery pilot/cmd/pilot-agent pkg/test/echo/cmd/server:echo-server pkg/test/echo/cmd/client:echo-client; do
    name=${p##*/}; name=${name##*:}; p=${p%%:*}
    [ -x "$bin/$name" ] && { PARTIAL=1; continue; }
    BUILT_NAMES="$BUILT_NAMES${BUILT_NAMES:+,}$name"
    log "istio $ISTIO_VERSION: building $name"
    go build -trimpath -ldflags "$ldf" -o "$bin/$name.tmp" "istio.io/istio/$p"
    mv "$bin/$name.tmp" "$bin/$name"
  done
  # The Helm charts of the same commit (base, istiod, gateway), for apply with installer: helm;
  # in the source tree istiod's chart lives in istio-control/istio-discovery.
  local dir; dir=$(go list -m -f '{{.Dir}}' "istio.io/istio")
  rm -rf "$charts.tmp" && mkdir -p "$charts.tmp"
  cp -r "$dir/manifests/charts/base" "$charts.tmp/base"
  cp -r "$dir/manifests/charts/istio-control/istio-discovery" "$charts.tmp/istiod"
  cp -r "$dir/manifests/charts/gateway" "$charts.tmp/gateway"
  chmod -R u+w "$charts.tmp" && rm -rf "$charts" && mv "$charts.tmp" "$charts"
}

build_helm() {
  local bin=$CACHE/helm-$HELM_VERSION/bin
  have "$bin/helm" && { log "helm $HELM_VERSION cached"; return; }
  BUILT=1
  mkdir -p "$bin"
  log "helm $HELM_VERSION: building"
  GOBIN=$bin GOFLAGS= go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

# Every part that really builds appends "<part> <seconds> <UTC time> <version>" to this file,
# plus "partial:<binaries>" when it built only the binaries missing from the cache (the time
# then adds to the part's last full build); bench/lab.ts reports the cold build time from it.
timed() {
  local part=$1 start=$SECONDS version
  BUILT=0 PARTIAL=0 BUILT_NAMES=""
  "build_$part"
  case $part in kube) version=$KUBE_VERSION ;; kwok) version=$KWOK_VERSION ;; etcd) version=$ETCD_VERSION ;; istio) version=$ISTIO_VERSION ;; helm) version=$HELM_VERSION ;; esac
  if [ "$BUILT" = 1 ]; then
    mkdir -p "$CACHE"
    local extra=; [ "$PARTIAL" = 1 ] && extra="\tpartial:$BUILT_NAMES"
    printf '%s\t%s\t%s\t%s%b\n' "$part" "$((SECONDS - start))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$version" "$extra" >> "$CACHE/build-times.tsv"
  fi
}

# One build at a time per cache: a second caller (a test, `lab up`) waits, then finds it cached.
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9

case $ONLY in
  all) timed etcd; timed kwok; timed kube; timed istio; timed helm ;;
  kube|kwok|etcd|istio|helm) timed "$ONLY" ;;
  *) log "unknown part '$ONLY' (all|kube|kwok|etcd|istio|helm)"; exit 64 ;;
esac
log "done"

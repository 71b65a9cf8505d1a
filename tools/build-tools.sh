#!/usr/bin/env bash
# Builds every external component Kimbernetes runs against (Temporal dev server, etcd,
# the Kubernetes control plane, kwok, kustomize, helm, crane, sops) from Go modules,
# once, into a versioned cache outside the repository. A tool already in the cache, or
# named by its KIMBERNETES_<TOOL>_BIN variable, is not built again.
#
# Usage: tools/build-tools.sh [tool ...]     (no argument: all tools)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${KIMBERNETES_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kimbernetes/tools}
logs="$cache/logs"
mkdir -p "$logs"

# Our own Go builds never fetch another Go toolchain, and produce static binaries.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath"

k8s_minor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
k8s_ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$k8s_minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION \
 -X k8s.io/client-go/pkg/version.gitMajor=1 \
 -X k8s.io/client-go/pkg/version.gitMinor=$k8s_minor"
helm_ldflags="-s -w \
 -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor"
kwok_ldflags="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION \
 -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION"

# name | version | binaries | how to build (a function below)
tools=(
  "temporal|$TEMPORAL_CLI_VERSION|temporal|build_temporal"
  "kustomize|$KUSTOMIZE_VERSION|kustomize|build_kustomize"
  "kwok|$KWOK_VERSION|kwok kwokctl|build_kwok"
  "etcd|$ETCD_VERSION|etcd|build_etcd"
  "kubernetes|$KUBERNETES_VERSION|kube-apiserver kube-controller-manager kube-scheduler kubectl|build_kubernetes"
  "helm|$HELM_VERSION|helm|build_helm"
  "crane|$CRANE_VERSION|crane|build_crane"
  "sops|$SOPS_VERSION|sops|build_sops"
)

build_temporal() {
  GOBIN="$1" go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION#v}" \
    "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}
build_kustomize() { GOBIN="$1" go install -ldflags "-s -w" "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"; }
build_kwok() {
  GOBIN="$1" go install -ldflags "$kwok_ldflags" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}
build_etcd() { (cd "$here/etcd" && go build -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3); }
build_kubernetes() {
  local cmd
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    echo "building $cmd"
    (cd "$here/kubernetes" && go build -ldflags "$k8s_ldflags" -o "$1/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  done
}
build_helm() { GOBIN="$1" go install -ldflags "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; }
build_crane() { GOBIN="$1" go install -ldflags "-s -w" "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"; }
build_sops() { GOBIN="$1" go install -ldflags "-s -w" "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION"; }

# KIMBERNETES_KUBE_APISERVER_BIN for kube-apiserver, and so on.
override_var() { echo "KIMBERNETES_$(echo "$1" | tr 'a-z-' 'A-Z_')_BIN"; }

wanted=("$@")
is_wanted() {
  [ ${#wanted[@]} -eq 0 ] && return 0
  local w
  for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

total=${#tools[@]}
step=0
for entry in "${tools[@]}"; do
  IFS='|' read -r name version bins builder <<<"$entry"
  step=$((step + 1))
  is_wanted "$name" || continue
  dest="$cache/$name-$version"
  missing=()
  for bin in $bins; do
    var=$(override_var "$bin")
    if [ -n "${!var:-}" ]; then
      [ -x "${!var}" ] || { echo "✗ $var=${!var} is not an executable file" >&2; exit 1; }
      continue
    fi
    [ -x "$dest/$bin" ] || missing+=("$bin")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "[$step/$total] $name $version: present"
    continue
  fi
  log="$logs/$name-$version.log"
  echo "[$step/$total] $name $version: building ${missing[*]} (log: $log)"
  started=$(date +%s)
  tmp="$dest.partial"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if ! "$builder" "$tmp" >"$log" 2>&1; then
    echo "✗ building $name $version failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  # Move into place only when every binary built, so a broken build is never "present".
  mkdir -p "$dest"
  for bin in $bins; do mv -f "$tmp/$bin" "$dest/$bin"; done
  rm -rf "$tmp"
  echo "    done in $(( $(date +%s) - started ))s"
done
echo "tools ready in $cache"

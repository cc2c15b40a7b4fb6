#!/usr/bin/env bash
# Installs the tools the operations tests use, each once: Prometheus and promtool, Chromium and
# its driver (Debian's packages), and kustomize (built from its Go module into .tools/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

KUSTOMIZE_VERSION=v5.5.0
log() { echo "ops-tools: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if ! go version -m .tools/bin/kustomize 2>/dev/null | grep -q "kustomize/v5.*$KUSTOMIZE_VERSION"; then
  log "building kustomize $KUSTOMIZE_VERSION"
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install \
    "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

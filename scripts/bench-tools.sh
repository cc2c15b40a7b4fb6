#!/usr/bin/env bash
# The benchmarks' own tools, from Debian's packages: wrk, an HTTP load generator independent of
# the Python clients the benchmarks also use. Idempotent: a tool already there is left alone.
# Usage: scripts/bench-tools.sh
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v wrk >/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
echo "bench-tools: $(wrk --version 2>&1 | head -1)"

#!/usr/bin/env bash
# Starts all of roster on the embedded default (SQLite under .roster/, no servers needed):
# the write API on :8000, the consumers in-process, the read API on :8001. Arguments go to
# `roster dev` (e.g. --reset).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/roster dev "$@"

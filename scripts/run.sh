#!/usr/bin/env bash
# Starts roster on the embedded default (SQLite under .roster/, no servers needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/roster writeapi "$@"

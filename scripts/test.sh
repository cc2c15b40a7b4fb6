#!/usr/bin/env bash
# Installs everything (roster and its tools; Prometheus, Chromium and kustomize through
# scripts/ops-tools.sh), starts PostgreSQL, Redis and Kafka (scripts/services.sh), checks lint,
# types and import directions, then runs the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/ops-tools.sh
scripts/services.sh up
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"

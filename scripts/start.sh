#!/usr/bin/env bash
# Quick start: set up, seed the embedded GeoPackage with the Zhongyuan demo
# ledger (only when it is empty or missing), and print the priority targets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ZONEWATCH_STORE="${ZONEWATCH_STORE:-zonewatch.gpkg}"
if [ ! -s "$ZONEWATCH_STORE" ]; then
    .venv/bin/zonewatch demo
fi
exec .venv/bin/zonewatch flag "$@"

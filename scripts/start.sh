#!/usr/bin/env bash
# Quick start: set up .venv and serve Zonewatch on the embedded GeoPackage.
# An empty or missing store is seeded with the Zhongyuan demo ledger first.
# Extra arguments go to `zonewatch serve` (e.g. --port 8080, --host 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ZONEWATCH_STORE="${ZONEWATCH_STORE:-zonewatch.gpkg}"
export ZONEWATCH_REPORT_UNIT="${ZONEWATCH_REPORT_UNIT-郑州市中原区城市管理行政执法局}"  # the demo's bureau
exec .venv/bin/zonewatch serve "$@"

#!/usr/bin/env bash
# Set up everything the test suite needs (Python packages, PostgreSQL with
# PostGIS) and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser-setup.sh
pg_line="$(bash scripts/pg-setup.sh | tail -n 1)"
eval "$pg_line"
echo "PostGIS test database: $ZONEWATCH_TEST_PG"
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"

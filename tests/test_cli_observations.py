"""``zonewatch observations import`` on both stores: counts, dry run, rejected rows named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import Point
from typer.testing import CliRunner, Result

from api.cli import app
from geo import writes
from geo.ledger import Feature
from geo.store import Store
from tests._support.stores import STORE_KINDS, make_store

RUNNER = CliRunner()
HEADER = "station_id,time,pm25,co\n"


@pytest.fixture(params=STORE_KINDS)
def station_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    for store in make_store(request.param, tmp_path):
        writes.create(store, "stations", Feature("M-1", {"name": "监测点一", "radius_m": 3000.0},
                                                 Point(113.6, 34.75)), actor="test")
        yield store


def _run(store: Store, *args: str) -> Result:
    env = {"ZONEWATCH_PG_SCHEMA": getattr(store, "schema", "zonewatch"), "COLUMNS": "220"}
    return RUNNER.invoke(app, ["observations", "import", *args, "--store", store.url], env=env)


def test_import_counts_and_upserts(station_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "M-1,2026-11-03 08:00,35,0.6\nM-1,2026-11-03 09:00,36,0.7\n")
    first = _run(station_store, str(path))
    assert first.exit_code == 0, first.output
    assert "2 readings at 1 station(s); inserted 2, updated 0" in first.output
    again = _run(station_store, str(path))
    assert "inserted 0, updated 2" in again.output
    assert station_store.observations.count() == 2


def test_dry_run_writes_nothing(station_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "M-1,2026-11-03 08:00,35,0.6\n")
    result = _run(station_store, str(path), "--dry-run")
    assert result.exit_code == 0 and "would insert 1" in result.output
    assert "nothing written" in result.output
    assert station_store.observations.count() == 0


def test_bad_rows_exit_1_naming_each_row(station_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "M-1,2026-11-03 08:00,35,0.6\nM-1,2026-11-03 09:00,36,900\n"
                             "M-9,2026-11-03 09:00,1,1\n")
    result = _run(station_store, str(path))
    assert result.exit_code == 1
    assert "2 row(s) rejected, nothing imported" in result.output
    assert "row 3: CO 900 looks like µg/m³" in result.output
    assert "row 4: unknown station 'M-9'" in result.output
    assert station_store.observations.count() == 0


def test_a_missing_file_is_one_error_line(station_store: Store, tmp_path: Path) -> None:
    result = _run(station_store, str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "no such file" in result.output

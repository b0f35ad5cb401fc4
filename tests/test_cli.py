"""The zonewatch command, run as users run it (a real process) and in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from api.cli import app

RUNNER = CliRunner()
HEADER = "id,name,category,lon,lat\n"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.gpkg"
    result = RUNNER.invoke(app, ["demo", "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args, store=None):
    full = list(args) + (["--store", str(store)] if store else [])
    return RUNNER.invoke(app, full)


def test_demo_reports_counts(demo_store):
    result = run("demo", store=demo_store)
    assert result.exit_code == 0
    assert "sources" in result.output and "stations" in result.output


def test_flag_prints_summary_and_writes_geojson(demo_store, tmp_path):
    out = tmp_path / "priority.geojson"
    result = run("flag", "-o", str(out), store=demo_store)
    assert result.exit_code == 0, result.output
    assert "priority targets" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    distances = [f["properties"]["distance_m"] for f in doc["features"]]
    assert distances and distances == sorted(distances)
    assert all(d <= 3000 for d in distances)
    assert all(f["properties"]["priority"] for f in doc["features"])


def test_flag_radius_override_changes_count(demo_store, tmp_path):
    small, large = tmp_path / "s.geojson", tmp_path / "l.geojson"
    assert run("flag", "--radius-m", "500", "-o", str(small), store=demo_store).exit_code == 0
    assert run("flag", "--radius-m", "5000", "-o", str(large), store=demo_store).exit_code == 0
    n_small = len(json.loads(small.read_text())["features"])
    n_large = len(json.loads(large.read_text())["features"])
    assert 0 < n_small < n_large


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "fgb", "kml", "shp", "xlsx"])
def test_export_formats(demo_store, tmp_path, fmt):
    out = tmp_path / f"stations.{fmt if fmt != 'shp' else 'zip'}"
    result = run("export", "--layer", "stations", "--format", fmt, "-o", str(out),
                 store=demo_store)
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_export_priority_gpkg_opens_in_gdal(demo_store, tmp_path):
    out = tmp_path / "priority.gpkg"
    result = run("export", "--layer", "sources", "--priority", "--format", "gpkg", "-o",
                 str(out), store=demo_store)
    assert result.exit_code == 0, result.output
    frame = pyogrio.read_dataframe(out)
    assert len(frame) > 0 and (frame["distance_m"] <= 3000).all()


def test_import_rejects_with_rows_and_exit_1(tmp_path):
    store = tmp_path / "s.gpkg"
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,ok,bbq,113.6,34.7\nB,bad,spaceship,113.6,34.7\n", encoding="utf-8")
    result = run("import", str(bad), "--layer", "sources", store=store)
    assert result.exit_code == 1
    assert "row 2" in result.output and "spaceship" in result.output
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "A,ok,bbq,113.6,34.7\n", encoding="utf-8")
    dry = run("import", str(good), "--layer", "sources", "--dry-run", store=store)
    assert dry.exit_code == 0 and "nothing written" in dry.output
    real = run("import", str(good), "--layer", "sources", store=store)
    assert real.exit_code == 0 and "1 inserted" in real.output


def test_usage_errors_exit_2(tmp_path):
    assert run("flag", "--radius-m", "abc").exit_code == 2
    assert run("import", "x.csv", "--layer", "sources", "--mode", "merge").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_bad_values_exit_1(tmp_path):
    store = tmp_path / "s.gpkg"
    assert run("flag", "--radius-m", "-5", store=store).exit_code == 1
    unknown = run("export", "--layer", "nope", "--format", "csv", "-o", "x", store=store)
    assert unknown.exit_code == 1
    empty = run("flag", store=store)
    assert empty.exit_code == 1 and "zonewatch demo" in empty.output


def test_console_script_runs_as_a_process(tmp_path):
    exe = Path(sys.executable).with_name("zonewatch")
    env = {**os.environ, "ZONEWATCH_STORE": str(tmp_path / "p.gpkg")}
    bad = tmp_path / "bad.geojson"
    bad.write_text("{oops", encoding="utf-8")
    proc = subprocess.run(
        [str(exe), "import", str(bad), "--layer", "sources"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 1
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
